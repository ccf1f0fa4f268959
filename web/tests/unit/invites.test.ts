import { describe, expect, it } from 'vitest'
import { expiryLabel, inviteUrl, usesLabel } from '../../app/utils/invites'

const now = new Date('2026-12-06T12:00:00Z')

describe('invite links', () => {
  it('builds the link the invite page opens', () => {
    expect(inviteUrl('https://chat.example.com', 'abc_-9')).toBe('https://chat.example.com/invite/abc_-9')
    expect(inviteUrl('http://localhost:8000/', 'x')).toBe('http://localhost:8000/invite/x')
  })

  it('says how often a link was used', () => {
    expect(usesLabel({ uses: 0, max_uses: null })).toBe('not used yet')
    expect(usesLabel({ uses: 1, max_uses: null })).toBe('used once')
    expect(usesLabel({ uses: 3, max_uses: null })).toBe('used 3 times')
    expect(usesLabel({ uses: 1, max_uses: 5 })).toBe('1 of 5 uses')
  })

  it('says when a link expires', () => {
    expect(expiryLabel(null, now)).toBe('never expires')
    expect(expiryLabel('2026-12-06T12:00:30Z', now)).toBe('expires in less than a minute')
    expect(expiryLabel('2026-12-06T12:45:00Z', now)).toBe('expires in 45 min')
    expect(expiryLabel('2026-12-06T17:10:00Z', now)).toBe('expires in 5 h')
    expect(expiryLabel('2026-12-09T12:00:00Z', now)).toBe('expires in 3 days')
    expect(expiryLabel('2026-12-07T13:00:00Z', now)).toBe('expires in 1 day')
  })
})
