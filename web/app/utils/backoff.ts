// Reconnect delays: exponential growth with jitter, so that a crashed ws replica's clients do
// not all come back in the same millisecond.

export interface BackoffOptions {
  baseMs: number
  maxMs: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 15_000 }

/**
 * Delay before reconnect attempt `attempt` (0 = first retry): uniformly random between
 * baseMs and min(maxMs, baseMs * 2^attempt). Always within [baseMs, maxMs].
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random = Math.random): number {
  const n = Math.max(0, Math.min(attempt, 30))
  const cap = Math.min(opts.maxMs, opts.baseMs * 2 ** n)
  return Math.round(opts.baseMs + random() * (cap - opts.baseMs))
}

/** A close the server asked us to retry right away (restart, slow consumer): small jitter only. */
export function immediateDelay(random = Math.random): number {
  return Math.round(random() * 250)
}
