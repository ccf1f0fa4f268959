// Profiles and avatars: applying a `user.updated` event to what the stores hold (users I have
// seen, the sidebar's direct peers, group members, my own account, an open profile panel), and
// the checks made before an avatar upload. Plain functions: each returns the same object when
// the event does not concern it, so a store only writes what changed.

import type { ConversationDto, GroupDto, MeDto, ProfileDto, UserDto, UserUpdated } from './types'

/** The server's limit on an avatar upload (that of an image). */
export const AVATAR_MAX_BYTES = 10 * 1024 * 1024
/** What the server accepts as an avatar (it checks the content, not this type). */
export const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const

type Profile = Pick<UserDto, 'id' | 'username' | 'display_name' | 'bio' | 'avatar_id' | 'status_text' | 'status_emoji'>

/** `u` with the event's fields (a UserDto or my MeDto; last seen is not in the event). */
export function applyUserUpdate<T extends Profile>(u: T, e: UserUpdated): T {
  if (u.id !== e.user_id) return u
  const next = {
    ...u,
    username: e.username,
    display_name: e.display_name,
    bio: e.bio,
    avatar_id: e.avatar_id ?? null,
    status_text: e.status_text ?? null,
    status_emoji: e.status_emoji ?? null,
  }
  const same = (Object.keys(next) as (keyof T)[]).every((k) => next[k] === u[k])
  return same ? u : next
}

/** A direct chat whose peer is the user: the peer's name, avatar and status emoji. */
export function applyUserUpdateToConversation(c: ConversationDto, e: UserUpdated): ConversationDto {
  const p = c.peer
  if (!p || p.id !== e.user_id) return c
  const peer = { ...p, username: e.username, display_name: e.display_name, avatar_id: e.avatar_id ?? null, status_emoji: e.status_emoji ?? null }
  const same = peer.username === p.username && peer.display_name === p.display_name && peer.avatar_id === p.avatar_id && peer.status_emoji === p.status_emoji
  return same ? c : { ...c, peer }
}

/** A group where the user is a member. */
export function applyUserUpdateToGroup(g: GroupDto, e: UserUpdated): GroupDto {
  if (!g.members.some((m) => m.user.id === e.user_id)) return g
  return { ...g, members: g.members.map((m) => (m.user.id === e.user_id ? { ...m, user: applyUserUpdate(m.user, e) } : m)) }
}

export function applyUserUpdateToMe(me: MeDto | null, e: UserUpdated): MeDto | null {
  return me ? applyUserUpdate(me, e) : me
}

export function applyUserUpdateToProfile(p: ProfileDto | null, e: UserUpdated): ProfileDto | null {
  if (!p || p.user.id !== e.user_id) return p
  return { ...p, user: applyUserUpdate(p.user, e) }
}

/** Why a chosen file cannot be an avatar (null: send it; the server has the last word). */
export function avatarFileError(file: Pick<File, 'size' | 'type'>): string | null {
  if (!(AVATAR_TYPES as readonly string[]).includes(file.type)) return 'Choose a PNG, JPEG, GIF or WebP image.'
  if (file.size > AVATAR_MAX_BYTES) return 'The image is too large (at most 10 MiB).'
  if (file.size === 0) return 'The file is empty.'
  return null
}
