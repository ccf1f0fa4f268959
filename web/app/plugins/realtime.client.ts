// Starts and stops the socket with the session; drops it when the network goes, and reconnects
// at once when the tab or network returns.

import { REFRESH_KEY } from '~/stores/auth'

export default defineNuxtPlugin(() => {
  const auth = useAuthStore()
  const ui = useUiStore()
  const { start, stop, nudge, offline, syncPresence } = useSocket()
  const router = useRouter()

  ui.loadTheme()
  // The theme is stored with the account: signing in here brings the one chosen elsewhere.
  watch(
    () => auth.user?.theme,
    (t) => {
      if (t) ui.setTheme(t)
    },
    { immediate: true },
  )
  window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener('change', () => ui.applyTheme())

  // A tab coming back to the foreground reconnects at once if its socket is down.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') nudge()
  })
  window.addEventListener('online', () => nudge())
  window.addEventListener('offline', () => offline())

  // Logout (or a failed refresh) in another tab removes the shared refresh token: follow it.
  window.addEventListener('storage', (e) => {
    if (e.key === REFRESH_KEY && e.newValue === null && auth.isAuthenticated) auth.clearLocal()
  })

  watch(
    () => auth.isAuthenticated,
    (on, was) => {
      if (on) {
        void useConversationsStore().fetchAll().catch(() => {})
        start()
      } else {
        stop()
        // Only a session that ended sends the user to the login page (not the initial state
        // before restore(), which would lose the URL being opened).
        if (was && router.currentRoute.value.meta.public !== true) void router.replace('/login')
      }
    },
    { immediate: true },
  )

  // Follow presence of whoever the sidebar and the open group show.
  watch(
    () => presenceTargets().join(','),
    () => syncPresence(),
  )
})
