// UI state: theme (the account's, cached in this browser for the first paint), connection
// banner, open conversation, toasts.

import { defineStore } from 'pinia'

export type Theme = 'system' | 'light' | 'dark'
export type SocketState = 'idle' | 'connecting' | 'open' | 'reconnecting'

const THEME_KEY = 'chat.theme'

export interface Toast {
  id: number
  text: string
  kind: 'info' | 'error'
}

let toastSeq = 0

export const useUiStore = defineStore('ui', {
  state: () => ({
    theme: 'system' as Theme,
    socket: 'idle' as SocketState,
    /** The socket was open at least once in this session (the banner says "Reconnecting"). */
    wasConnected: false,
    openConversationId: null as number | null,
    toasts: [] as Toast[],
  }),
  getters: {
    /** Show the banner while the socket is down (not during the very first connect). */
    offline: (s) => s.socket === 'reconnecting' || (s.socket === 'connecting' && s.wasConnected),
  },
  actions: {
    loadTheme() {
      try {
        const t = localStorage.getItem(THEME_KEY)
        if (t === 'light' || t === 'dark' || t === 'system') this.theme = t
      } catch {
        // no storage: default theme
      }
      this.applyTheme()
    },
    /** The theme to show (chosen here, or the account's); Settings also stores it with the account. */
    setTheme(t: Theme) {
      if (t === this.theme) return
      this.theme = t
      try {
        localStorage.setItem(THEME_KEY, t)
      } catch {
        // not persisted; still applied
      }
      this.applyTheme()
    },
    applyTheme() {
      if (typeof document === 'undefined') return
      const dark = this.theme === 'dark' || (this.theme === 'system' && window.matchMedia?.('(prefers-color-scheme: dark)').matches)
      document.documentElement.classList.toggle('dark', dark)
    },
    setSocket(state: SocketState) {
      this.socket = state
      if (state === 'open') this.wasConnected = true
    },
    toast(text: string, kind: Toast['kind'] = 'info') {
      const id = ++toastSeq
      this.toasts.push({ id, text, kind })
      setTimeout(() => this.dismiss(id), kind === 'error' ? 6_000 : 3_000)
    },
    dismiss(id: number) {
      this.toasts = this.toasts.filter((t) => t.id !== id)
    },
    resetSession() {
      this.socket = 'idle'
      this.wasConnected = false
      this.openConversationId = null
      this.toasts = []
    },
  },
})
