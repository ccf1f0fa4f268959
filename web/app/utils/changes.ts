// Converging after a disconnect: which changes to stored messages (edits, deletions, reaction
// changes) a conversation's list holds. The server stamps each change with its conversation's
// next change version (gap-free, one per change) and announces it once (`message.updated`
// carrying `change_version`); the sidebar carries each conversation's latest version. So a list
// that applied every version up to `applied` and hears of `v`:
// - v = applied + 1: nothing was missed, `applied` moves on;
// - v > applied + 1: a change in between was missed (the socket was down, the queue overflowed):
//   ask `GET /conversations/{id}/messages?changed_since=<applied>` until caught up.
// New messages are not changes (seqs and `after_seq` cover them); messages that disappear for me
// (clear history, retention) are not either: `cleared_seq` covers them.

import type { MessageDto } from './types'
import { isPending, maxSeq, minSeq, type ChatMessage } from './messages'

export interface ChangeWatermark {
  /** Every change up to this version is applied to the list (0 before its first page). */
  applied: number
  /** The highest version heard of: events, REST answers, the sidebar. */
  heard: number
}

export const NO_CHANGES: ChangeWatermark = { applied: 0, heard: 0 }

function of(w: ChangeWatermark, applied: number, heard: number): ChangeWatermark {
  return applied === w.applied && heard === w.heard ? w : { applied, heard }
}

/** A change of version `v` was applied to a loaded list (an event, or my own REST answer). */
export function appliedChange(w: ChangeWatermark, v: number): ChangeWatermark {
  const applied = v === w.applied + 1 ? v : w.applied
  return of(w, applied, Math.max(w.heard, v, applied))
}

/** Version `v` exists, its content is not here (the sidebar; an event before the first page). */
export function heardOf(w: ChangeWatermark, v: number): ChangeWatermark {
  return of(w, w.applied, Math.max(w.heard, v))
}

/**
 * An answer reflecting every change up to `v` was merged: a `changed_since` page (its
 * `change_version`), or the first page of an empty list.
 */
export function caughtUpTo(w: ChangeWatermark, v: number): ChangeWatermark {
  const applied = Math.max(w.applied, v)
  return of(w, applied, Math.max(w.heard, applied))
}

/** Whether changes were missed: ask `changed_since=applied`. */
export function missesChanges(w: ChangeWatermark): boolean {
  return w.heard > w.applied
}

/**
 * The changed messages worth merging into a list: not those older than its oldest stored
 * message (not loaded: scrolling up brings them as they are now, and merging one would leave a
 * hole that paging back from the oldest would skip), nor, in a window that ends before the
 * newest message (`hasMoreAfter`, utils/focus.ts), those newer than its newest (the same hole
 * on the other side: scrolling down brings them).
 */
export function changesToMerge(list: ChatMessage[], changed: MessageDto[], hasMoreAfter = false): MessageDto[] {
  if (!list.some((m) => !isPending(m))) return hasMoreAfter ? [] : changed
  const oldest = minSeq(list)
  const newest = hasMoreAfter ? maxSeq(list) : Infinity
  return changed.filter((m) => m.seq >= oldest && m.seq <= newest)
}
