import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { backoffDelay, immediateDelay } from '../../app/utils/backoff'
import { applyTyping, pruneTyping, typingUsers, TypingThrottle, TYPING_TTL_MS } from '../../app/utils/typing'
import { WatermarkPoster } from '../../app/utils/watermark'
import { filterConversations, sortConversations, directPeerIds } from '../../app/utils/sidebar'
import { withDaySeparators } from '../../app/utils/format'
import { optimisticMessage } from '../../app/utils/messages'
import { shouldNotify, titleWithUnread, unreadTotal } from '../../app/utils/notify'
import type { ConversationDto } from '../../app/utils/types'

describe('reconnect backoff', () => {
  it('stays within 0.5 s .. 15 s and grows', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      for (const r of [0, 0.25, 0.5, 0.999999, 1]) {
        const d = backoffDelay(attempt, undefined, () => r)
        expect(d).toBeGreaterThanOrEqual(500)
        expect(d).toBeLessThanOrEqual(15_000)
      }
    }
    expect(backoffDelay(0, undefined, () => 1)).toBe(500)
    expect(backoffDelay(3, undefined, () => 1)).toBe(4_000)
    expect(backoffDelay(10, undefined, () => 1)).toBe(15_000)
    expect(backoffDelay(10, undefined, () => 0)).toBe(500) // jitter spans the whole range
  })

  it('uses only a small jitter for an immediate reconnect', () => {
    expect(immediateDelay(() => 0)).toBe(0)
    expect(immediateDelay(() => 1)).toBeLessThanOrEqual(250)
  })
})

describe('typing', () => {
  it('expires an indicator 5 s after the last event', () => {
    let s = applyTyping({}, { conversation_id: 1, user_id: 2, active: true }, 1_000)
    expect(typingUsers(s, 1, 1_000 + TYPING_TTL_MS - 1)).toEqual([2])
    expect(typingUsers(s, 1, 1_000 + TYPING_TTL_MS)).toEqual([])
    // a new event extends it
    s = applyTyping(s, { conversation_id: 1, user_id: 2, active: true }, 4_000)
    expect(typingUsers(s, 1, 8_000)).toEqual([2])
    s = applyTyping(s, { conversation_id: 1, user_id: 2, active: false }, 5_000)
    expect(typingUsers(s, 1, 5_000)).toEqual([])
  })

  it('prunes expired entries only when there are some', () => {
    const s = applyTyping({}, { conversation_id: 1, user_id: 2, active: true }, 0)
    expect(pruneTyping(s, 1_000)).toBe(s)
    expect(pruneTyping(s, 10_000)).toEqual({})
  })

  it('sends active at most every 3 s and inactive once', () => {
    const t = new TypingThrottle(3_000)
    expect(t.input(0)).toBe(true)
    expect(t.input(1_000)).toBe(false)
    expect(t.input(2_999)).toBe(false)
    expect(t.input(3_000)).toBe(true)
    expect(t.stop()).toBe(true)
    expect(t.stop()).toBe(false)
    expect(t.input(3_100)).toBe(true) // typing again right after a send
  })
})

describe('watermark posting', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('posts the highest offered value once, never a lower one', async () => {
    const posted: number[] = []
    const w = new WatermarkPoster(async (v) => void posted.push(v), 2, 100)
    w.offer(3)
    w.offer(5)
    w.offer(4)
    w.offer(1)
    await vi.advanceTimersByTimeAsync(150)
    expect(posted).toEqual([5])
    w.offer(5)
    w.offer(4)
    await vi.advanceTimersByTimeAsync(150)
    expect(posted).toEqual([5])
    w.known(9) // the server already has 9 (e.g. from another tab)
    w.offer(8)
    await vi.advanceTimersByTimeAsync(150)
    expect(posted).toEqual([5])
    w.offer(10)
    await vi.advanceTimersByTimeAsync(150)
    expect(posted).toEqual([5, 10])
  })

  it('retries a failed value when offered again', async () => {
    let fail = true
    const posted: number[] = []
    const w = new WatermarkPoster(async (v) => {
      if (fail) throw new Error('offline')
      posted.push(v)
    }, 0, 50)
    w.offer(3)
    await vi.advanceTimersByTimeAsync(100)
    expect(w.posted).toBe(0)
    fail = false
    w.offer(3)
    await vi.advanceTimersByTimeAsync(100)
    expect(posted).toEqual([3])
  })
})

