// The browser's language for dates and times (Intl), never a hard-coded one: a German browser
// shows "6. Dezember", "14:05" and "Heute". Undefined outside a browser (Intl's default).

export function userLocale(): string | undefined {
  if (typeof navigator === 'undefined') return undefined
  return navigator.languages?.[0] ?? navigator.language ?? undefined
}

/** "Today" / "Yesterday" (days = 0 / -1) in the browser's language, capitalised. */
export function relativeDay(days: number, locale = userLocale()): string {
  const text = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }).format(days, 'day')
  return text.charAt(0).toLocaleUpperCase(locale) + text.slice(1)
}
