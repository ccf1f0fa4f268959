import { describe, expect, it } from 'vitest'
import { OVERLOAD_RETRIES, overloadRetryDelay } from '../../app/utils/overload'

describe('overloadRetryDelay', () => {
  it('waits Retry-After plus up to half of it, then gives up', () => {
    expect(overloadRetryDelay('overloaded', 1, 0, () => 0)).toBe(1000)
    expect(overloadRetryDelay('overloaded', 2, 1, () => 1)).toBe(3000)
    expect(overloadRetryDelay('overloaded', 1, OVERLOAD_RETRIES, () => 0)).toBeNull()
  })

  it('bounds the wait and defaults it to one second', () => {
    expect(overloadRetryDelay('overloaded', null, 0, () => 0)).toBe(1000)
    expect(overloadRetryDelay('overloaded', 3600, 0, () => 0)).toBe(10000)
    expect(overloadRetryDelay('overloaded', 0, 0, () => 0)).toBe(1000)
  })

  it('never retries other 503s (database down, shutting down)', () => {
    expect(overloadRetryDelay('database_unavailable', 2, 0)).toBeNull()
    expect(overloadRetryDelay('http_503', 2, 0)).toBeNull()
  })
})
