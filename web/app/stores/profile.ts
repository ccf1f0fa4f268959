// The profile panel: whose profile is open (a click on a name or an avatar), what
// `GET /users/{id}/profile` answered, and the message it was opened from (for "Report").
// `user.updated` keeps it current while it is open.

import { defineStore } from 'pinia'
import type { ProfileDto, UserUpdated } from '~/utils/types'
import type { ChatMessage } from '~/utils/messages'
import { api } from '~/composables/useApi'
import { applyUserUpdateToProfile } from '~/utils/profile'

export const useProfileStore = defineStore('profile', {
  state: () => ({
    userId: null as number | null,
    profile: null as ProfileDto | null,
    /** The message whose author was clicked (the panel offers to report it). */
    message: null as ChatMessage | null,
    loading: false,
    error: '',
  }),
  actions: {
    async open(userId: number, message: ChatMessage | null = null) {
      this.userId = userId
      this.message = message
      this.profile = null
      this.error = ''
      await this.load()
    },
    async load() {
      const id = this.userId
      if (id === null) return
      this.loading = true
      try {
        const p = await api.get<ProfileDto>(`/users/${id}/profile`)
        if (this.userId !== id) return
        this.profile = p
        useUsersStore().remember(p.user)
      } catch {
        if (this.userId === id) this.error = 'This profile could not be loaded.'
      } finally {
        if (this.userId === id) this.loading = false
      }
    },
    close() {
      this.userId = null
      this.profile = null
      this.message = null
      this.error = ''
    },
    applyUserUpdate(e: UserUpdated) {
      this.profile = applyUserUpdateToProfile(this.profile, e)
    },
  },
})
