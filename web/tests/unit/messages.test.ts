import { describe, expect, it } from 'vitest'
import {
  applyNewMessage,
  applyReceipt,
  applyUpdate,
  reactedByMe,
  detectGap,
  holes,
  maxSeq,
  mergeMessages,
  messageKey,
  messageTick,
  optimisticMessage,
  seenBy,
  setLocalState,
  unreadCount,
  type ChatMessage,
} from '../../app/utils/messages'
import type { ConversationDto, ReceiptDto } from '../../app/utils/types'
import { message as msg, PEER } from './fixtures'

const ME = 1


const seqs = (l: ChatMessage[]) => l.map((m) => m.seq)

describe('mergeMessages', () => {
  it('sorts by seq and dedupes a redelivered message', () => {
    let list: ChatMessage[] = []
    list = mergeMessages(list, [msg(2), msg(1)])
    list = mergeMessages(list, [msg(3)])
    const again = mergeMessages(list, [msg(3), msg(2)])
    expect(seqs(list)).toEqual([1, 2, 3])
    expect(again).toBe(list) // nothing changed: same array
  })

  it('prepends an older page and appends a newer one', () => {
    let list = mergeMessages([], [msg(51), msg(52)])
    list = mergeMessages(list, [msg(49), msg(50)])
    list = mergeMessages(list, [msg(53)])
    expect(seqs(list)).toEqual([49, 50, 51, 52, 53])
  })

  it('keeps the later version of an edited or deleted message', () => {
    let list = mergeMessages([], [msg(1)])
    list = mergeMessages(list, [msg(1, { body: 'edited', edited_at: '2026-01-01T10:01:00Z' })])
    expect(list[0]!.body).toBe('edited')
    // an older copy (redelivered message.new) does not undo the edit
    list = mergeMessages(list, [msg(1)])
    expect(list[0]!.body).toBe('edited')
    list = mergeMessages(list, [msg(1, { body: '', deleted_at: '2026-01-01T10:02:00Z' })])
    expect(list[0]!.deleted_at).not.toBeNull()
  })

  it('replaces my optimistic message by the stored one, matched by client_id', () => {
    const pending = optimisticMessage({ conversationId: 7, senderId: ME, clientId: 'c-1', body: 'hi' })
    let list = mergeMessages([], [msg(1)])
    list = [...list, pending]
    expect(list[1]!.local?.state).toBe('sending')
    const stored = msg(2, { sender_id: ME, client_id: 'c-1', body: 'hi' })
    list = mergeMessages(list, [stored])
    expect(seqs(list)).toEqual([1, 2])
    expect(list[1]!.local).toBeUndefined()
    // same render key before and after: the bubble is replaced in place
    expect(messageKey(list[1]!)).toBe(messageKey(pending))
  })

  it('keeps optimistic messages after the stored ones, in send order', () => {
    const a = optimisticMessage({ conversationId: 7, senderId: ME, clientId: 'a', body: 'a' })
    const b = optimisticMessage({ conversationId: 7, senderId: ME, clientId: 'b', body: 'b' })
    let list: ChatMessage[] = [a, b]
    list = mergeMessages(list, [msg(5)])
    expect(list.map((m) => m.client_id)).toEqual([msg(5).client_id, 'a', 'b'])
    list = mergeMessages(list, [msg(6, { sender_id: ME, client_id: 'b' })])
    expect(list.map((m) => m.client_id)).toEqual([msg(5).client_id, 'b', 'a'])
  })

  it('marks a failed send and back to sending for the retry', () => {
    let list: ChatMessage[] = [optimisticMessage({ conversationId: 7, senderId: ME, clientId: 'x', body: 'x' })]
    list = setLocalState(list, 'x', 'failed', 'offline')
    expect(list[0]!.local).toEqual({ state: 'failed', error: 'offline' })
    list = setLocalState(list, 'x', 'sending')
    expect(list[0]!.local?.state).toBe('sending')
  })
})

describe('applyUpdate', () => {
  it('replaces by id and ignores unknown ids', () => {
    const list = mergeMessages([], [msg(1), msg(2)])
    const next = applyUpdate(list, msg(2, { body: '', deleted_at: '2026-01-01T11:00:00Z' }))
    expect(next[1]!.deleted_at).toBe('2026-01-01T11:00:00Z')
    expect(applyUpdate(list, msg(9))).toBe(list)
  })

  it('applies a change of reactions alone, and ignores the same reactions again', () => {
    const list = mergeMessages([], [msg(1)])
    const thumbs = [{ emoji: '👍', count: 1, user_ids: [7] }]
    const next = applyUpdate(list, msg(1, { reactions: thumbs }))
    expect(next[0]!.reactions).toEqual(thumbs)
    expect(applyUpdate(next, msg(1, { reactions: [{ ...thumbs[0]!, me: true }] }))).toBe(next)
    expect(reactedByMe(thumbs[0]!, 7)).toBe(true)
    expect(reactedByMe(thumbs[0]!, 8)).toBe(false)
  })
})

