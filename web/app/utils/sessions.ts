// Pure helpers of the devices list (settings): a friendly name for a User-Agent, how long ago
// a device was active, and the order of the list.

import type { SessionDto } from './types'
import { userLocale } from './locale'

/** Longest raw User-Agent shown when it names no known browser. */
const RAW_MAX = 60

// First match wins: browsers built on Chrome say "Chrome" too, and Chrome says "Safari".
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOPiOS\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bVivaldi\//, 'Vivaldi'],
  [/\bYaBrowser\//, 'Yandex Browser'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bChromium\//, 'Chromium'],
  [/\b(?:HeadlessChrome|Chrome|CriOS)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\/|\b(?:iPhone|iPad|Macintosh)\b.*\bAppleWebKit\//, 'Safari'],
]

// iPhones and iPads say "like Mac OS X", Android says "Linux".
const SYSTEMS: [RegExp, string][] = [
  [/\b(?:iPhone|iPod)\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMacintosh\b|\bMac OS X\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
]

function first(list: [RegExp, string][], ua: string): string | null {
  return list.find(([re]) => re.test(ua))?.[1] ?? null
}

/**
 * "Chrome on Linux", "Safari on iPhone", "Firefox"; a User-Agent that names no known browser
 * as it is (shortened), and none at all as "Unknown device".
 */
export function describeDevice(userAgent: string | null | undefined): string {
  const ua = (userAgent ?? '').trim()
  if (!ua) return 'Unknown device'
  const browser = first(BROWSERS, ua)
  if (!browser) return ua.length > RAW_MAX ? `${ua.slice(0, RAW_MAX - 1)}…` : ua
  const system = first(SYSTEMS, ua)
  return system ? `${browser} on ${system}` : browser
}

/** "just now", "5 min ago", "3 h ago", "yesterday", "4 days ago", then the date. */
export function timeAgo(iso: string, now = new Date()): string {
  const mins = Math.floor((now.getTime() - Date.parse(iso)) / 60_000)
  // A clock a little ahead of this one says "just now" too.
  if (mins < 1) return 'just now'
  if (mins < 60) return `${mins} min ago`
  const hours = Math.floor(mins / 60)
  if (hours < 24) return `${hours} h ago`
  const days = Math.floor(hours / 24)
  if (days === 1) return 'yesterday'
  if (days < 30) return `${days} days ago`
  return `on ${dateLabel(iso)}`
}

/** A date with the time of day, in the browser's language ("3 May 2026, 14:05"). */
export function dateLabel(iso: string): string {
  return new Date(iso).toLocaleString(userLocale(), { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' })
}

/** This device first; the others keep their order (the server's: most recently active first). */
export function currentFirst(list: SessionDto[]): SessionDto[] {
  return [...list.filter((s) => s.current), ...list.filter((s) => !s.current)]
}
