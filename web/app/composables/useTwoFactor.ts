// Turning two-factor authentication (TOTP) on and off from the settings: the enrolment (secret
// and its QR code), the confirmation that shows the recovery codes once, and turning it off.

import QRCode from 'qrcode'
import type { MeDto, EnrolmentDto, RecoveryCodesDto } from '~/utils/types'
import { api, apiRequest } from '~/composables/useApi'
import type { SecondFactorProof } from '~/utils/twoFactor'

export function useTwoFactor() {
  const auth = useAuthStore()
  const enabled = computed(() => auth.user?.two_factor === true)
  /** Turning it on or off asks for the password, unless the account has none. */
  const hasPassword = computed(() => auth.user?.has_password !== false)
  /** A started, not yet confirmed enrolment. */
  const enrolment = ref<EnrolmentDto | null>(null)
  /** The QR code of the enrolment's otpauth URI, as SVG markup (rendered here, no data: URL). */
  const qrSvg = ref('')
  /** Shown once, right after confirming. */
  const recoveryCodes = ref<string[]>([])
  const busy = ref(false)

  /** The server has the truth; fall back to setting the flag if /me cannot be read now. */
  async function syncUser(on: boolean) {
    try {
      auth.setUser(await api.get<MeDto>('/me'))
    } catch {
      if (auth.user) auth.setUser({ ...auth.user, two_factor: on })
    }
  }

  async function withBusy<T>(fn: () => Promise<T>): Promise<T> {
    busy.value = true
    try {
      return await fn()
    } finally {
      busy.value = false
    }
  }

  function start() {
    return withBusy(async () => {
      recoveryCodes.value = []
      const e = await api.post<EnrolmentDto>('/me/2fa')
      qrSvg.value = await QRCode.toString(e.otpauth_uri, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' })
      enrolment.value = e
    })
  }

  /** `owner`: the password (see `ownerProof`). */
  function confirm(code: string, owner: { password?: string }) {
    return withBusy(async () => {
      const res = await api.post<RecoveryCodesDto>('/me/2fa/confirm', { code, ...owner })
      recoveryCodes.value = res.recovery_codes
      enrolment.value = null
      qrSvg.value = ''
      await syncUser(true)
    })
  }

  function cancel() {
    enrolment.value = null
    qrSvg.value = ''
  }

  function disable(proof: SecondFactorProof, owner: { password?: string }) {
    return withBusy(async () => {
      await apiRequest<undefined>('DELETE', '/me/2fa', { ...proof, ...owner })
      recoveryCodes.value = []
      await syncUser(false)
    })
  }

  return { enabled, hasPassword, enrolment, qrSvg, recoveryCodes, busy, start, confirm, cancel, disable }
}
