import { describe, expect, it } from 'vitest'
import { linkErrorMessage, mayUnlink, signInMethods } from '../../app/utils/identities'
import type { LinkedIdentityDto } from '../../app/utils/types'

const linked = (provider: string): LinkedIdentityDto => ({ provider, label: provider.toUpperCase(), email: null, linked_at: '2026-12-06T10:00:00Z' })

describe('sign-in methods', () => {
  it('lists every configured provider and linked ones no longer configured', () => {
    const rows = signInMethods([{ name: 'a', label: 'A' }, { name: 'b', label: 'B' }], [linked('b'), linked('gone')])
    expect(rows.map((r) => [r.provider, r.linked !== null])).toEqual([['a', false], ['b', true], ['gone', true]])
  })

  it('never offers to unlink the last way in', () => {
    expect(mayUnlink('a', [linked('a')], true)).toBe(true)
    expect(mayUnlink('a', [linked('a')], false)).toBe(false)
    expect(mayUnlink('a', [linked('a'), linked('b')], false)).toBe(true)
  })

  it('words the link errors', () => {
    expect(linkErrorMessage('identity_in_use')).toContain('another user')
    expect(linkErrorMessage('whatever')).toContain('failed')
  })
})
