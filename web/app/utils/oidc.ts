// Sign-in with OpenID Connect providers: the pure helpers of the buttons
// and of the /oidc page the API redirects back to (`?code=` or `?error=`).

import { ApiError, describeError } from './apiError'

/** C0 control characters (U+0000 to U+001F): never part of a path we send a browser to. */
function hasControlCharacter(s: string): boolean {
  return [...s].some((c) => c.charCodeAt(0) < 0x20)
}

/** A path of this site to open after signing in, or null (never another origin). */
export function safeRedirect(value: unknown): string | null {
  const v = Array.isArray(value) ? value[0] : value
  if (typeof v !== 'string') return null
  return v.startsWith('/') && !v.startsWith('//') && !v.includes('\\') && !hasControlCharacter(v) ? v : null
}

/**
 * Where a provider's button goes: a full page navigation (the API answers a redirect). The
 * sign-in page's `?redirect=` travels along and comes back on /oidc.
 */
export function oidcStartUrl(name: string, redirect?: unknown): string {
  const after = safeRedirect(redirect)
  const base = `/api/auth/oidc/${encodeURIComponent(name)}/start`
  return after ? `${base}?redirect=${encodeURIComponent(after)}` : base
}

/** What the API put in the /oidc address. */
export type OidcResult = { code: string; redirect: string | null } | { error: string }

export function readOidcResult(query: Record<string, unknown>): OidcResult {
  const first = (v: unknown) => (Array.isArray(v) ? v[0] : v)
  const code = first(query.code)
  const error = first(query.error)
  if (typeof error === 'string' && error) return { error }
  if (typeof code === 'string' && code) return { code, redirect: safeRedirect(query.redirect) }
  return { error: 'missing_code' }
}

const MESSAGES: Record<string, string> = {
  state_mismatch: 'This sign-in was not started in this browser (or another sign-in replaced it). Please start again.',
  state_unknown: 'This sign-in link was already used. Please start again.',
  state_expired: 'The sign-in took too long. Please start again.',
  provider_error: 'The sign-in provider did not sign you in (it was cancelled or refused).',
  code_exchange_failed: 'The sign-in provider did not confirm the sign-in. Please try again.',
  invalid_id_token: 'The answer of the sign-in provider could not be trusted, so you were not signed in.',
  id_token_expired: 'The answer of the sign-in provider had expired. Check your device clock and try again.',
  nonce_mismatch: 'The answer of the sign-in provider did not belong to this sign-in. Please start again.',
  account_suspended: 'This account is suspended. Contact an administrator.',
  unknown_provider: 'This sign-in provider is not available.',
  provider_unavailable: 'The sign-in provider cannot be reached right now. Try again in a moment.',
  rate_limited: 'Too many sign-in attempts. Wait a minute and try again.',
  invalid_oidc_code: 'This sign-in was already completed or is invalid. Please start again.',
  oidc_browser_mismatch: 'This sign-in was not started in this browser. Please start it here.',
  oidc_code_expired: 'The sign-in took too long to complete. Please start again.',
  missing_code: 'The sign-in did not complete. Please start again.',
}

/** A sentence for an error code of the redirect, or for a failed POST /auth/oidc/complete. */
export function oidcErrorMessage(e: unknown): string {
  const code = e instanceof ApiError ? e.code : typeof e === 'string' ? e : ''
  const known = MESSAGES[code]
  if (known) return known
  if (e instanceof ApiError) return describeError(e)
  return 'Signing in with the provider failed. Please try again.'
}
