// My contacts (with aliases) and the users I blocked.

import { defineStore } from 'pinia'
import type { ContactDto, UserDto } from '~/utils/types'
import { api } from '~/composables/useApi'

export const useContactsStore = defineStore('contacts', {
  state: () => ({
    list: [] as ContactDto[],
    blocked: [] as UserDto[],
    loaded: false,
  }),
  getters: {
    isBlocked: (s) => (id: number) => s.blocked.some((u) => u.id === id),
    isContact: (s) => (id: number) => s.list.some((c) => c.user.id === id),
  },
  actions: {
    async fetch() {
      const [list, blocked] = await Promise.all([api.get<ContactDto[]>('/contacts'), api.get<UserDto[]>('/blocks')])
      this.list = list
      this.blocked = blocked
      this.loaded = true
      useUsersStore().remember(list.map((c) => c.user))
    },
    async add(userId: number, alias: string | null) {
      const c = await api.post<ContactDto>('/contacts', { user_id: userId, alias: alias || undefined })
      this.list = [...this.list.filter((x) => x.user.id !== userId), c]
    },
    async rename(userId: number, alias: string) {
      const c = await api.patch<ContactDto>(`/contacts/${userId}`, { alias: alias || null })
      this.list = this.list.map((x) => (x.user.id === userId ? c : x))
      // Direct chats show my alias for the peer.
      void useConversationsStore().fetchAll()
    },
    async remove(userId: number) {
      await api.del(`/contacts/${userId}`)
      this.list = this.list.filter((x) => x.user.id !== userId)
    },
    async block(user: UserDto) {
      await api.put(`/blocks/${user.id}`)
      if (!this.isBlocked(user.id)) this.blocked = [...this.blocked, user]
      await refreshDirectChat(user.id)
    },
    async unblock(userId: number) {
      await api.del(`/blocks/${userId}`)
      this.blocked = this.blocked.filter((u) => u.id !== userId)
      await refreshDirectChat(userId)
    },
    /** From a chat: anyone, contact or not (the list of blocks is fetched again). */
    async blockById(userId: number) {
      await api.put(`/blocks/${userId}`)
      this.blocked = await api.get<UserDto[]>('/blocks')
      await refreshDirectChat(userId)
    },
  },
})

/** The direct chat with `userId` shows the composer or the block notice: fetch it again now. */
async function refreshDirectChat(userId: number) {
  const conversations = useConversationsStore()
  const chat = conversations.list.find((c) => c.kind === 'direct' && c.peer?.id === userId)
  if (chat) await conversations.fetchOne(chat.id)
}
