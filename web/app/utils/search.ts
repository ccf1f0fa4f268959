// Message search results: the server marks each match in a snippet with U+0002 ... U+0003.
// Splitting on them yields plain text parts that Vue renders escaped, so a message's own
// text can never inject markup.

export interface SnippetPart {
  text: string
  match: boolean
}

export function snippetParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = []
  for (const [i, piece] of snippet.split('\u0002').entries()) {
    if (i === 0) {
      if (piece) parts.push({ text: piece, match: false })
      continue
    }
    const end = piece.indexOf('\u0003')
    const [hit, rest] = end < 0 ? [piece, ''] : [piece.slice(0, end), piece.slice(end + 1)]
    if (hit) parts.push({ text: hit, match: true })
    if (rest) parts.push({ text: rest, match: false })
  }
  return parts
}

/** What the search page's filters hold (dates as the date inputs give them, YYYY-MM-DD). */
export interface SearchFilters {
  conversationId: number | null
  senderId: number | null
  /** First day included (local time). */
  from: string
  /** Last day included (local time). */
  to: string
  has: '' | 'media' | 'files' | 'links'
}

export const NO_FILTERS: SearchFilters = { conversationId: null, senderId: null, from: '', to: '', has: '' }

/** Local midnight of a YYYY-MM-DD day plus `days`, as an RFC 3339 instant; undefined for ''. */
export function dayStart(day: string, days = 0): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day)
  if (!m) return undefined
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days).toISOString()
}

/** The `GET /search` query of a text and filters (the `to` day is included: before the next day). */
export function searchParams(q: string, f: SearchFilters): Record<string, string | number | undefined> {
  return {
    q: q.trim(),
    conversation_id: f.conversationId ?? undefined,
    sender_id: f.senderId ?? undefined,
    after: dayStart(f.from),
    before: dayStart(f.to, 1),
    has: f.has || undefined,
  }
}

/** Whether to search while typing: a word of two characters or more (the server's prefix needs three). */
export function worthSearching(q: string): boolean {
  return q.trim().length >= 2
}

/** Where a result opens: its chat, scrolled to it (`?seq=`). */
export function resultLink(m: { conversation_id: number; seq: number }): string {
  return `/c/${m.conversation_id}?seq=${m.seq}`
}

export interface SenderOption {
  id: number
  name: string
}

/** People to filter by: me first, then the others by name, each once. */
export function senderOptions(me: SenderOption | null, people: SenderOption[]): SenderOption[] {
  const seen = new Set<number>(me ? [me.id] : [])
  const others = people
    .filter((p) => !seen.has(p.id) && (seen.add(p.id), true))
    .sort((a, b) => a.name.localeCompare(b.name))
  return me ? [me, ...others] : others
}
