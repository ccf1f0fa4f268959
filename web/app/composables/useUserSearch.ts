// Debounced `GET /api/users?q=` for the search boxes (new chat, new group, contacts, sidebar).

import type { UserDto, UsersPage } from '~/utils/types'
import { api } from '~/composables/useApi'

export function useUserSearch(query: Ref<string>, delayMs = 250) {
  const results = ref<UserDto[]>([])
  const searching = ref(false)
  let timer: ReturnType<typeof setTimeout> | null = null
  let seq = 0

  watch(query, (q) => {
    if (timer) clearTimeout(timer)
    const term = q.trim()
    if (!term) {
      results.value = []
      return
    }
    timer = setTimeout(async () => {
      const mine = ++seq
      searching.value = true
      try {
        const page = await api.get<UsersPage>('/users', { query: { q: term, limit: 20 } })
        // Only the newest query's answer counts (answers may arrive out of order).
        if (mine === seq) {
          results.value = page.items.filter((u) => u.id !== useAuthStore().myId)
          useUsersStore().remember(results.value)
        }
      } catch {
        if (mine === seq) results.value = []
      } finally {
        if (mine === seq) searching.value = false
      }
    }, delayMs)
  })

  onBeforeUnmount(() => timer && clearTimeout(timer))
  return { results, searching }
}
