// My privacy settings (settings page): loaded once, each change saved at once with
// `PUT /me/privacy` (only that field); a failed save puts the old value back.

import type { PrivacyDto } from '~/utils/types'
import { api } from '~/composables/useApi'
import { withChange, type PrivacyField } from '~/utils/privacy'
import { describeError } from '~/utils/apiError'

export type SaveState = 'idle' | 'saving' | 'saved' | 'failed'

export function usePrivacy() {
  const privacy = ref<PrivacyDto | null>(null)
  const loading = ref(false)
  const loadError = ref('')
  /** Of the last change. */
  const state = ref<SaveState>('idle')
  const saveError = ref('')
  // Changes in flight: an answer overtaken by a newer change is not applied.
  let seq = 0

  async function load() {
    loading.value = true
    loadError.value = ''
    try {
      privacy.value = await api.get<PrivacyDto>('/me/privacy')
    } catch (e) {
      loadError.value = describeError(e)
    } finally {
      loading.value = false
    }
  }

  async function save<K extends PrivacyField>(field: K, value: PrivacyDto[K]): Promise<boolean> {
    const before = privacy.value
    if (!before || before[field] === value) return true
    const mine = ++seq
    privacy.value = withChange(before, field, value)
    state.value = 'saving'
    saveError.value = ''
    try {
      const saved = await api.put<PrivacyDto>('/me/privacy', { [field]: value })
      if (mine === seq) {
        privacy.value = saved
        state.value = 'saved'
      }
      // Ticks: read receipts on or off changes what the server shows of everyone's reads.
      if (field === 'read_receipts') void useMessagesStore().reloadReceipts()
      return true
    } catch (e) {
      if (mine === seq) {
        if (privacy.value) privacy.value = withChange(privacy.value, field, before[field])
        state.value = 'failed'
        saveError.value = describeError(e)
      }
      return false
    }
  }

  return { privacy, loading, loadError, state, saveError, load, save }
}
