// Settings > Sign-in methods: which providers to show as linked or linkable, whether one may be
// unlinked (never the last way in), and the words for the link results the API redirects with.

import type { LinkedIdentityDto, OidcProviderDto } from './types'

export interface SignInMethod {
  provider: string
  label: string
  linked: LinkedIdentityDto | null
}

/** Every configured provider, linked or not, then linked ones no longer configured. */
export function signInMethods(providers: OidcProviderDto[], linked: LinkedIdentityDto[]): SignInMethod[] {
  const rows: SignInMethod[] = providers.map((p) => ({ provider: p.name, label: p.label, linked: linked.find((l) => l.provider === p.name) ?? null }))
  for (const l of linked) {
    if (!providers.some((p) => p.name === l.provider)) rows.push({ provider: l.provider, label: l.label, linked: l })
  }
  return rows
}

/** Unlinking `provider` leaves a way in: a password, or another linked provider. */
export function mayUnlink(provider: string, linked: LinkedIdentityDto[], hasPassword: boolean): boolean {
  return hasPassword || linked.some((l) => l.provider !== provider)
}

const LINK_ERRORS: Record<string, string> = {
  identity_in_use: 'That account of the provider is already linked to another user.',
  state_mismatch: 'The link was not started in this browser. Please try again.',
  state_unknown: 'This link was already used. Please try again.',
  state_expired: 'Linking took too long. Please try again.',
  provider_error: 'The provider did not confirm the link (it was cancelled or refused).',
  provider_unavailable: 'The provider cannot be reached right now. Try again in a moment.',
}

/** The sentence for `/settings?link_error=<code>`. */
export function linkErrorMessage(code: string): string {
  return LINK_ERRORS[code] ?? 'Linking the provider failed. Please try again.'
}
