// Pure helpers of the admin overview (bar chart geometry, node health labels) and of group
// deletion as the socket announces it.

import type { ConversationDto, ConversationUpdated } from './types'
import { formatSize } from './media'

export interface DayCount {
  day: string
  count: number
}

export interface Bar {
  day: string
  count: number
  x: number
  y: number
  width: number
  height: number
}

/**
 * Bars of a chart `width` x `height` (SVG units), one per day, oldest left; the tallest bar
 * fills the height, a day without messages gets no bar height (0), and a day with few still
 * shows (at least 1 unit) so it never reads as none.
 */
export function chartBars(days: DayCount[], width: number, height: number, gap = 2): Bar[] {
  if (days.length === 0) return []
  const max = Math.max(...days.map((d) => d.count))
  const slot = width / days.length
  const barWidth = Math.max(1, slot - gap)
  return days.map((d, i) => {
    const h = max === 0 || d.count === 0 ? 0 : Math.max(1, (d.count / max) * height)
    return { day: d.day, count: d.count, x: i * slot + gap / 2, y: height - h, width: barWidth, height: h }
  })
}

/** The y-axis labels: 0, the middle and the top (whole numbers, no duplicates). */
export function chartTicks(days: DayCount[]): number[] {
  const max = Math.max(0, ...days.map((d) => d.count))
  if (max === 0) return [0]
  const mid = Math.round(max / 2)
  return [...new Set([0, mid, max])]
}

/** `3 Dec`: a day of the chart as its label reads (UTC day, as the server counts). */
export function shortDay(day: string, locale?: string): string {
  const d = new Date(`${day}T00:00:00Z`)
  return d.toLocaleDateString(locale, { day: 'numeric', month: 'short', timeZone: 'UTC' })
}

export type Health = 'ok' | 'warn' | 'down'

/** How a node's status reads: ready = ok, degraded = warn, anything else = down. */
export function healthOf(status: string): Health {
  if (status === 'ready') return 'ok'
  if (status === 'degraded') return 'warn'
  return 'down'
}

/** Dependencies a node reports down, for the line under its status. */
export function downChecks(checks: Record<string, unknown>): string[] {
  return Object.entries(checks)
    .filter(([, v]) => v !== 'up')
    .map(([k]) => k)
    .sort()
}

/** "12.5 MB of 1 GB used" (or "12.5 MB used" without a quota). */
export function usageLabel(used: number, quota: number | null | undefined): string {
  return quota ? `${formatSize(used)} of ${formatSize(quota)} used` : `${formatSize(used)} used`
}

/** Share of the quota used, 0-100 (0 without a quota). */
export function usagePercent(used: number, quota: number | null | undefined): number {
  if (!quota) return 0
  return Math.min(100, Math.max(0, Math.round((used / quota) * 100)))
}

/** The group a `conversation.updated` says was deleted (reason deleted, no conversation), or null. */
export function deletedGroupId(e: Pick<ConversationUpdated, 'reason' | 'group_id' | 'conversation_id'>): number | null {
  return e.reason === 'deleted' && e.group_id != null && e.conversation_id == null ? e.group_id : null
}

/** The sidebar rows that belong to a group (its channels). */
export function channelIdsOf(list: Pick<ConversationDto, 'id' | 'group_id'>[], groupId: number): number[] {
  return list.filter((c) => c.group_id === groupId).map((c) => c.id)
}
