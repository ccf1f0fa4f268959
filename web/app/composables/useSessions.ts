// My signed-in devices (settings): the list, signing one out and signing out all the others.
// The list is reloaded after every action (also a failed one: a 404 means that device had
// already gone). Signing a device out makes the server refuse my access token once; the API
// client refreshes and retries, so this page carries on.

import type { RevokedOthers, SessionDto } from '~/utils/types'
import { api } from '~/composables/useApi'
import { currentFirst } from '~/utils/sessions'

export function useSessions() {
  const sessions = ref<SessionDto[]>([])
  const loaded = ref(false)
  const loading = ref(false)
  /** The session being signed out, 'others' for all of them, or null. */
  const busy = ref<string | null>(null)
  const others = computed(() => sessions.value.filter((s) => !s.current))
  // An older answer (a reload overtaken by another) is dropped.
  let seq = 0

  async function load() {
    const mine = ++seq
    loading.value = true
    try {
      const list = await api.get<SessionDto[]>('/sessions')
      if (mine !== seq) return
      sessions.value = currentFirst(list)
      loaded.value = true
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  async function act<T>(key: string, fn: () => Promise<T>): Promise<T> {
    busy.value = key
    let result: T
    try {
      result = await fn()
    } catch (e) {
      void load().catch(() => {})
      throw e
    } finally {
      busy.value = null
    }
    await load()
    return result
  }

  /** Signs that device out. */
  function signOut(id: string) {
    return act(id, () => api.del<undefined>(`/sessions/${id}`))
  }

  /** Signs out every device but this one; returns how many. */
  async function signOutOthers(): Promise<number> {
    return (await act('others', () => api.del<RevokedOthers>('/sessions'))).revoked
  }

  return { sessions, others, loaded, loading, busy, load, signOut, signOutOthers }
}
