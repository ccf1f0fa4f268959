// Session: who I am and my tokens.
//
// Token storage trade-off: the access token (15 min) lives only in memory, so a script
// injected into the page cannot lift a long-lived credential from storage, and a reload simply
// refreshes. The refresh token must survive reloads and is shared by the tabs of this browser,
// so it sits in localStorage: XSS could read it, which the strict CSP (script-src 'self' +
// hashes) and server-side rotation with reuse detection (a stolen, already-used token revokes
// the whole session) mitigate. An httpOnly cookie would be safer but needs API support
// (cookie-based /auth/refresh + CSRF protection), which the API does not offer.
//
// Refresh tokens rotate on every use and reusing a spent one revokes the session, so tabs must
// never refresh concurrently: refreshes are serialized across tabs with the Web Locks API and
// always read the newest token from localStorage right before using it.

import { defineStore } from 'pinia'
import type { MeDto, SecondFactorDto, TokensDto, UserUpdated } from '~/utils/types'
import { applyUserUpdateToMe } from '~/utils/profile'
import { ApiError } from '~/utils/apiError'
import { api, apiRequest } from '~/composables/useApi'
import { forgetMedia } from '~/composables/useMedia'
import { isMfaChallenge, type SecondFactorProof } from '~/utils/twoFactor'

export const REFRESH_KEY = 'chat.refresh_token'
/** Refresh this long before the access token expires. */
const REFRESH_EARLY_MS = 60_000
/** Tries of the start-up refresh before giving up on a transient failure (~3 s in all). */
const RESTORE_ATTEMPTS = 4

type Status = 'unknown' | 'authenticated' | 'anonymous'

let refreshTimer: ReturnType<typeof setTimeout> | null = null
let refreshing: Promise<boolean> | null = null

function readRefreshToken(): string | null {
  try {
    return localStorage.getItem(REFRESH_KEY)
  } catch {
    return null
  }
}

function writeRefreshToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(REFRESH_KEY, token)
    else localStorage.removeItem(REFRESH_KEY)
  } catch {
    // storage disabled: the session lasts as long as this tab
  }
}

async function withRefreshLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks
  if (locks?.request) return locks.request('chat-refresh', fn) as Promise<T>
  return fn()
}

