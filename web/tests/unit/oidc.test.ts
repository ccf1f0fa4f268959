import { describe, expect, it } from 'vitest'
import { ApiError } from '../../app/utils/apiError'
import { oidcErrorMessage, oidcStartUrl, readOidcResult, safeRedirect } from '../../app/utils/oidc'

describe('OpenID Connect sign-in helpers', () => {
  it('builds the start address of a provider', () => {
    expect(oidcStartUrl('local')).toBe('/api/auth/oidc/local/start')
    expect(oidcStartUrl('a/b')).toBe('/api/auth/oidc/a%2Fb/start')
    expect(oidcStartUrl('local', '/invite/x?y=1')).toBe('/api/auth/oidc/local/start?redirect=%2Finvite%2Fx%3Fy%3D1')
    expect(oidcStartUrl('local', 'https://evil.example')).toBe('/api/auth/oidc/local/start')
  })

  it('keeps only paths of this site as redirects', () => {
    expect(safeRedirect('/c/5')).toBe('/c/5')
    expect(safeRedirect(['/c/5'])).toBe('/c/5')
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', 'javascript:x', '/a\nb', undefined, 3]) {
      expect(safeRedirect(bad)).toBeNull()
    }
  })

  it('reads the code or the error of the redirect', () => {
    expect(readOidcResult({ code: 'abc' })).toEqual({ code: 'abc', redirect: null })
    expect(readOidcResult({ code: 'abc', redirect: '/invite/t' })).toEqual({ code: 'abc', redirect: '/invite/t' })
    expect(readOidcResult({ code: 'abc', redirect: '//evil' })).toEqual({ code: 'abc', redirect: null })
    expect(readOidcResult({ error: 'state_mismatch' })).toEqual({ error: 'state_mismatch' })
    expect(readOidcResult({ code: 'abc', error: 'nonce_mismatch' })).toEqual({ error: 'nonce_mismatch' })
    expect(readOidcResult({ code: ['x', 'y'] })).toEqual({ code: 'x', redirect: null })
    expect(readOidcResult({})).toEqual({ error: 'missing_code' })
    expect(readOidcResult({ code: '' })).toEqual({ error: 'missing_code' })
  })

  it('explains every error code of the API in words', () => {
    const codes = [
      'state_mismatch', 'state_unknown', 'state_expired', 'provider_error', 'code_exchange_failed', 'invalid_id_token',
      'id_token_expired', 'nonce_mismatch', 'account_suspended', 'unknown_provider', 'provider_unavailable', 'rate_limited',
      'invalid_oidc_code', 'oidc_code_expired', 'oidc_browser_mismatch', 'missing_code',
    ]
    for (const code of codes) {
      const message = oidcErrorMessage(code)
      expect(message).not.toContain('_')
      expect(message).toMatch(/^[A-Z].*\.$/)
    }
    expect(oidcErrorMessage('state_mismatch')).toContain('not started in this browser')
    expect(oidcErrorMessage('server_error')).toBe('Signing in with the provider failed. Please try again.')
  })

  it('explains a refused completion', () => {
    expect(oidcErrorMessage(new ApiError(401, 'invalid_oidc_code', 'x'))).toContain('already completed')
    expect(oidcErrorMessage(new ApiError(403, 'account_suspended', 'x'))).toContain('suspended')
    expect(oidcErrorMessage(new ApiError(401, 'oidc_browser_mismatch', 'x'))).toContain('not started in this browser')
  })
})
