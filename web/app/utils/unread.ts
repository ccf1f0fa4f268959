// The first unread message of a chat, as it was when the chat was opened: the list shows a
// divider above it and opens there (or offers to jump there when it is not loaded yet).

import type { ChatMessage } from './messages'
import type { TimelineItem } from './format'

export type Row = TimelineItem | { kind: 'unread'; key: string }

export const UNREAD_KEY = 'unread-divider'

/** The seq of the first held message of someone else after `lastReadSeq`, or 0 when there is none. */
export function firstUnreadSeq(items: readonly ChatMessage[], lastReadSeq: number, myId: number): number {
  for (const m of items) {
    if (!m.local && m.seq > lastReadSeq && m.sender_id !== myId) return m.seq
  }
  return 0
}

/** Unread messages exist older than the oldest one held (the list must load more to show them). */
export function unreadAboveLoaded(items: readonly ChatMessage[], lastReadSeq: number, unreadCount: number, hasMoreBefore: boolean): boolean {
  if (unreadCount <= 0 || !hasMoreBefore) return false
  const oldest = items.find((m) => !m.local)
  return !oldest || oldest.seq > lastReadSeq + 1
}

/** The timeline with the unread divider before the message `seq` (unchanged for 0 or unknown). */
export function withUnreadDivider(timeline: TimelineItem[], seq: number): Row[] {
  if (!seq) return timeline
  const i = timeline.findIndex((r) => r.kind === 'message' && r.message.seq === seq)
  if (i < 0) return timeline
  // Above the day separator when the unread message opens a day.
  const at = i > 0 && timeline[i - 1]!.kind === 'day' ? i - 1 : i
  return [...timeline.slice(0, at), { kind: 'unread', key: UNREAD_KEY }, ...timeline.slice(at)]
}
