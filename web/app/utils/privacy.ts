// Privacy settings (`/me/privacy`): the choices shown in the settings, and what to say when
// someone's settings refuse a new chat or a group add.

import type { Audience, PrivacyDto } from './types'
import { ApiError, describeError } from './apiError'

export const AUDIENCES: { value: Audience; label: string }[] = [
  { value: 'everyone', label: 'Everyone' },
  { value: 'contacts', label: 'My contacts' },
  { value: 'nobody', label: 'Nobody' },
]

export type PrivacyField = keyof PrivacyDto

export function isAudience(v: unknown): v is Audience {
  return v === 'everyone' || v === 'contacts' || v === 'nobody'
}

/** Sentence for a refusal caused by the other person's privacy settings, or null. */
export function privacyRefusal(e: unknown, name?: string | null): string | null {
  if (!(e instanceof ApiError) || e.status !== 403) return null
  const who = name?.trim()
  if (e.code === 'direct_messages_not_allowed') {
    return who ? `${who} only accepts messages from their contacts.` : 'This person only accepts messages from their contacts.'
  }
  if (e.code === 'group_add_not_allowed') {
    return who
      ? `${who} doesn't allow being added to groups; send an invite link instead.`
      : "Someone you picked doesn't allow being added to groups; leave them out and send them an invite link instead."
  }
  return null
}

/** describeError, with the privacy refusals in plain words about `name`. */
export function describeUserError(e: unknown, name?: string | null): string {
  return privacyRefusal(e, name) ?? describeError(e)
}

/** The settings with one field changed (for an optimistic update). */
export function withChange<K extends PrivacyField>(p: PrivacyDto, field: K, value: PrivacyDto[K]): PrivacyDto {
  return { ...p, [field]: value }
}