describe('gap detection', () => {
  it('finds the missing range before a new message', () => {
    expect(detectGap(5, 6)).toBeNull()
    expect(detectGap(5, 5)).toBeNull() // duplicate
    expect(detectGap(5, 3)).toBeNull() // old redelivery
    expect(detectGap(5, 9)).toEqual({ afterSeq: 5, untilSeq: 8 })
    expect(detectGap(0, 1)).toBeNull()
  })

  it('reports holes inside a list and the newest seq', () => {
    const list = mergeMessages([], [msg(1), msg(2), msg(5)])
    expect(holes(list)).toEqual([3, 4])
    expect(maxSeq(list)).toBe(5)
    expect(maxSeq([])).toBe(0)
  })
})

function conv(extra: Partial<ConversationDto> = {}): ConversationDto {
  return {
    id: 7,
    kind: 'direct',
    group_id: null,
    group_name: null,
    group_avatar_id: null,
    name: null,
    peer: { id: PEER, username: 'bob', display_name: 'Bob', avatar_id: null, alias: null, status_emoji: null, blocked: false, messaging_blocked: false },
    last_seq: 0,
    last_message_at: null,
    last_message: null,
    unread_count: 0,
    last_read_seq: 0,
    last_delivered_seq: 0,
    cleared_seq: 0,
    pinned: false,
    archived: false,
    muted_until: null,
    change_version: 0,
    retention_days: null,
    ...extra,
  }
}

describe('unread counting', () => {
  it('counts above both the read watermark and the clear point', () => {
    expect(unreadCount({ last_seq: 10, last_read_seq: 4, cleared_seq: 0 })).toBe(6)
    expect(unreadCount({ last_seq: 10, last_read_seq: 4, cleared_seq: 8 })).toBe(2)
    expect(unreadCount({ last_seq: 3, last_read_seq: 5, cleared_seq: 0 })).toBe(0)
  })

  it("raises unread for others' messages, not for mine", () => {
    let c = conv({ last_seq: 2, last_read_seq: 2 })
    c = applyNewMessage(c, msg(3), ME)
    c = applyNewMessage(c, msg(4), ME)
    expect(c.unread_count).toBe(2)
    expect(c.last_message?.seq).toBe(4)
    c = applyNewMessage(c, msg(5, { sender_id: ME }), ME)
    expect(c.unread_count).toBe(0) // sending marks everything up to it read
    // a late redelivery of an older message does not replace the preview
    c = applyNewMessage(c, msg(3), ME)
    expect(c.last_message?.seq).toBe(5)
    expect(c.last_seq).toBe(5)
  })
})

describe('receipts and ticks', () => {
  const mine = msg(3, { sender_id: ME })

  it('watermarks never move back', () => {
    let r: ReceiptDto[] = []
    r = applyReceipt(r, { conversation_id: 7, user_id: PEER, delivered_seq: 5, read_seq: 3 })
    const same = applyReceipt(r, { conversation_id: 7, user_id: PEER, delivered_seq: 4, read_seq: 2 })
    expect(same).toBe(r)
    r = applyReceipt(r, { conversation_id: 7, user_id: PEER, delivered_seq: 4, read_seq: 5 })
    expect(r[0]).toMatchObject({ delivered_seq: 5, read_seq: 5 })
  })

  it('goes sent -> delivered -> read', () => {
    const r0: ReceiptDto[] = [{ conversation_id: 7, user_id: ME, delivered_seq: 3, read_seq: 3 }]
    expect(messageTick(mine, ME, r0)).toBe('sent')
    const r1 = applyReceipt(r0, { conversation_id: 7, user_id: PEER, delivered_seq: 3, read_seq: 0 })
    expect(messageTick(mine, ME, r1)).toBe('delivered')
    const r2 = applyReceipt(r1, { conversation_id: 7, user_id: PEER, delivered_seq: 3, read_seq: 3 })
    expect(messageTick(mine, ME, r2)).toBe('read')
    const pending = optimisticMessage({ conversationId: 7, senderId: ME, clientId: 'p', body: 'p' })
    expect(messageTick(pending, ME, r2)).toBe('sending')
  })

  it('lists who has seen a group message', () => {
    const r: ReceiptDto[] = [
      { conversation_id: 7, user_id: ME, delivered_seq: 9, read_seq: 9 },
      { conversation_id: 7, user_id: 2, delivered_seq: 9, read_seq: 3 },
      { conversation_id: 7, user_id: 3, delivered_seq: 9, read_seq: 2 },
      { conversation_id: 7, user_id: 4, delivered_seq: 9, read_seq: 9 },
    ]
    expect(seenBy(mine, ME, r)).toEqual([2, 4])
  })
})
