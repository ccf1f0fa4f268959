// Sidebar rows: names, ordering and the local search filter.

import type { ConversationDto } from './types'

export function conversationTitle(c: ConversationDto): string {
  if (c.kind === 'direct') return c.peer ? c.peer.alias || c.peer.display_name || c.peer.username : 'Direct chat'
  const group = c.group_name ?? 'Group'
  return c.name && c.name !== 'general' ? `${group} · #${c.name}` : group
}

export function isMuted(c: Pick<ConversationDto, 'muted_until'>, now = Date.now()): boolean {
  return c.muted_until !== null && Date.parse(c.muted_until) > now
}

/** Same order as the server: pinned first, then by last activity, newest first. */
export function sortConversations(list: ConversationDto[]): ConversationDto[] {
  return list.slice().sort((a, b) => {
    if (a.pinned !== b.pinned) return a.pinned ? -1 : 1
    const ta = a.last_message_at ? Date.parse(a.last_message_at) : 0
    const tb = b.last_message_at ? Date.parse(b.last_message_at) : 0
    if (ta !== tb) return tb - ta
    return b.id - a.id
  })
}

/** Local search: title, peer username, group name or channel name contains the query. */
export function filterConversations(list: ConversationDto[], query: string, archived: boolean): ConversationDto[] {
  const q = query.trim().toLowerCase()
  return list.filter((c) => {
    if (c.archived !== archived) return false
    if (!q) return true
    const hay = [conversationTitle(c), c.peer?.username, c.peer?.display_name, c.group_name, c.name]
    return hay.some((s) => s && s.toLowerCase().includes(q))
  })
}

/** Users whose presence the sidebar shows: the peers of my direct chats. */
export function directPeerIds(list: ConversationDto[]): number[] {
  const ids = new Set<number>()
  for (const c of list) if (c.kind === 'direct' && c.peer) ids.add(c.peer.id)
  return [...ids].sort((a, b) => a - b)
}
