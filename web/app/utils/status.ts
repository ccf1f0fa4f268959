// Custom status (`status_emoji` + `status_text` on users): validation before PATCH /me, and the
// short line shown in headers and user rows.

import type { PeerDto, UserDto } from './types'

/** The server's limit on `status_text`, in characters (code points). */
export const STATUS_TEXT_MAX = 80

/** The quick picks on the profile page. */
export const COMMON_STATUS_EMOJI = ['🌴', '🏠', '🤒', '📅', '🎧', '🚗', '🍽️', '💬'] as const

type StatusFields = Pick<UserDto, 'status_emoji' | 'status_text'>

/** Length in characters as the server counts them (code points, not UTF-16 units). */
export function charCount(s: string): number {
  return [...s].length
}

function graphemes(s: string): string[] {
  if (typeof Intl !== 'undefined' && 'Segmenter' in Intl) {
    return [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s)].map((x) => x.segment)
  }
  return [...s]
}

const PICTOGRAPHIC = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u

/**
 * Exactly one emoji (one grapheme: skin tones, ZWJ sequences and flags count as one). Like the
 * server, no ASCII at all (so keycaps such as 1️⃣ are refused too).
 */
export function isSingleEmoji(s: string): boolean {
  if ([...s].some((c) => c.charCodeAt(0) < 0x80)) return false
  const parts = graphemes(s)
  return parts.length === 1 && PICTOGRAPHIC.test(parts[0]!)
}

/** What is sent: trimmed; "" clears. */
export function normalizeStatus(emoji: string, text: string): { status_emoji: string; status_text: string } {
  return { status_emoji: emoji.trim(), status_text: text.trim().replace(/\s+/g, ' ') }
}

/** Field -> message for what the server would refuse (empty when it is fine). */
export function statusErrors(emoji: string, text: string): Record<string, string> {
  const s = normalizeStatus(emoji, text)
  const out: Record<string, string> = {}
  if (s.status_emoji && !isSingleEmoji(s.status_emoji)) out.status_emoji = 'Use a single emoji.'
  const n = charCount(s.status_text)
  if (n > STATUS_TEXT_MAX) out.status_text = `At most ${STATUS_TEXT_MAX} characters (now ${n}).`
  return out
}

/** "🌴 On holiday", "🌴", "On holiday", or "" (no status, or an unknown one). */
export function statusLine(u: Partial<StatusFields> | null | undefined): string {
  if (!u) return ''
  const emoji = u.status_emoji?.trim() ?? ''
  const text = u.status_text?.trim() ?? ''
  return [emoji, text].filter(Boolean).join(' ')
}

/**
 * A direct peer's status for the sidebar: the conversation's peer carries `status_emoji`; the
 * text comes from what I last fetched of that user.
 */
export function peerStatus(peer: PeerDto | null | undefined, cached: Partial<StatusFields> | undefined): Partial<StatusFields> | undefined {
  if (!peer) return undefined
  return { status_emoji: peer.status_emoji, status_text: cached?.status_text }
}
