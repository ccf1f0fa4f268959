// Dates and labels for the message view and the sidebar.

import type { ChatMessage } from './messages'
import { relativeDay, userLocale } from './locale'

/** Local calendar day of an ISO time, as YYYY-MM-DD. */
export function dayKey(iso: string): string {
  const d = new Date(iso)
  const m = String(d.getMonth() + 1).padStart(2, '0')
  const day = String(d.getDate()).padStart(2, '0')
  return `${d.getFullYear()}-${m}-${day}`
}

/** A day separator's label in `locale` (the browser's): "Today", "Yesterday", "Mon, 1 December". */
export function dayLabel(iso: string, now = new Date(), locale = userLocale()): string {
  const key = dayKey(iso)
  if (key === dayKey(now.toISOString())) return relativeDay(0, locale)
  const y = new Date(now)
  y.setDate(now.getDate() - 1)
  if (key === dayKey(y.toISOString())) return relativeDay(-1, locale)
  const d = new Date(iso)
  const sameYear = d.getFullYear() === now.getFullYear()
  return d.toLocaleDateString(locale, { weekday: sameYear ? 'short' : undefined, day: 'numeric', month: 'long', year: sameYear ? undefined : 'numeric' })
}

export function timeLabel(iso: string, locale = userLocale()): string {
  return new Date(iso).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' })
}

/** Sidebar time: hh:mm today, otherwise a short date. */
export function shortWhen(iso: string | null, now = new Date()): string {
  if (!iso) return ''
  if (dayKey(iso) === dayKey(now.toISOString())) return timeLabel(iso)
  return new Date(iso).toLocaleDateString(userLocale(), { day: 'numeric', month: 'short' })
}

/** A moment in lists (admin): hh:mm today, otherwise a short date and hh:mm. */
export function whenLabel(iso: string, now = new Date()): string {
  if (dayKey(iso) === dayKey(now.toISOString())) return timeLabel(iso)
  return `${new Date(iso).toLocaleDateString(userLocale(), { day: 'numeric', month: 'short' })}, ${timeLabel(iso)}`
}

export type TimelineItem =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'message'; key: string; message: ChatMessage }

/** The message list with a day separator before the first message of each day. */
export function withDaySeparators(list: ChatMessage[], key: (m: ChatMessage) => string, now = new Date()): TimelineItem[] {
  const out: TimelineItem[] = []
  let last = ''
  for (const m of list) {
    const day = dayKey(m.created_at)
    if (day !== last) {
      out.push({ kind: 'day', key: `day-${day}`, label: dayLabel(m.created_at, now) })
      last = day
    }
    out.push({ kind: 'message', key: key(m), message: m })
  }
  return out
}

export function initials(name: string): string {
  const parts = name.trim().split(/[\s._-]+/).filter(Boolean)
  const letters = parts.length > 1 ? parts[0]![0]! + parts[1]![0]! : (parts[0] ?? '?').slice(0, 2)
  return letters.toUpperCase()
}

/**
 * "last seen …", or "" without a time: a user who hides their last seen from me comes with none,
 * and "offline" or "last seen never" would tell something they chose not to share.
 */
export function lastSeenLabel(iso: string | null, now = new Date()): string {
  if (!iso || Number.isNaN(Date.parse(iso))) return ''
  const mins = Math.round((now.getTime() - Date.parse(iso)) / 60_000)
  if (mins < 1) return 'last seen just now'
  if (mins < 60) return `last seen ${mins} min ago`
  return `last seen ${shortWhen(iso, now)}`
}

/** The presence line of a direct chat: "online", "last seen …", or "" (hidden or unknown). */
export function presenceLabel(p: { online: boolean; last_seen_at: string | null } | null | undefined, now = new Date()): string {
  if (!p) return ''
  if (p.online) return 'online'
  return lastSeenLabel(p.last_seen_at, now)
}
