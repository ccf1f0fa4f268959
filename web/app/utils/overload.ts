// A 503 `overloaded` is answered before the server did any work for the request (its bounded
// queues refuse at the door: OPERATIONS.md "Overload"), so any request, a send included, may be
// sent again exactly as it was.

/** How many times one request is sent again after `overloaded`. */
export const OVERLOAD_RETRIES = 2

/**
 * Milliseconds to wait before sending a refused request again, or null to give up (another
 * error, or retries used up). Waits Retry-After (1-10 s) plus up to half of it at random, so the
 * clients refused together do not all come back in the same instant.
 */
export function overloadRetryDelay(
  code: string,
  retryAfter: number | null,
  attempt: number,
  random: () => number = Math.random,
): number | null {
  if (code !== 'overloaded' || attempt >= OVERLOAD_RETRIES) return null
  const seconds = Math.min(Math.max(retryAfter ?? 1, 1), 10)
  return Math.round(seconds * 1000 * (1 + random() * 0.5))
}
