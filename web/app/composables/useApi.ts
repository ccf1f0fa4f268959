// Typed REST client for /api (same origin: nginx in production, the dev proxy in `npm run dev`).
// Adds the access token, and on a 401 `token_expired` refreshes once and retries.

import { ApiError, errorFromResponse } from '~/utils/apiError'

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

async function once(method: Method, path: string, body: unknown, opts: RequestOptions, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (token && !opts.anonymous) headers.authorization = `Bearer ${token}`
  try {
    return await fetch(url(path, opts.query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: opts.signal,
    })
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e
    throw new ApiError(0, 'network', 'network error')
  }
}

export async function apiRequest<T>(method: Method, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const auth = useAuthStore()
  let res = await once(method, path, body, opts, auth.accessToken)
  if (res.status === 401 && !opts.anonymous) {
    const err = await errorFromResponse(res)
    if (err.code !== 'token_expired' && err.code !== 'invalid_token') throw err
    // One refresh and one retry; a failed refresh logs out (inside refresh()).
    if (!(await auth.refresh())) throw err
    res = await once(method, path, body, opts, auth.accessToken)
  }
  if (!res.ok) throw await errorFromResponse(res)
  if (res.status === 204) return undefined as T
  const text = await res.text()
  return (text ? JSON.parse(text) : undefined) as T
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => apiRequest<T>('GET', path, undefined, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => apiRequest<T>('POST', path, body ?? {}, opts),
  put: <T>(path: string, body?: unknown, opts?: RequestOptions) => apiRequest<T>('PUT', path, body, opts),
  patch: <T>(path: string, body?: unknown, opts?: RequestOptions) => apiRequest<T>('PATCH', path, body ?? {}, opts),
  del: <T>(path: string, opts?: RequestOptions) => apiRequest<T>('DELETE', path, undefined, opts),
}

export function useApi() {
  return api
}
