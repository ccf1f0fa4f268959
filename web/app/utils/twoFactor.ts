// Two-factor authentication (TOTP): the pure helpers of the sign-in step and the settings
// section.

import { ApiError, describeError } from './apiError'
import type { SecondFactorDto } from './types'

/** What proves the second factor: a code of the authenticator app or a recovery code. */
export type SecondFactorProof = { code: string } | { recovery_code: string }

/**
 * What proves it is the owner before two-factor authentication is turned on or off: the
 * password, or nothing for an account without one (the server then wants a recent sign-in).
 */
export function ownerProof(password: string, hasPassword: boolean): { password?: string } {
  return hasPassword ? { password } : {}
}

/** Whether a 2xx answer of the login is the second-factor challenge (202) rather than tokens. */
export function isMfaChallenge(body: unknown): body is SecondFactorDto {
  return typeof body === 'object' && body !== null && 'mfa_token' in body
}

/** "JBSWY3DPEHPK3PXP" -> "JBSW Y3DP EHPK 3PXP" (easier to type into an app by hand). */
export function formatSecret(secret: string): string {
  return (secret.replace(/[\s=]/g, '').toUpperCase().match(/.{1,4}/g) ?? []).join(' ')
}

/** The proof to send for what was typed: app codes lose spaces, recovery codes are trimmed. */
export function secondFactorProof(input: string, recovery: boolean): SecondFactorProof {
  if (recovery) return { recovery_code: input.trim().toLowerCase() }
  return { code: input.replace(/[\s-]/g, '') }
}

/** Whether the typed text can be sent (6 digits, or a non-empty recovery code). */
export function proofReady(input: string, recovery: boolean): boolean {
  return recovery ? input.trim().length > 0 : /^\d{6}$/.test(input.replace(/[\s-]/g, ''))
}

/** Whether the sign-in must start again from the password (the challenge expired or is unknown). */
export function mfaRestart(e: unknown): boolean {
  return e instanceof ApiError && (e.code === 'mfa_token_expired' || e.code === 'invalid_mfa_token')
}

/** A sentence for a refused second factor (sign-in, confirming or turning off). */
export function twoFactorError(e: unknown, recovery = false): string {
  if (e instanceof ApiError) {
    if (e.code === 'invalid_code') {
      return recovery ? 'That recovery code is not valid or was already used.' : 'That code is not valid. Check the time on your device and try the newest code.'
    }
    if (mfaRestart(e)) return 'The sign-in took too long. Enter your password again.'
    if (e.code === 'no_enrolment') return 'The setup expired. Start again with "Turn on".'
    if (e.code === 'two_factor_on') return 'Two-factor authentication is already on.'
    if (e.code === 'two_factor_off') return 'Two-factor authentication is already off.'
    if (e.code === 'invalid_password') return 'The password is wrong.'
    if (e.code === 'recent_sign_in_required') {
      return 'For your safety, sign out and sign in again, then change this within 5 minutes.'
    }
  }
  return describeError(e)
}
