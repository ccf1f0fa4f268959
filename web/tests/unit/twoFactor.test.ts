import { describe, expect, it } from 'vitest'
import { ApiError } from '../../app/utils/apiError'
import { formatSecret, isMfaChallenge, mfaRestart, ownerProof, proofReady, secondFactorProof, twoFactorError } from '../../app/utils/twoFactor'

describe('two-factor helpers', () => {
  it('tells the 202 challenge from tokens', () => {
    expect(isMfaChallenge({ mfa_token: 'x', expires_in: 300 })).toBe(true)
    expect(isMfaChallenge({ access_token: 'a', refresh_token: 'r' })).toBe(false)
    expect(isMfaChallenge(undefined)).toBe(false)
    expect(isMfaChallenge(null)).toBe(false)
  })

  it('groups the secret by 4', () => {
    expect(formatSecret('JBSWY3DPEHPK3PXP')).toBe('JBSW Y3DP EHPK 3PXP')
    expect(formatSecret('jbswy3dpehpk3pxpab')).toBe('JBSW Y3DP EHPK 3PXP AB')
    expect(formatSecret('ABC=')).toBe('ABC')
    expect(formatSecret('')).toBe('')
  })

  it('builds the proof from what was typed', () => {
    expect(secondFactorProof(' 123 456 ', false)).toEqual({ code: '123456' })
    expect(secondFactorProof(' ABCDE-fghij ', true)).toEqual({ recovery_code: 'abcde-fghij' })
    expect(proofReady('123 456', false)).toBe(true)
    expect(proofReady('12345', false)).toBe(false)
    expect(proofReady('12345a', false)).toBe(false)
    expect(proofReady('  ', true)).toBe(false)
    expect(proofReady('abcde-fghij', true)).toBe(true)
  })

  it('explains refusals', () => {
    const invalid = new ApiError(401, 'invalid_code', 'invalid code')
    expect(twoFactorError(invalid)).toMatch(/code is not valid/)
    expect(twoFactorError(invalid, true)).toMatch(/recovery code/)
    const expired = new ApiError(401, 'mfa_token_expired', 'expired')
    expect(mfaRestart(expired)).toBe(true)
    expect(mfaRestart(new ApiError(401, 'invalid_mfa_token', 'x'))).toBe(true)
    expect(mfaRestart(invalid)).toBe(false)
    expect(twoFactorError(expired)).toMatch(/password again/)
    expect(twoFactorError(new ApiError(429, 'rate_limited', 'slow down', [], 42))).toBe('Too many requests; try again in 42 s.')
    expect(twoFactorError(new ApiError(403, 'invalid_password', 'x'))).toBe('The password is wrong.')
    expect(twoFactorError(new ApiError(403, 'recent_sign_in_required', 'x'))).toMatch(/sign in again/)
  })

  it('sends the password only for an account that has one', () => {
    expect(ownerProof('secret pw', true)).toEqual({ password: 'secret pw' })
    expect(ownerProof('', false)).toEqual({})
  })
})
