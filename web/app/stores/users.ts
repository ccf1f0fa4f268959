// Users I have seen (search results, contacts, group members, the peer of the open chat), by id:
// their custom status for the sidebar and the chat header. Conversations carry only a PeerDto,
// so the open chat's peer is fetched (`GET /users/{id}`) to show a fresh status; `user.updated`
// keeps those I have seen current.

import { defineStore } from 'pinia'
import type { UserDto, UserUpdated } from '~/utils/types'
import { applyUserUpdate } from '~/utils/profile'
import { api } from '~/composables/useApi'

const inFlight = new Map<number, Promise<UserDto | null>>()

export const useUsersStore = defineStore('users', {
  state: () => ({
    byId: {} as Record<number, UserDto>,
  }),
  actions: {
    remember(users: UserDto | UserDto[]) {
      for (const u of Array.isArray(users) ? users : [users]) this.byId[u.id] = u
    },
    /** `user.updated`: a user I have seen changed their name, bio, avatar or status. */
    applyUpdate(e: UserUpdated) {
      const u = this.byId[e.user_id]
      if (u) this.byId[e.user_id] = applyUserUpdate(u, e)
    },
    /** Fetches one user again (a status may have changed); null if that fails. */
    refresh(id: number): Promise<UserDto | null> {
      const pending = inFlight.get(id)
      if (pending) return pending
      const p = api
        .get<UserDto>(`/users/${id}`)
        .then((u) => {
          this.remember(u)
          return u
        })
        .catch(() => null)
        .finally(() => inFlight.delete(id))
      inFlight.set(id, p)
      return p
    },
  },
})