export const useAuthStore = defineStore('auth', {
  state: () => ({
    user: null as MeDto | null,
    accessToken: null as string | null,
    expiresAt: 0,
    status: 'unknown' as Status,
  }),
  getters: {
    isAuthenticated: (s) => s.status === 'authenticated' && s.user !== null,
    myId: (s) => s.user?.id ?? 0,
    /** Shows the administration area (the server checks on every admin request anyway). */
    isAdmin: (s) => s.user?.role === 'admin',
  },
  actions: {
    accept(tokens: TokensDto) {
      writeRefreshToken(tokens.refresh_token)
      this.user = tokens.user
      this.accessToken = tokens.access_token
      this.expiresAt = Date.now() + tokens.expires_in * 1000
      this.status = 'authenticated'
      this.scheduleRefresh()
    },

    scheduleRefresh() {
      if (refreshTimer) clearTimeout(refreshTimer)
      const wait = Math.max(5_000, this.expiresAt - Date.now() - REFRESH_EARLY_MS)
      refreshTimer = setTimeout(() => void this.refresh(), wait)
    },

    /**
     * Signs in with the password. With two-factor authentication on, the API answers 202 with
     * a challenge instead of tokens: that is returned (no session yet) for loginSecondFactor.
     */
    async login(username: string, password: string): Promise<SecondFactorDto | null> {
      const body = await apiRequest<TokensDto | SecondFactorDto>('POST', '/auth/login', { username, password }, { anonymous: true })
      if (isMfaChallenge(body)) return body
      this.accept(body)
      return null
    },

    /**
     * Finishes a sign-in with an OpenID Connect provider: the one-time code of the /oidc page.
     * Answers like `login`: a challenge when two-factor authentication is on, else null.
     */
    async completeOidc(code: string): Promise<SecondFactorDto | null> {
      const body = await apiRequest<TokensDto | SecondFactorDto>('POST', '/auth/oidc/complete', { code }, { anonymous: true })
      if (isMfaChallenge(body)) return body
      this.accept(body)
      return null
    },

    /** Second step of a sign-in: the challenge's token plus an app code or a recovery code. */
    async loginSecondFactor(mfaToken: string, proof: SecondFactorProof) {
      this.accept(await apiRequest<TokensDto>('POST', '/auth/login/second-factor', { mfa_token: mfaToken, ...proof }, { anonymous: true }))
    },

    async register(username: string, password: string, displayName: string, email = '') {
      const body = { username, password, display_name: displayName || undefined, email: email || undefined }
      this.accept(await apiRequest<TokensDto>('POST', '/auth/register', body, { anonymous: true }))
    },

    /**
     * On start: turn a stored refresh token into a session (or become anonymous). A transient
     * failure (network, 5xx, 429) is retried a few times first: a blip while the app loads
     * must not send a signed-in user to the login page. The token is kept either way; only
     * the server saying it is invalid removes it.
     */
    async restore(): Promise<void> {
      if (this.status !== 'unknown') return
      for (let attempt = 0; attempt < RESTORE_ATTEMPTS && readRefreshToken(); attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 400 * 2 ** attempt))
        await this.refresh()
        if (this.status !== 'unknown') return
      }
      this.status = 'anonymous'
    },

    /**
     * New tokens from the refresh token. Single-flight inside the tab, locked across tabs.
     * Returns false when there is no session any more (then everything is logged out); a
     * network failure keeps the session and retries later.
     */
    refresh(): Promise<boolean> {
      if (refreshing) return refreshing
      refreshing = withRefreshLock(async () => {
        const token = readRefreshToken()
        if (!token) {
          this.clearLocal()
          return false
        }
        try {
          const tokens = await apiRequest<TokensDto>('POST', '/auth/refresh', { refresh_token: token }, { anonymous: true })
          this.accept(tokens)
          return true
        } catch (e) {
          if (e instanceof ApiError && (e.isNetwork || e.status >= 500 || e.status === 429)) {
            // Transient: keep what we have and try again shortly.
            if (refreshTimer) clearTimeout(refreshTimer)
            refreshTimer = setTimeout(() => void this.refresh(), 10_000)
            return this.status === 'authenticated'
          }
          // The session is gone (revoked, reused, expired): log out everywhere in this browser.
          this.clearLocal()
          return false
        }
      }).finally(() => {
        refreshing = null
      })
      return refreshing
    },

    async logout() {
      const token = readRefreshToken()
      if (token) {
        try {
          await apiRequest('POST', '/auth/logout', { refresh_token: token }, { anonymous: true })
        } catch {
          // logging out locally is what matters
        }
      }
      this.clearLocal()
    },

    /** Forget the session in this tab and, through localStorage, in the other tabs. */
    clearLocal() {
      if (refreshTimer) clearTimeout(refreshTimer)
      refreshTimer = null
      writeRefreshToken(null)
      const wasIn = this.status === 'authenticated'
      this.user = null
      this.accessToken = null
      this.expiresAt = 0
      this.status = 'anonymous'
      if (wasIn) resetSessionStores()
    },

    setUser(user: MeDto) {
      this.user = user
    },

    /** `user.updated` about me (from another device or tab): name, bio, avatar, status. */
    applyUserUpdate(e: UserUpdated) {
      this.user = applyUserUpdateToMe(this.user, e)
    },

    /** Upload a new avatar: a square cut and scaled by the server. */
    async setAvatar(file: File) {
      const form = new FormData()
      form.append('file', file, file.name || 'avatar')
      this.user = await api.upload<MeDto>('/avatars/me', form)
    },

    async removeAvatar() {
      this.user = await api.del<MeDto>('/avatars/me')
    },
  },
})

/** Empties every store that holds the previous user's data (and the cached media). */
function resetSessionStores() {
  forgetMedia()
  useConversationsStore().$reset()
  useMessagesStore().reset()
  usePresenceStore().$reset()
  useTypingStore().$reset()
  useGroupsStore().$reset()
  useContactsStore().$reset()
  useUsersStore().$reset()
  useProfileStore().$reset()
  useAdminStore().$reset()
  useUiStore().resetSession()
}
