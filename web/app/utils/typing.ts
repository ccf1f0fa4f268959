// Typing indicators, both directions.

import { withoutKey } from './records'

/** How long a received "typing" stays visible without a new event. */
export const TYPING_TTL_MS = 5_000
/** Minimum gap between two `active: true` sends while the user keeps typing. */
export const TYPING_SEND_EVERY_MS = 3_000
/** Quiet time after the last keystroke before we tell the others we stopped. */
export const TYPING_IDLE_MS = 3_000

/** conversation id -> user id -> expiry time (ms). */
export type TypingMap = Record<number, Record<number, number>>

export function applyTyping(
  state: TypingMap,
  ev: { conversation_id: number; user_id: number; active: boolean },
  now: number,
  ttl = TYPING_TTL_MS,
): TypingMap {
  const current = state[ev.conversation_id] ?? {}
  const users = ev.active ? { ...current, [ev.user_id]: now + ttl } : withoutKey(current, ev.user_id)
  return { ...state, [ev.conversation_id]: users }
}

/** User ids typing in a conversation at `now`. */
export function typingUsers(state: TypingMap, conversationId: number, now: number): number[] {
  const users = state[conversationId]
  if (!users) return []
  return Object.entries(users)
    .filter(([, until]) => until > now)
    .map(([id]) => Number(id))
}

/** Drops expired entries; returns the same object when nothing expired. */
export function pruneTyping(state: TypingMap, now: number): TypingMap {
  let changed = false
  const next: TypingMap = {}
  for (const [cid, users] of Object.entries(state)) {
    const kept: Record<number, number> = {}
    for (const [uid, until] of Object.entries(users)) {
      if (until > now) kept[Number(uid)] = until
      else changed = true
    }
    if (Object.keys(kept).length) next[Number(cid)] = kept
    else if (Object.keys(users).length === 0) changed = true
  }
  return changed ? next : state
}

/**
 * Decides when to send my own typing state: `active: true` at most every TYPING_SEND_EVERY_MS
 * while typing, `active: false` once on stop/send (only if we said true before).
 */
export class TypingThrottle {
  private lastSentAt = -Infinity
  private active = false

  constructor(private readonly everyMs = TYPING_SEND_EVERY_MS) {}

  /** A keystroke at `now`: true when an `active: true` should go out. */
  input(now: number): boolean {
    if (this.active && now - this.lastSentAt < this.everyMs) return false
    this.active = true
    this.lastSentAt = now
    return true
  }

  /** Typing stopped (idle, message sent, chat left): true when an `active: false` should go out. */
  stop(): boolean {
    if (!this.active) return false
    this.active = false
    this.lastSentAt = -Infinity
    return true
  }
}
