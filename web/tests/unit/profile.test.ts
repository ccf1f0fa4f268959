import { describe, expect, it } from 'vitest'
import {
  applyUserUpdate,
  applyUserUpdateToConversation,
  applyUserUpdateToGroup,
  applyUserUpdateToMe,
  applyUserUpdateToProfile,
  avatarFileError,
} from '../../app/utils/profile'
import type { ConversationDto, GroupDto, MeDto, ProfileDto, UserDto, UserUpdated } from '../../app/utils/types'

const user = (id: number, extra: Partial<UserDto> = {}): UserDto => ({
  id,
  username: `u${id}`,
  display_name: `User ${id}`,
  bio: '',
  avatar_id: null,
  last_seen_at: '2026-01-01T10:00:00Z',
  created_at: '2026-01-01T09:00:00Z',
  status_text: null,
  status_emoji: null,
  ...extra,
})

const update = (id: number, extra: Partial<UserUpdated> = {}): UserUpdated => ({
  user_id: id,
  username: `u${id}`,
  display_name: `User ${id}`,
  bio: '',
  avatar_id: 42,
  status_text: 'On holiday',
  status_emoji: '🌴',
  ...extra,
})

const direct = (peerId: number): ConversationDto => ({
  id: 7,
  kind: 'direct',
  group_id: null,
  group_name: null,
  group_avatar_id: null,
  name: null,
  peer: { id: peerId, username: `u${peerId}`, display_name: `User ${peerId}`, avatar_id: null, alias: 'Bobby', status_emoji: null, blocked: false, messaging_blocked: false },
  last_seq: 0,
  last_message_at: null,
  last_message: null,
  unread_count: 0,
  last_read_seq: 0,
  last_delivered_seq: 0,
  cleared_seq: 0,
  pinned: false,
  archived: false,
  muted_until: null,
  retention_days: null,
  change_version: 0,
})

describe('user.updated', () => {
  it('changes what others see of a user and keeps the rest (last seen follows privacy, not the event)', () => {
    const before = user(2)
    const after = applyUserUpdate(before, update(2, { display_name: 'Bob', bio: 'hi' }))
    expect(after).toEqual({ ...before, display_name: 'Bob', bio: 'hi', avatar_id: 42, status_text: 'On holiday', status_emoji: '🌴' })
    expect(after.last_seen_at).toBe(before.last_seen_at)
    // Another user, or nothing new: the same object (the store writes nothing).
    expect(applyUserUpdate(before, update(3))).toBe(before)
    expect(applyUserUpdate(after, update(2, { display_name: 'Bob', bio: 'hi' }))).toBe(after)
    // A removed avatar and a cleared status.
    const cleared = applyUserUpdate(after, update(2, { display_name: 'Bob', bio: 'hi', avatar_id: null, status_text: null, status_emoji: null }))
    expect([cleared.avatar_id, cleared.status_text, cleared.status_emoji]).toEqual([null, null, null])
  })

  it('reaches the sidebar peer, keeping my alias', () => {
    const c = direct(2)
    const next = applyUserUpdateToConversation(c, update(2, { display_name: 'Bob' }))
    expect(next.peer).toMatchObject({ display_name: 'Bob', avatar_id: 42, status_emoji: '🌴', alias: 'Bobby' })
    expect(applyUserUpdateToConversation(c, update(9))).toBe(c)
    const channel = { ...c, kind: 'channel' as const, peer: null }
    expect(applyUserUpdateToConversation(channel, update(2))).toBe(channel)
  })

  it('reaches group member lists, my account and an open profile panel', () => {
    const g: GroupDto = {
      id: 1, name: 'Team', description: '', avatar_id: null, created_by: 1, created_at: '2026-01-01T09:00:00Z', my_role: 'member', channels: [],
      members: [{ user: user(1), role: 'owner', joined_at: '2026-01-01T09:00:00Z' }, { user: user(2), role: 'member', joined_at: '2026-01-01T09:00:00Z' }],
    }
    const next = applyUserUpdateToGroup(g, update(2))
    expect(next.members[1]!.user.avatar_id).toBe(42)
    expect(next.members[0]).toBe(g.members[0])
    expect(applyUserUpdateToGroup(g, update(5))).toBe(g)

    const me = { ...user(1), role: 'user', dnd_until: null, two_factor: false, email: null, email_verified: false, has_password: true, theme: 'system' } as MeDto
    expect(applyUserUpdateToMe(me, update(1))?.status_emoji).toBe('🌴')
    expect(applyUserUpdateToMe(me, update(1))?.role).toBe('user')
    expect(applyUserUpdateToMe(null, update(1))).toBeNull()

    const profile: ProfileDto = { user: user(2), shared_groups: [], contact: false, blocked: false, direct_conversation_id: null }
    expect(applyUserUpdateToProfile(profile, update(2))?.user.status_text).toBe('On holiday')
    expect(applyUserUpdateToProfile(profile, update(3))).toBe(profile)
  })
})

describe('avatar files', () => {
  it('takes raster images up to 10 MiB', () => {
    expect(avatarFileError({ type: 'image/png', size: 1000 })).toBeNull()
    expect(avatarFileError({ type: 'image/webp', size: 10 * 1024 * 1024 })).toBeNull()
    expect(avatarFileError({ type: 'image/svg+xml', size: 10 })).toMatch(/PNG, JPEG/)
    expect(avatarFileError({ type: 'application/pdf', size: 10 })).toMatch(/PNG, JPEG/)
    expect(avatarFileError({ type: 'image/jpeg', size: 10 * 1024 * 1024 + 1 })).toMatch(/too large/)
    expect(avatarFileError({ type: 'image/jpeg', size: 0 })).toMatch(/empty/)
  })
})
