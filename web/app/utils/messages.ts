// Pure message-list logic used by the messages store. Everything here is a plain function of
// its inputs so it can be unit-tested without Vue, Pinia or a server.
//
// A conversation's list holds server messages sorted by seq (each seq at most once) followed by
// my optimistic messages that the server has not confirmed yet (seq 0, `local` set).

import type { AttachmentDto, ConversationDto, MediaKind, MessageDto, ReactionDto, ReceiptDto } from './types'

export type LocalState = 'sending' | 'failed'

export interface ChatMessage extends MessageDto {
  /** Present only on an optimistic message that has no seq yet. */
  local?: { state: LocalState; error?: string }
}

export type Tick = 'sending' | 'failed' | 'sent' | 'delivered' | 'read'

export function isPending(m: ChatMessage): boolean {
  return m.local !== undefined
}

/** Stable key for rendering: the optimistic bubble and the stored message share it. */
export function messageKey(m: Pick<MessageDto, 'sender_id' | 'client_id'>): string {
  return `${m.sender_id}:${m.client_id}`
}

export function optimisticMessage(input: {
  conversationId: number
  senderId: number
  clientId: string
  body: string
  replyToId?: number | null
  /** A media message: its kind and the upload it carries. */
  media?: { kind: MediaKind; attachment: AttachmentDto }
  now?: Date
}): ChatMessage {
  return {
    id: 0,
    conversation_id: input.conversationId,
    seq: 0,
    sender_id: input.senderId,
    client_id: input.clientId,
    kind: input.media?.kind ?? 'text',
    body: input.body,
    attachment_id: input.media?.attachment.id ?? null,
    attachment: input.media?.attachment,
    reply_to_id: input.replyToId ?? null,
    edited_at: null,
    deleted_at: null,
    created_at: (input.now ?? new Date()).toISOString(),
    reactions: [],
    change_version: 0,
    local: { state: 'sending' },
  }
}

function time(s: string | null): number {
  return s ? Date.parse(s) : 0
}

/** Whether `b` is a later version of the same stored message than `a` (edit, delete, reactions). */
export function isNewerVersion(a: MessageDto, b: MessageDto): boolean {
  // The server's change version orders its states of a message; equal versions differ only by
  // my optimistic tombstone (shown before the server's own arrives).
  if (a.change_version !== b.change_version) return b.change_version > a.change_version
  if (!a.deleted_at && b.deleted_at) return true
  if (a.deleted_at && !b.deleted_at) return false
  return time(b.edited_at) > time(a.edited_at)
}

/**
 * Merge server messages into a list: dedupe by seq (a redelivered `message.new` changes
 * nothing), keep the later version of an edited/deleted message, and drop my optimistic copy
 * of any message the server now holds (matched by client_id). Returns the input array itself
 * when nothing changed, so callers can skip reactivity work.
 */
export function mergeMessages(list: ChatMessage[], incoming: MessageDto[]): ChatMessage[] {
  if (incoming.length === 0) return list
  const bySeq = new Map<number, ChatMessage>()
  const pending: ChatMessage[] = []
  for (const m of list) {
    if (isPending(m)) pending.push(m)
    else bySeq.set(m.seq, m)
  }
  let changed = false
  const confirmed = new Set<string>()
  for (const m of incoming) {
    confirmed.add(messageKey(m))
    const old = bySeq.get(m.seq)
    if (!old || isNewerVersion(old, m)) {
      bySeq.set(m.seq, { ...m })
      changed = true
    }
  }
  const stillPending = pending.filter((p) => !confirmed.has(messageKey(p)))
  if (stillPending.length !== pending.length) changed = true
  if (!changed) return list
  const stored = [...bySeq.values()].sort((a, b) => a.seq - b.seq)
  return [...stored, ...stillPending]
}

/** Replace a stored message by id (edit/delete events); unknown ids change nothing. */
export function applyUpdate(list: ChatMessage[], m: MessageDto): ChatMessage[] {
  const i = list.findIndex((x) => !isPending(x) && x.id === m.id)
  if (i < 0) return list
  const old = list[i]!
  // A late copy of an older state (an event redelivered after a catch-up) changes nothing.
  if (m.change_version < old.change_version) return list
  if (!isNewerVersion(old, m) && old.body === m.body && sameReactions(old.reactions, m.reactions)) return list
  const next = list.slice()
  next[i] = { ...m }
  return next
}

/** Reactions compared by emoji and who reacted (the `me` flag of REST answers is ignored). */
export function sameReactions(a: ReactionDto[], b: ReactionDto[]): boolean {
  const key = (list: ReactionDto[]) => list.map((r) => `${r.emoji}:${r.user_ids.join(',')}`).join('|')
  return key(a) === key(b)
}

/** Whether I reacted with this emoji. */
export function reactedByMe(r: ReactionDto, myId: number): boolean {
  return r.user_ids.includes(myId)
}

