// When a new message may raise a browser notification, and the unread total for the tab title.
// Plain functions (unit-tested); the socket handler and app.vue call them.

import type { ConversationDto, MessageDto } from './types'

export interface NotifyContext {
  /** The tab is hidden (`document.hidden`). */
  hidden: boolean
  myId: number
  /** The user allowed notifications (`Notification.permission === 'granted'`). */
  permitted: boolean
  conversation: Pick<ConversationDto, 'muted_until'> | undefined
  /** Do not disturb until (from `/api/me`), or null. */
  dndUntil: string | null
  now: number
}

/** Notify only for others' messages, while the tab is hidden, the chat not muted, no DND. */
export function shouldNotify(m: Pick<MessageDto, 'sender_id' | 'kind'>, c: NotifyContext): boolean {
  if (!c.hidden || !c.permitted || m.sender_id === c.myId || m.kind === 'system') return false
  if (c.dndUntil && Date.parse(c.dndUntil) > c.now) return false
  const muted = c.conversation?.muted_until
  return !(muted && Date.parse(muted) > c.now)
}

/** Sum of unread messages over the sidebar; muted chats count too (they are still unread). */
export function unreadTotal(list: Pick<ConversationDto, 'unread_count'>[]): number {
  return list.reduce((n, c) => n + Math.max(0, c.unread_count), 0)
}

/** `(3) Alice · Chat` while something is unread. */
export function titleWithUnread(title: string, unread: number): string {
  if (unread <= 0) return title
  return `(${unread > 99 ? '99+' : unread}) ${title}`
}
