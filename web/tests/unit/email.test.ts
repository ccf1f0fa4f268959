import { describe, expect, it } from 'vitest'
import { ApiError } from '../../app/utils/apiError'
import { changeEmailError, emailState, linkError, linkToken, looksLikeEmail } from '../../app/utils/email'

describe('email helpers', () => {
  it('reads the token of a link', () => {
    expect(linkToken({ token: 'abc' })).toBe('abc')
    expect(linkToken({ token: ' abc ' })).toBe('abc')
    expect(linkToken({ token: ['first', 'second'] })).toBe('first')
    expect(linkToken({ token: '' })).toBeNull()
    expect(linkToken({ token: null })).toBeNull()
    expect(linkToken({})).toBeNull()
  })

  it('checks the shape of an address loosely', () => {
    expect(looksLikeEmail('ann@example.com')).toBe(true)
    expect(looksLikeEmail(' ann@example.com ')).toBe(true)
    expect(looksLikeEmail('ann')).toBe(false)
    expect(looksLikeEmail('ann @example.com')).toBe(false)
    expect(looksLikeEmail('a@b@c')).toBe(false)
  })

  it('explains refused links and changes', () => {
    expect(linkError(new ApiError(400, 'invalid_token', 'x'))).toMatch(/invalid, has expired or was already used/)
    expect(linkError(new ApiError(0, 'network', 'x'))).toMatch(/Cannot reach the server/)
    expect(changeEmailError(new ApiError(409, 'email_taken', 'x'))).toEqual({ field: 'email', message: 'Another account uses this address.' })
    expect(changeEmailError(new ApiError(403, 'invalid_password', 'x'))).toEqual({ field: 'password', message: 'Wrong password.' })
    const invalid = new ApiError(422, 'validation_failed', 'email: bad', [{ field: 'email', message: 'must be an email address' }])
    expect(changeEmailError(invalid)).toEqual({ field: 'email', message: 'must be an email address' })
    expect(changeEmailError(new ApiError(429, 'rate_limited', 'x', [], 30)).message).toMatch(/try again in 30 s/)
  })

  it('names the state of my address', () => {
    expect(emailState(null)).toBe('none')
    expect(emailState({ email: null, email_verified: false })).toBe('none')
    expect(emailState({ email: 'a@b.c', email_verified: false })).toBe('unverified')
    expect(emailState({ email: 'a@b.c', email_verified: true })).toBe('verified')
  })
})
