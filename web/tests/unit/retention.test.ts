import { describe, expect, it } from 'vitest'
import { RETENTION_CHOICES, daysLabel, retentionDone, retentionNote } from '../../app/utils/retention'
import { dropCleared, optimisticMessage, type ChatMessage } from '../../app/utils/messages'
import { SEND_LIMITED, describeError, isSendLimitedError, ApiError } from '../../app/utils/apiError'
import { flagKindLabel, isSendLimited } from '../../app/utils/admin'
import { whenLabel } from '../../app/utils/format'
import { message } from './fixtures'

const stored = (seq: number): ChatMessage => message(seq, { client_id: `c${seq}` })

describe('retention labels', () => {
  it('offers off, a day, a week and a month', () => {
    expect(RETENTION_CHOICES.map((c) => c.label)).toEqual(['Off', '1 day', '7 days', '30 days'])
    expect(RETENTION_CHOICES[0]!.days).toBeNull()
  })

  it('reads the setting', () => {
    expect(daysLabel(1)).toBe('1 day')
    expect(daysLabel(7)).toBe('7 days')
    expect(retentionNote(null)).toBe('')
    expect(retentionNote(undefined)).toBe('')
    expect(retentionNote(1)).toBe('Messages disappear after 1 day')
    expect(retentionNote(30)).toBe('Messages disappear after 30 days')
    expect(retentionDone(null)).toBe('Messages no longer disappear')
    expect(retentionDone(7)).toBe('Messages now disappear after 7 days')
  })
})

describe('dropCleared', () => {
  it('drops stored messages up to the clear point and keeps the rest and my pending ones', () => {
    const pending = optimisticMessage({ conversationId: 1, senderId: 1, clientId: 'p', body: 'hi' })
    const list = [stored(1), stored(2), stored(3), pending]
    expect(dropCleared(list, 2).map((m) => m.client_id)).toEqual(['c3', 'p'])
    expect(dropCleared(list, 3).map((m) => m.client_id)).toEqual(['p'])
  })

  it('returns the same list when nothing goes', () => {
    const list = [stored(3), stored(4)]
    expect(dropCleared(list, 2)).toBe(list)
    expect(dropCleared([], 5)).toEqual([])
  })
})

describe('flood control', () => {
  it('explains a refused send', () => {
    const e = new ApiError(429, 'send_limited', 'sending is paused', [], 600)
    expect(isSendLimitedError(e)).toBe(true)
    expect(describeError(e)).toBe(SEND_LIMITED)
    expect(SEND_LIMITED).toContain('Sending is paused')
    const other = new ApiError(429, 'rate_limited', 'slow down', [], 5)
    expect(isSendLimitedError(other)).toBe(false)
    expect(describeError(other)).toBe('Too many requests; try again in 5 s.')
  })

  it('names the flag kinds', () => {
    expect(flagKindLabel('repeated_messages')).toBe('Repeated messages')
    expect(flagKindLabel('new_chats')).toBe('Many new chats')
    expect(flagKindLabel('something_else')).toBe('Something else')
  })

  it('knows whether sending is paused now', () => {
    const now = Date.parse('2026-01-01T12:00:00Z')
    expect(isSendLimited({ send_limited_until: null }, now)).toBe(false)
    expect(isSendLimited({ send_limited_until: '2026-01-01T12:15:00Z' }, now)).toBe(true)
    expect(isSendLimited({ send_limited_until: '2026-01-01T11:45:00Z' }, now)).toBe(false)
  })

  it('labels times: just the time today, the date otherwise', () => {
    const now = new Date('2026-03-10T12:00:00')
    expect(whenLabel(new Date('2026-03-10T12:15:00').toISOString(), now)).not.toMatch(/Mar/)
    expect(whenLabel(new Date('2026-03-08T12:15:00').toISOString(), now)).toContain(',')
  })
})