/** Set the local state of my optimistic message (failed send, retry). */
export function setLocalState(list: ChatMessage[], clientId: string, state: LocalState, error?: string): ChatMessage[] {
  return list.map((m) => (isPending(m) && m.client_id === clientId ? { ...m, local: { state, error } } : m))
}

export function removePending(list: ChatMessage[], clientId: string): ChatMessage[] {
  return list.filter((m) => !(isPending(m) && m.client_id === clientId))
}

/** Highest stored seq in the list (0 when none). */
export function maxSeq(list: ChatMessage[]): number {
  let max = 0
  for (const m of list) if (!isPending(m) && m.seq > max) max = m.seq
  return max
}

/**
 * The list once everything up to `clearedSeq` is gone for me (clear history, or disappearing
 * messages swept by the server): stored messages above it and my unconfirmed ones stay.
 */
export function dropCleared(list: ChatMessage[], clearedSeq: number): ChatMessage[] {
  if (!list.some((m) => !isPending(m) && m.seq <= clearedSeq)) return list
  return list.filter((m) => isPending(m) || m.seq > clearedSeq)
}

/** Lowest stored seq in the list (0 when none). */
export function minSeq(list: ChatMessage[]): number {
  for (const m of list) if (!isPending(m)) return m.seq
  return 0
}

/**
 * The range to fetch when a message with `seq` arrives and the list's newest stored seq is
 * `lastKnown`: messages lastKnown+1 .. seq-1 are missing. Null when there is no gap.
 */
export function detectGap(lastKnown: number, seq: number): { afterSeq: number; untilSeq: number } | null {
  if (seq > lastKnown + 1) return { afterSeq: lastKnown, untilSeq: seq - 1 }
  return null
}

/** Seqs missing inside the loaded window (should be empty; a non-empty result means a hole). */
export function holes(list: ChatMessage[]): number[] {
  const seqs = list.filter((m) => !isPending(m)).map((m) => m.seq)
  const out: number[] = []
  for (let i = 1; i < seqs.length; i++) for (let s = seqs[i - 1]! + 1; s < seqs[i]!; s++) out.push(s)
  return out
}

/** Unread as the server counts it: messages above both my read watermark and my clear point. */
export function unreadCount(c: Pick<ConversationDto, 'last_seq' | 'last_read_seq' | 'cleared_seq'>): number {
  return Math.max(0, c.last_seq - Math.max(c.last_read_seq, c.cleared_seq))
}

/**
 * A conversation's sidebar row after a new message arrived. My own message counts as read
 * (the server marks it so when I send); anything else raises the unread count.
 */
export function applyNewMessage(c: ConversationDto, m: MessageDto, myId: number): ConversationDto {
  const next: ConversationDto = { ...c }
  if (m.seq > c.last_seq) next.last_seq = m.seq
  if (!c.last_message || m.seq >= c.last_message.seq) {
    next.last_message = m
    next.last_message_at = m.created_at
  }
  if (m.sender_id === myId) {
    next.last_read_seq = Math.max(c.last_read_seq, m.seq)
    next.last_delivered_seq = Math.max(c.last_delivered_seq, m.seq)
  }
  next.unread_count = unreadCount(next)
  return next
}

/** Watermarks only move forward: the value to keep after seeing `candidate`. */
export function forward(current: number, candidate: number | null | undefined): number {
  return candidate != null && candidate > current ? candidate : current
}

/** Merge a receipt into the per-member watermarks of a conversation (never moving back). */
export function applyReceipt(list: ReceiptDto[], r: ReceiptDto): ReceiptDto[] {
  const i = list.findIndex((x) => x.user_id === r.user_id)
  if (i < 0) return [...list, { ...r }]
  const old = list[i]!
  const merged = {
    ...old,
    delivered_seq: forward(old.delivered_seq, r.delivered_seq),
    read_seq: forward(old.read_seq, r.read_seq),
  }
  if (merged.delivered_seq === old.delivered_seq && merged.read_seq === old.read_seq) return list
  const next = list.slice()
  next[i] = merged
  return next
}

/**
 * Status ticks of my message: sending/failed while optimistic, sent once stored, delivered when
 * any other member's delivered watermark reaches it, read when any other member's read one does
 * (groups show who in "seen by").
 */
export function messageTick(m: ChatMessage, myId: number, receipts: ReceiptDto[]): Tick {
  if (m.local) return m.local.state
  let delivered = false
  for (const r of receipts) {
    if (r.user_id === myId || r.user_id === m.sender_id) continue
    if (r.read_seq >= m.seq) return 'read'
    if (r.delivered_seq >= m.seq) delivered = true
  }
  return delivered ? 'delivered' : 'sent'
}

/** Members (other than the sender and me) whose read watermark reached the message. */
export function seenBy(m: ChatMessage, myId: number, receipts: ReceiptDto[]): number[] {
  if (m.local) return []
  return receipts
    .filter((r) => r.user_id !== myId && r.user_id !== m.sender_id && r.read_seq >= m.seq)
    .map((r) => r.user_id)
}
