import { describe, expect, it } from 'vitest'
import { ApiError } from '../../app/utils/apiError'
import { lastSeenLabel, presenceLabel } from '../../app/utils/format'
import { AUDIENCES, describeUserError, isAudience, privacyRefusal, withChange } from '../../app/utils/privacy'
import type { PrivacyDto } from '../../app/utils/types'

const NOW = new Date('2026-03-10T12:00:00Z')

describe('presence with hidden last seen', () => {
  it('says nothing when the last seen is hidden (online false, no time)', () => {
    expect(presenceLabel({ online: false, last_seen_at: null }, NOW)).toBe('')
    expect(lastSeenLabel(null, NOW)).toBe('')
    expect(lastSeenLabel('not a date', NOW)).toBe('')
  })

  it('says nothing before presence is known', () => {
    expect(presenceLabel(undefined, NOW)).toBe('')
    expect(presenceLabel(null, NOW)).toBe('')
  })

  it('shows online and last seen when shared', () => {
    expect(presenceLabel({ online: true, last_seen_at: null }, NOW)).toBe('online')
    expect(presenceLabel({ online: true, last_seen_at: '2026-03-10T11:00:00Z' }, NOW)).toBe('online')
    expect(presenceLabel({ online: false, last_seen_at: '2026-03-10T11:59:50Z' }, NOW)).toBe('last seen just now')
    expect(presenceLabel({ online: false, last_seen_at: '2026-03-10T11:55:00Z' }, NOW)).toBe('last seen 5 min ago')
    expect(presenceLabel({ online: false, last_seen_at: '2026-03-01T08:00:00Z' }, NOW)).toMatch(/^last seen /)
  })
})

describe('privacy settings', () => {
  it('offers the three audiences', () => {
    expect(AUDIENCES.map((a) => a.value)).toEqual(['everyone', 'contacts', 'nobody'])
    expect(AUDIENCES.find((a) => a.value === 'contacts')?.label).toBe('My contacts')
    expect(isAudience('contacts')).toBe(true)
    expect(isAudience('friends')).toBe(false)
    expect(isAudience(undefined)).toBe(false)
  })

  it('changes one field without touching the others', () => {
    const p: PrivacyDto = { last_seen: 'everyone', read_receipts: true, direct_messages: 'everyone', group_adds: 'everyone' }
    const q = withChange(p, 'read_receipts', false)
    expect(q).toEqual({ ...p, read_receipts: false })
    expect(p.read_receipts).toBe(true)
    expect(withChange(p, 'last_seen', 'nobody').last_seen).toBe('nobody')
  })
})

describe('refusals caused by the other person', () => {
  const dm = new ApiError(403, 'direct_messages_not_allowed', 'direct messages not allowed')
  const group = new ApiError(403, 'group_add_not_allowed', 'group add not allowed')

  it('explains a refused direct chat', () => {
    expect(privacyRefusal(dm, 'Alice')).toBe('Alice only accepts messages from their contacts.')
    expect(privacyRefusal(dm)).toBe('This person only accepts messages from their contacts.')
    expect(describeUserError(dm, 'Alice')).toBe('Alice only accepts messages from their contacts.')
  })

  it('explains a refused group add, and what to do instead', () => {
    expect(privacyRefusal(group, 'Alice')).toBe("Alice doesn't allow being added to groups; send an invite link instead.")
    expect(privacyRefusal(group, '  ')).toMatch(/invite link/)
  })

  it('leaves other errors to describeError', () => {
    expect(privacyRefusal(new ApiError(403, 'forbidden', 'not a member'), 'Alice')).toBeNull()
    expect(privacyRefusal(new ApiError(404, 'direct_messages_not_allowed', 'x'), 'Alice')).toBeNull()
    expect(privacyRefusal(new Error('boom'), 'Alice')).toBeNull()
    expect(describeUserError(new ApiError(404, 'not_found', 'user not found'), 'Alice')).toBe('user not found')
    expect(describeUserError(new ApiError(0, 'network', 'network error'), 'Alice')).toBe('Cannot reach the server. Check your connection.')
  })
})
