// Typed REST client for /api (same origin: nginx in production, the dev proxy in `npm run dev`).
// Adds the access token, and on a 401 `token_expired` refreshes once and retries (JSON requests,
// multipart uploads and blob downloads share that path). A 503 `overloaded` is sent again after
// its Retry-After, twice at most (the server refused it before doing anything).

import { ApiError, errorFromResponse } from '~/utils/apiError'
import { overloadRetryDelay } from '~/utils/overload'

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface RequestOptions {
  /** Send without the Authorization header (login, register, refresh). */
  anonymous?: boolean
  query?: Record<string, string | number | null | undefined>
  signal?: AbortSignal
}

function url(path: string, query?: RequestOptions['query']): string {
  const u = `/api${path}`
  if (!query) return u
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v))
  const s = qs.toString()
  return s ? `${u}?${s}` : u
}

/** One fetch with the token (unless anonymous); a failure to get any answer is an ApiError(0). */
async function once(path: string, init: RequestInit, opts: RequestOptions, token: string | null): Promise<Response> {
  const headers = new Headers(init.headers)
  if (!headers.has('accept')) headers.set('accept', 'application/json')
  if (token && !opts.anonymous) headers.set('authorization', `Bearer ${token}`)
  try {
    return await fetch(url(path, opts.query), { ...init, headers, signal: opts.signal })
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e
    throw new ApiError(0, 'network', 'network error')
  }
}

/**
 * Sends `init` with the access token; on a 401 for an expired or invalid token refreshes once
 * and sends it again. Returns the successful response; any error answer is thrown as ApiError.
 * `init.body` must be re-sendable (a string, FormData or Blob; not a stream).
 */
async function authorized(path: string, init: RequestInit, opts: RequestOptions): Promise<Response> {
  const auth = useAuthStore()
  let res = await admitted(path, init, opts, () => auth.accessToken)
  if (res.status === 401 && !opts.anonymous) {
    const err = await errorFromResponse(res)
    // session_revoked (suspension): the refresh fails too, which signs this browser out.
    if (err.code !== 'token_expired' && err.code !== 'invalid_token' && err.code !== 'session_revoked') throw err
    // One refresh and one retry; a failed refresh logs out (inside refresh()).
    if (!(await auth.refresh())) throw err
    res = await admitted(path, init, opts, () => auth.accessToken)
  }
  if (!res.ok) throw await errorFromResponse(res)
  return res
}

/** `once`, sent again after Retry-After while the server answers 503 `overloaded` (utils/overload.ts). */
async function admitted(path: string, init: RequestInit, opts: RequestOptions, token: () => string | null): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await once(path, init, opts, token())
    if (res.status !== 503) return res
    const err = await errorFromResponse(res.clone())
    const wait = overloadRetryDelay(err.code, err.retryAfter, attempt)
    if (wait === null) return res
    await new Promise((resolve) => setTimeout(resolve, wait))
  }
}

async function json<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T
  const text = await res.text()
  return (text ? JSON.parse(text) : undefined) as T
}

export async function apiRequest<T>(method: Method, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const init: RequestInit = { method }
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' }
    init.body = JSON.stringify(body)
  }
  return json<T>(await authorized(path, init, opts))
}

/** POST a multipart form (the browser sets its content type with the boundary). */
export async function apiUpload<T>(path: string, form: FormData, opts: RequestOptions = {}): Promise<T> {
  return json<T>(await authorized(path, { method: 'POST', body: form }, opts))
}

/** GET the bytes of a resource that needs the token (media), as a Blob. */
export async function apiBlob(path: string, opts: RequestOptions = {}): Promise<Blob> {
  return (await authorized(path, { method: 'GET', headers: { accept: '*/*' } }, opts)).blob()
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => apiRequest<T>('GET', path, undefined, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => apiRequest<T>('POST', path, body ?? {}, opts),
  put: <T>(path: string, body?: unknown, opts?: RequestOptions) => apiRequest<T>('PUT', path, body, opts),
  patch: <T>(path: string, body?: unknown, opts?: RequestOptions) => apiRequest<T>('PATCH', path, body ?? {}, opts),
  del: <T>(path: string, opts?: RequestOptions) => apiRequest<T>('DELETE', path, undefined, opts),
  upload: apiUpload,
  blob: apiBlob,
}

export function useApi() {
  return api
}
