// Account email: the token of a mailed link, a quick shape check of an address, and the
// sentences the email pages show for the API's refusals.

import { ApiError, describeError } from './apiError'

/** The `?token=` of a verification or reset link (the first one if repeated), or null. */
export function linkToken(query: Record<string, unknown>): string | null {
  const raw = query.token
  const value = Array.isArray(raw) ? raw[0] : raw
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null
}

/** Roughly an address (the server checks properly): something@something, no spaces. */
export function looksLikeEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+$/.test(value.trim())
}

/** What the verify / reset pages say when the API refuses the token or the request. */
export function linkError(e: unknown): string {
  if (e instanceof ApiError && e.code === 'invalid_token') {
    return 'This link is invalid, has expired or was already used. Ask for a new one.'
  }
  return describeError(e)
}

/** What the settings form says when changing the address is refused. */
export function changeEmailError(e: unknown): { field?: 'email' | 'password'; message: string } {
  if (e instanceof ApiError) {
    if (e.code === 'email_taken') return { field: 'email', message: 'Another account uses this address.' }
    if (e.code === 'invalid_password') return { field: 'password', message: 'Wrong password.' }
    const email = e.field('email')
    if (email) return { field: 'email', message: email }
  }
  return { message: describeError(e) }
}

/** The badge next to my address. */
export function emailState(user: { email?: string | null; email_verified?: boolean } | null): 'none' | 'verified' | 'unverified' {
  if (!user?.email) return 'none'
  return user.email_verified ? 'verified' : 'unverified'
}

/** The neutral answer of "forgot password" (the same whether or not an account exists). */
export const FORGOT_SENT =
  'If an account has this verified address, we have sent it a link to reset the password. The link works for one hour.'
