import type { SecondFactorDto } from '~/utils/types'

// State and submit flow shared by the sign-in and sign-up forms: busy flag, per-field and
// general errors, and on success the `?redirect=` target (same-site paths only). An action that
// resolves to `false` stays on the page (another step follows, e.g. the second factor).

export function useAuthForm() {
  const route = useRoute()
  const fields = ref<Record<string, string>>({})
  const error = ref('')
  const busy = ref(false)

  async function submit(action: () => Promise<unknown>, onError: (e: unknown) => void) {
    busy.value = true
    error.value = ''
    fields.value = {}
    try {
      if ((await action()) === false) return
      const redirect = route.query.redirect
      await navigateTo(typeof redirect === 'string' && redirect.startsWith('/') ? redirect : '/')
    } catch (e) {
      onError(e)
    } finally {
      busy.value = false
    }
  }

  return { route, fields, error, busy, submit }
}

/**
 * A second-factor challenge handed from the /oidc page (a provider sign-in of an account with
 * two-factor authentication on) to the sign-in page, which shows its code step.
 */
export function usePendingChallenge() {
  return useState<SecondFactorDto | null>('pending-mfa-challenge', () => null)
}