function c(id: number, extra: Partial<ConversationDto>): ConversationDto {
  return {
    id, kind: 'direct', group_id: null, group_name: null, group_avatar_id: null, name: null,
    peer: { id: id * 10, username: `user${id}`, display_name: `User ${id}`, avatar_id: null, alias: null, status_emoji: null, blocked: false, messaging_blocked: false },
    last_seq: 0, last_message_at: null, last_message: null, unread_count: 0, last_read_seq: 0,
    last_delivered_seq: 0, cleared_seq: 0, pinned: false, archived: false, muted_until: null, retention_days: null, change_version: 0, ...extra,
  }
}

describe('sidebar', () => {
  const list = [
    c(1, { last_message_at: '2026-01-01T10:00:00Z' }),
    c(2, { last_message_at: '2026-01-01T12:00:00Z' }),
    c(3, { pinned: true, last_message_at: '2026-01-01T08:00:00Z' }),
    c(4, { archived: true }),
    c(5, { kind: 'channel', peer: null, group_id: 9, group_name: 'Team', name: 'general' }),
  ]

  it('puts pinned first, then the newest', () => {
    expect(sortConversations(list).map((x) => x.id)).toEqual([3, 2, 1, 5, 4])
  })

  it('filters locally and separates archived chats', () => {
    expect(filterConversations(list, 'user 2', false).map((x) => x.id)).toEqual([2])
    expect(filterConversations(list, 'team', false).map((x) => x.id)).toEqual([5])
    expect(filterConversations(list, '', true).map((x) => x.id)).toEqual([4])
    expect(directPeerIds(list)).toEqual([10, 20, 30, 40])
  })
})

describe('day separators', () => {
  it('adds one separator per day', () => {
    const at = (iso: string, id: string) => ({ ...optimisticMessage({ conversationId: 1, senderId: 1, clientId: id, body: '' }), created_at: iso })
    const items = withDaySeparators(
      [at('2026-01-01T10:00:00', 'a'), at('2026-01-01T11:00:00', 'b'), at('2026-01-02T09:00:00', 'c')],
      (m) => m.client_id,
      new Date('2026-01-02T12:00:00'),
    )
    expect(items.map((i) => i.kind)).toEqual(['day', 'message', 'message', 'day', 'message'])
    expect(items[3]).toMatchObject({ label: 'Today' })
    expect(items[0]).toMatchObject({ label: 'Yesterday' })
  })
})

describe('notifications', () => {
  const now = Date.parse('2026-11-23T12:00:00Z')
  const base = { hidden: true, myId: 1, permitted: true, conversation: { muted_until: null }, dndUntil: null, now }
  const m = { sender_id: 2, kind: 'text' as const }

  it('notifies for others while hidden, permitted, not muted and not in DND', () => {
    expect(shouldNotify(m, base)).toBe(true)
    expect(shouldNotify(m, { ...base, hidden: false })).toBe(false)
    expect(shouldNotify(m, { ...base, permitted: false })).toBe(false)
    expect(shouldNotify({ ...m, sender_id: 1 }, base)).toBe(false)
  })

  it('honours mute and do-not-disturb until their time', () => {
    expect(shouldNotify(m, { ...base, conversation: { muted_until: '2026-11-23T13:00:00Z' } })).toBe(false)
    expect(shouldNotify(m, { ...base, conversation: { muted_until: '2026-11-23T11:00:00Z' } })).toBe(true)
    expect(shouldNotify(m, { ...base, dndUntil: '9999-12-31T00:00:00Z' })).toBe(false)
    expect(shouldNotify(m, { ...base, dndUntil: '2026-11-23T11:59:00Z' })).toBe(true)
  })

  it('puts the unread total in the title', () => {
    expect(unreadTotal([{ unread_count: 2 }, { unread_count: 0 }, { unread_count: 5 }])).toBe(7)
    expect(titleWithUnread('Chat', 7)).toBe('(7) Chat')
    expect(titleWithUnread('Chat', 0)).toBe('Chat')
    expect(titleWithUnread('Chat', 250)).toBe('(99+) Chat')
  })
})
