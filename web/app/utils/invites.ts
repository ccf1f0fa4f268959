// Invite links in the group settings: the URL a link opens and how a live link reads.

import type { InviteLinkDto } from './types'

/** The address that opens the invite page (`/invite/<token>`). */
export function inviteUrl(origin: string, token: string): string {
  return `${origin.replace(/\/+$/, '')}/invite/${token}`
}

export function usesLabel(link: Pick<InviteLinkDto, 'uses' | 'max_uses'>): string {
  if (link.max_uses !== null) return `${link.uses} of ${link.max_uses} uses`
  if (link.uses === 0) return 'not used yet'
  return link.uses === 1 ? 'used once' : `used ${link.uses} times`
}

/** How long a link still works (the list shows live links only). */
export function expiryLabel(expiresAt: string | null, now = new Date()): string {
  if (!expiresAt) return 'never expires'
  const minutes = Math.floor((new Date(expiresAt).getTime() - now.getTime()) / 60_000)
  if (minutes < 1) return 'expires in less than a minute'
  if (minutes < 60) return `expires in ${minutes} min`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return `expires in ${hours} h`
  const days = Math.floor(hours / 24)
  return days === 1 ? 'expires in 1 day' : `expires in ${days} days`
}
