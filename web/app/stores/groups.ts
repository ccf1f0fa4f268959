// Groups I opened (members, roles, channels) and their management actions.

import { defineStore } from 'pinia'
import type { ChannelDto, GroupDto, InviteDto, InviteLinkDto, Role, UserUpdated } from '~/utils/types'
import { applyUserUpdateToGroup } from '~/utils/profile'
import { api } from '~/composables/useApi'
import { withoutKey } from '~/utils/records'

export const useGroupsStore = defineStore('groups', {
  state: () => ({
    byId: {} as Record<number, GroupDto>,
    /** Groups deleted while this tab was open (an open view says so instead of "not found"). */
    deletedIds: [] as number[],
  }),
  actions: {
    async fetch(id: number): Promise<GroupDto | null> {
      try {
        const g = await api.get<GroupDto>(`/groups/${id}`)
        this.byId[id] = g
        useUsersStore().remember(g.members.map((m) => m.user))
        return g
      } catch {
        this.forget(id)
        return null
      }
    },
    /** A group I left or was removed from: its members and channels are no longer mine to see. */
    forget(id: number) {
      this.byId = withoutKey(this.byId, id)
    },
    /** Refetch only the groups already loaded (after a conversation.updated event). */
    async refreshIfLoaded(id: number) {
      if (this.byId[id]) await this.fetch(id)
    },
    async create(name: string, memberIds: number[]): Promise<GroupDto> {
      const g = await api.post<GroupDto>('/groups', { name, member_ids: memberIds })
      this.byId[g.id] = g
      await useConversationsStore().fetchAll()
      return g
    },
    /** `user.updated`: a member's name, avatar or status in the loaded groups. */
    applyUserUpdate(e: UserUpdated) {
      for (const g of Object.values(this.byId)) {
        const next = applyUserUpdateToGroup(g, e)
        if (next !== g) this.byId[g.id] = next
      }
    },
    /** Upload a new group avatar (admins): a square cut and scaled by the server. */
    async setAvatar(id: number, file: File) {
      const form = new FormData()
      form.append('file', file, file.name || 'avatar')
      this.byId[id] = await api.upload<GroupDto>(`/avatars/groups/${id}`, form)
      void useConversationsStore().fetchAll()
    },
    async removeAvatar(id: number) {
      this.byId[id] = await api.del<GroupDto>(`/avatars/groups/${id}`)
      void useConversationsStore().fetchAll()
    },
    async rename(id: number, name: string) {
      this.byId[id] = await api.patch<GroupDto>(`/groups/${id}`, { name })
    },
    async addMember(id: number, userId: number) {
      this.byId[id] = await api.post<GroupDto>(`/groups/${id}/members/${userId}`)
    },
    async removeMember(id: number, userId: number) {
      await api.del(`/groups/${id}/members/${userId}`)
      await this.fetch(id)
    },
    async setRole(id: number, userId: number, role: Role) {
      this.byId[id] = await api.patch<GroupDto>(`/groups/${id}/members/${userId}`, { role })
    },
    /** The owner deletes the group for everyone. */
    async deleteGroup(id: number) {
      await api.del(`/groups/${id}`)
      this.applyDeleted(id)
    },
    /** A group deleted (by me, or announced by the socket): it and its channels go. */
    applyDeleted(id: number) {
      if (!this.deletedIds.includes(id)) this.deletedIds = [...this.deletedIds, id]
      this.forget(id)
      useConversationsStore().removeGroup(id)
    },
    isDeleted(id: number): boolean {
      return this.deletedIds.includes(id)
    },
    async leave(id: number) {
      await api.post(`/groups/${id}/leave`)
      this.forget(id)
      await useConversationsStore().fetchAll()
    },
    async createChannel(id: number, name: string): Promise<ChannelDto> {
      const ch = await api.post<ChannelDto>(`/groups/${id}/channels`, { name })
      await Promise.all([this.fetch(id), useConversationsStore().fetchOne(ch.id)])
      return ch
    },
    async renameChannel(id: number, channelId: number, name: string) {
      await api.patch<ChannelDto>(`/groups/${id}/channels/${channelId}`, { name })
      await Promise.all([this.fetch(id), useConversationsStore().fetchOne(channelId)])
    },
    async deleteChannel(id: number, channelId: number) {
      await api.del(`/groups/${id}/channels/${channelId}`)
      useConversationsStore().remove(channelId)
      await this.fetch(id)
    },
    createInvite(id: number, expiresInSecs: number | null, maxUses: number | null): Promise<InviteDto> {
      return api.post<InviteDto>(`/groups/${id}/invites`, {
        expires_in_secs: expiresInSecs ?? undefined,
        max_uses: maxUses ?? undefined,
      })
    },
    /** Live invite links of a group (admins), newest first. */
    listInvites(id: number): Promise<InviteLinkDto[]> {
      return api.get<InviteLinkDto[]>(`/groups/${id}/invites`)
    },
    async revokeInvite(id: number, inviteId: number) {
      await api.del(`/groups/${id}/invites/${inviteId}`)
    },
    async acceptInvite(token: string): Promise<GroupDto> {
      const g = await api.post<GroupDto>(`/invites/${encodeURIComponent(token)}/accept`)
      this.byId[g.id] = g
      await useConversationsStore().fetchAll()
      return g
    },
  },
})
