// A chat opened at one message (a search result: `/c/<id>?seq=N`). The list then holds a window
// of history around it (`GET …/messages?around=N`), which may end before the newest message:
// `hasMoreAfter`. Such a window stays gap-free by seq like any list: older pages load on scroll
// up, newer ones on scroll down (`after_seq`), and live messages are not merged into it (they
// would leave a hole) but fetched with the last newer page; from then on the list is live again.

import { isPending, mergeMessages, type ChatMessage } from './messages'
import type { MessageDto } from './types'

export interface HeldWindow {
  items: readonly ChatMessage[]
  /** Older messages exist on the server. */
  hasMoreBefore: boolean
  /** Newer messages exist on the server (the window is not live). */
  hasMoreAfter: boolean
}

function storedRange(items: readonly ChatMessage[]): [number, number] | null {
  let lo = 0
  let hi = 0
  for (const m of items) {
    if (isPending(m)) continue
    if (!lo || m.seq < lo) lo = m.seq
    if (m.seq > hi) hi = m.seq
  }
  return lo ? [lo, hi] : null
}

/**
 * Whether the window reaches `seq` (the message, or where it would be when it is gone: cleared,
 * or not arrived yet at the live end), so opening the chat there needs no new window.
 */
export function holdsSeq(w: HeldWindow, seq: number): boolean {
  const range = storedRange(w.items)
  if (!range) return !w.hasMoreBefore && !w.hasMoreAfter
  return (range[0] <= seq || !w.hasMoreBefore) && (seq <= range[1] || !w.hasMoreAfter)
}

/** The list once a page replaces its window: the page, and my sends the server has not confirmed. */
export function replaceWindow(list: ChatMessage[], page: MessageDto[]): ChatMessage[] {
  return mergeMessages(list.filter(isPending), page)
}

/**
 * The seq of the row to show and highlight for `seq`: the message itself, the first one after it
 * when it is gone (cleared for me), the newest one when it is past the end; 0 while the window
 * does not reach it (the page around it is still loading).
 */
export function focusTarget(w: HeldWindow, seq: number): number {
  if (!seq || !holdsSeq(w, seq)) return 0
  let last = 0
  for (const m of w.items) {
    if (isPending(m)) continue
    if (m.seq >= seq) return m.seq
    last = m.seq
  }
  return last
}

/** Close enough to the bottom of the scroller to load the next newer page. */
export function nearBottom(el: { scrollHeight: number; scrollTop: number; clientHeight: number }, slack = 150): boolean {
  return el.scrollHeight - el.scrollTop - el.clientHeight < slack
}

/**
 * What opening a chat loads: a new `window` (the newest page, or the one around `around`), the
 * `tail` a live list misses (and changes), or only the `changes` of a window of older history
 * that already holds the message.
 */
export function openPlan(w: HeldWindow & { loaded: boolean }, around?: number): 'window' | 'tail' | 'changes' {
  if (!w.loaded) return 'window'
  if (around) return holdsSeq(w, around) ? (w.hasMoreAfter ? 'changes' : 'tail') : 'window'
  return w.hasMoreAfter ? 'window' : 'tail'
}

/** Whether a live message (socket, a send's answer, a catch-up) may be merged: the list reaches the newest. */
export function takesLive(w: { loaded: boolean; hasMoreAfter: boolean }): boolean {
  return w.loaded && !w.hasMoreAfter
}
