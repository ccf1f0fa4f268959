// Online state of the users I follow (direct peers in the sidebar, members of the open group).

import { defineStore } from 'pinia'
import type { PresenceEvent } from '~/utils/types'

export const usePresenceStore = defineStore('presence', {
  state: () => ({
    byUser: {} as Record<number, { online: boolean; last_seen_at: string | null }>,
  }),
  getters: {
    isOnline: (s) => (id: number) => s.byUser[id]?.online === true,
    lastSeen: (s) => (id: number) => s.byUser[id]?.last_seen_at ?? null,
  },
  actions: {
    apply(e: PresenceEvent) {
      this.byUser[e.user_id] = { online: e.online, last_seen_at: e.last_seen_at }
    },
    /** The socket is down: we no longer know who is online. */
    clearOnline() {
      for (const v of Object.values(this.byUser)) v.online = false
    },
  },
})
