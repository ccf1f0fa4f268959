// The sidebar: my conversations as `GET /api/conversations` returns them, kept current by
// socket events and by the flag actions (pin, archive, mute, clear, delete for me).

import { defineStore } from 'pinia'
import type { ConversationDto, ConversationsPage, MessageDto, UserUpdated } from '~/utils/types'
import { applyUserUpdateToConversation } from '~/utils/profile'
import { api } from '~/composables/useApi'
import { applyNewMessage, unreadCount } from '~/utils/messages'
import { sortConversations } from '~/utils/sidebar'
import { channelIdsOf } from '~/utils/overview'

export type MuteChoice = '1h' | '8h' | 'forever'

export const useConversationsStore = defineStore('conversations', {
  state: () => ({
    list: [] as ConversationDto[],
    loaded: false,
    loading: false,
    /** Channels of groups deleted while this tab was open (an open view says so). */
    deletedChannelIds: [] as number[],
  }),
  getters: {
    sorted: (s) => sortConversations(s.list),
    byId: (s) => (id: number) => s.list.find((c) => c.id === id),
  },
  actions: {
    /** Every page of the sidebar. */
    async fetchAll(): Promise<ConversationDto[]> {
      this.loading = true
      try {
        const all: ConversationDto[] = []
        let cursor: string | null = null
        do {
          const page: ConversationsPage = await api.get('/conversations', { query: { limit: 200, cursor } })
          all.push(...page.items)
          cursor = page.next_cursor
        } while (cursor)
        this.list = all
        this.loaded = true
        // What I cleared on another device, or retention deleted, while this list was away.
        const messages = useMessagesStore()
        for (const c of all) messages.dropThrough(c.id, c.cleared_seq)
        return all
      } finally {
        this.loading = false
      }
    },

    async fetchOne(id: number): Promise<ConversationDto | null> {
      try {
        const c = await api.get<ConversationDto>(`/conversations/${id}`)
        this.upsert(c)
        return c
      } catch {
        // 404: I am not (or no longer) a member
        this.remove(id)
        return null
      }
    },

    upsert(c: ConversationDto) {
      const i = this.list.findIndex((x) => x.id === c.id)
      if (i < 0) this.list.push(c)
      else this.list[i] = c
    },

    remove(id: number) {
      this.list = this.list.filter((c) => c.id !== id)
    },

    /** A deleted group: its channels leave the sidebar, their messages the cache. */
    removeGroup(groupId: number) {
      const gone = channelIdsOf(this.list, groupId)
      this.deletedChannelIds = [...new Set([...this.deletedChannelIds, ...gone])]
      this.list = this.list.filter((c) => c.group_id !== groupId)
      const messages = useMessagesStore()
      for (const id of gone) messages.forget(id)
    },

    /** A message.new (or my send) for the sidebar row; unknown conversations are fetched. */
    onMessage(m: MessageDto, myId: number) {
      const c = this.byId(m.conversation_id)
      if (!c) {
        void this.fetchOne(m.conversation_id)
        return
      }
      this.upsert(applyNewMessage(c, m, myId))
    },

    /** `user.updated`: the peer of a direct chat changed their name, avatar or status. */
    applyUserUpdate(e: UserUpdated) {
      if (this.list.some((c) => c.peer?.id === e.user_id)) this.list = this.list.map((c) => applyUserUpdateToConversation(c, e))
    },

    onMessageUpdated(m: MessageDto) {
      const c = this.byId(m.conversation_id)
      if (c?.last_message?.id === m.id) this.upsert({ ...c, last_message: m })
    },

    /** My read watermark moved (here or on another device): fewer unread. */
    markRead(conversationId: number, seq: number) {
      const c = this.byId(conversationId)
      if (!c || seq <= c.last_read_seq) return
      const next = { ...c, last_read_seq: seq, last_delivered_seq: Math.max(seq, c.last_delivered_seq) }
      next.unread_count = unreadCount(next)
      this.upsert(next)
    },

    markDelivered(conversationId: number, seq: number) {
      const c = this.byId(conversationId)
      if (c && seq > c.last_delivered_seq) this.upsert({ ...c, last_delivered_seq: seq })
    },

    async openDirect(userId: number): Promise<ConversationDto> {
      const c = await api.post<ConversationDto>('/conversations/direct', { user_id: userId })
      this.upsert(c)
      return c
    },

    async setPinned(id: number, on: boolean) {
      this.upsert(await (on ? api.put<ConversationDto>(`/conversations/${id}/pin`) : api.del<ConversationDto>(`/conversations/${id}/pin`)))
    },

    async setArchived(id: number, on: boolean) {
      this.upsert(
        await (on ? api.put<ConversationDto>(`/conversations/${id}/archive`) : api.del<ConversationDto>(`/conversations/${id}/archive`)),
      )
    },

    async mute(id: number, choice: MuteChoice | null) {
      if (choice === null) {
        this.upsert(await api.del<ConversationDto>(`/conversations/${id}/mute`))
        return
      }
      const hours = choice === '1h' ? 1 : choice === '8h' ? 8 : null
      const body = hours ? { until: new Date(Date.now() + hours * 3_600_000).toISOString() } : {}
      this.upsert(await api.put<ConversationDto>(`/conversations/${id}/mute`, body))
    },

    async clear(id: number) {
      this.applyCleared(await api.post<ConversationDto>(`/conversations/${id}/clear`))
    },

    /** The conversation as the server has it now, without the messages its `cleared_seq` ends. */
    applyCleared(c: ConversationDto) {
      this.upsert(c)
      useMessagesStore().dropThrough(c.id, c.cleared_seq)
    },

    /** Retention changed or swept old messages (conversation.updated `retention`). */
    async refreshCleared(id: number) {
      this.applyCleared(await api.get<ConversationDto>(`/conversations/${id}`))
    },

    /** Disappearing messages: keep them `days` days, or (null) keep them. */
    async setRetention(id: number, days: number | null) {
      this.applyCleared(await api.put<ConversationDto>(`/conversations/${id}/retention`, { days }))
    },

    async hide(id: number) {
      await api.del(`/conversations/${id}`)
      this.remove(id)
      useMessagesStore().forget(id)
    },
  },
})
