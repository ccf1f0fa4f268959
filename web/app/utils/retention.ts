// Disappearing messages: the choices offered in the chat menu and how a setting reads.

/** The menu's choices, in days (null: off). The server accepts 1-365. */
export const RETENTION_CHOICES: { days: number | null; label: string }[] = [
  { days: null, label: 'Off' },
  { days: 1, label: '1 day' },
  { days: 7, label: '7 days' },
  { days: 30, label: '30 days' },
]

export function daysLabel(days: number): string {
  return days === 1 ? '1 day' : `${days} days`
}

/** The header's note, or '' when messages are kept. */
export function retentionNote(days: number | null | undefined): string {
  return days ? `Messages disappear after ${daysLabel(days)}` : ''
}

/** The toast after a change. */
export function retentionDone(days: number | null): string {
  return days ? `Messages now disappear after ${daysLabel(days)}` : 'Messages no longer disappear'
}
