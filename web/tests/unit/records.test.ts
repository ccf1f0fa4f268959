import { describe, expect, it } from 'vitest'
import { withoutKey } from '../../app/utils/records'

describe('withoutKey', () => {
  it('copies the record without the key and leaves the original alone', () => {
    const byId = { 1: 'a', 2: 'b' }
    expect(withoutKey(byId, 1)).toEqual({ 2: 'b' })
    expect(byId).toEqual({ 1: 'a', 2: 'b' })
  })

  it('returns the same record when the key is absent (nothing to re-render)', () => {
    const byId = { 1: 'a' }
    expect(withoutKey(byId, 3)).toBe(byId)
  })
})
