// Who is typing where. Entries expire TYPING_TTL_MS after the last event (a lost
// `active: false` must not leave "typing…" forever); a 1 s clock re-evaluates them.

import { defineStore } from 'pinia'
import type { TypingEvent } from '~/utils/types'
import { applyTyping, pruneTyping, typingUsers, type TypingMap } from '~/utils/typing'

let clock: ReturnType<typeof setInterval> | null = null

export const useTypingStore = defineStore('typing', {
  state: () => ({
    map: {} as TypingMap,
    now: Date.now(),
  }),
  getters: {
    usersIn: (s) => (cid: number) => typingUsers(s.map, cid, s.now),
  },
  actions: {
    apply(e: TypingEvent) {
      this.now = Date.now()
      this.map = applyTyping(this.map, e, this.now)
      this.startClock()
    },
    /** A message from a user ends their typing in that conversation. */
    stopped(cid: number, userId: number) {
      if (this.map[cid]?.[userId]) this.map = applyTyping(this.map, { conversation_id: cid, user_id: userId, active: false }, Date.now())
    },
    startClock() {
      if (clock) return
      clock = setInterval(() => {
        this.now = Date.now()
        this.map = pruneTyping(this.map, this.now)
        if (Object.keys(this.map).length === 0 && clock) {
          clearInterval(clock)
          clock = null
        }
      }, 1_000)
    },
  },
})
