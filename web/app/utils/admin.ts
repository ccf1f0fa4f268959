// Pure helpers of the administration UI: how a reported message and a decision read, and how
// the lists change after a decision, a suspension or a reinstatement.

import type { AbuseFlagKind, AdminUserDto, MessageDto, ReportDto, ReportResolution } from './types'
import { previewText } from './media'

export type ReportStatus = 'open' | 'resolved' | 'all'
export type Decision = 'dismiss' | 'delete_message' | 'suspend_sender'

/** Longest reason of a report or a suspension (the server checks the same). */
export const REASON_MAX = 500

/** The reported message in one line: its text, a media label ("📷 Photo: caption") or "deleted". */
export function reportedText(m: Pick<MessageDto, 'kind' | 'body' | 'attachment' | 'deleted_at'>): { text: string; deleted: boolean } {
  // A tombstone keeps neither text nor media.
  if (m.deleted_at) return { text: 'Message deleted', deleted: true }
  if (m.kind === 'text' || !m.body) return { text: previewText(m), deleted: false }
  // A media message with a caption: the kind first, so that a photo never reads as plain text.
  return { text: `${previewText({ ...m, body: '' })}: ${m.body}`, deleted: false }
}

export function resolutionLabel(r: ReportResolution | null): string {
  switch (r) {
    case 'dismissed':
      return 'Dismissed'
    case 'message_deleted':
      return 'Message deleted'
    case 'user_suspended':
      return 'Sender suspended'
    default:
      return 'Open'
  }
}

/** The toast after a decision. */
export function decisionDone(d: Decision): string {
  switch (d) {
    case 'dismiss':
      return 'Report dismissed'
    case 'delete_message':
      return 'Message deleted'
    case 'suspend_sender':
      return 'Sender suspended'
  }
}

/** "Ann (@ann)", or just "@ann" when the display name is the username. */
export function userLabel(u: { username: string; display_name: string }): string {
  return u.display_name && u.display_name !== u.username ? `${u.display_name} (@${u.username})` : `@${u.username}`
}

export function isSuspended(u: Pick<AdminUserDto, 'suspended_at'>): boolean {
  return u.suspended_at !== null
}

/** Whether flood control keeps the user from sending at `now`. */
export function isSendLimited(u: Pick<AdminUserDto, 'send_limited_until'>, now = Date.now()): boolean {
  return u.send_limited_until !== null && Date.parse(u.send_limited_until) > now
}

/** What tripped flood control, in words. */
export function flagKindLabel(kind: AbuseFlagKind | string): string {
  switch (kind) {
    case 'repeated_messages':
      return 'Repeated messages'
    case 'new_chats':
      return 'Many new chats'
    default:
      return kind.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase())
  }
}

/**
 * The queue after a decision answered with `resolved`: the server resolves every open report of
 * that message, so in the open queue they all leave; elsewhere they take the resolution. The
 * sender's new state (suspended) shows on each of their reports.
 */
export function applyDecision(items: ReportDto[], resolved: ReportDto, status: ReportStatus): ReportDto[] {
  const sameMessage = (r: ReportDto) => r.message.id === resolved.message.id
  const out: ReportDto[] = []
  for (const r of items) {
    if (status === 'open' && (r.id === resolved.id || (sameMessage(r) && r.resolved_at === null))) continue
    let next = r
    if (r.id === resolved.id) next = resolved
    else if (sameMessage(r) && r.resolved_at === null) {
      next = { ...r, message: resolved.message, resolved_at: resolved.resolved_at, resolution: resolved.resolution }
    } else if (sameMessage(r)) next = { ...r, message: resolved.message }
    if (next.sender.user.id === resolved.sender.user.id) next = { ...next, sender: resolved.sender }
    out.push(next)
  }
  return out
}

/** The queue with a user's new state (after a suspension or reinstatement from the users tab). */
export function withSender(items: ReportDto[], user: AdminUserDto): ReportDto[] {
  return items.map((r) => (r.sender.user.id === user.user.id ? { ...r, sender: user } : r))
}

/** The users list after `updated` changed; with "suspended only" a reinstated user leaves it. */
export function applyUser(list: AdminUserDto[], updated: AdminUserDto, suspendedOnly: boolean): AdminUserDto[] {
  if (suspendedOnly && !isSuspended(updated)) return list.filter((u) => u.user.id !== updated.user.id)
  return list.map((u) => (u.user.id === updated.user.id ? updated : u))
}

/** Appends a page without repeating anyone already listed (a row can move between pages). */
export function appendPage<T>(list: T[], page: T[], key: (x: T) => number): T[] {
  const seen = new Set(list.map(key))
  return [...list, ...page.filter((x) => !seen.has(key(x)))]
}
