// The API's error body `{"error":{"code","message","fields"}}` as a typed exception.

import type { ErrorBody, FieldError } from './types'

export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when the request never got an answer (offline, server down). */
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
    /** Seconds, from Retry-After on 429. */
    readonly retryAfter: number | null = null,
  ) {
    super(message)
    this.name = 'ApiError'
  }

  /** Message for one form field (first one the API gave), if any. */
  field(name: string): string | undefined {
    return this.fields.find((f) => f.field === name)?.message
  }

  /** Field name -> message, for forms. */
  fieldMap(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const f of this.fields) if (!(f.field in out)) out[f.field] = f.message
    return out
  }

  get isNetwork(): boolean {
    return this.status === 0
  }
}

/** Builds an ApiError from a failed response (whatever its body is). */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`
  let message = res.statusText || 'Request failed'
  let fields: FieldError[] = []
  try {
    // The documented body, read defensively: a proxy in between may answer anything.
    const body = (await res.json()) as { error?: Partial<ErrorBody['error']> } | null
    if (body?.error) {
      code = body.error.code ?? code
      message = body.error.message ?? message
      fields = body.error.fields ?? []
    }
  } catch {
    // not JSON (e.g. a proxy's 502 page): keep the status text
  }
  const ra = res.headers.get('retry-after')
  return new ApiError(res.status, code, message, fields, ra ? Number(ra) : null)
}

/** Flood control paused my sending (429 `send_limited`). */
export const SEND_LIMITED = 'Sending is paused for a while: too many repeated messages.'

/** Whether the server refused a send because flood control paused my account. */
export function isSendLimitedError(e: unknown): boolean {
  return e instanceof ApiError && e.code === 'send_limited'
}

/** A block between the two members of a direct chat refused the request. */
export function isBlockedError(e: unknown): boolean {
  return e instanceof ApiError && e.code === 'blocked'
}

/** A human sentence for an error, for toasts and inline messages. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.isNetwork) return 'Cannot reach the server. Check your connection.'
    if (e.code === 'send_limited') return SEND_LIMITED
    if (e.status === 429) return `Too many requests${e.retryAfter ? `; try again in ${e.retryAfter} s` : ''}.`
    return e.message
  }
  return e instanceof Error ? e.message : String(e)
}

/** What the sign-in form says when the login is refused. */
export function signInError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === 'invalid_credentials') return 'Wrong username or password.'
    if (e.code === 'account_suspended') return `${sentence(e.message || 'this account is suspended')} Contact an administrator.`
  }
  return describeError(e)
}

/** "this account is suspended" -> "This account is suspended." */
function sentence(s: string): string {
  const t = s.trim()
  const capital = t.charAt(0).toUpperCase() + t.slice(1)
  return /[.!?]$/.test(capital) ? capital : `${capital}.`
}
