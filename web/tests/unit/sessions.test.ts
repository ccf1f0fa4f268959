import { describe, expect, it } from 'vitest'
import { currentFirst, describeDevice, timeAgo } from '../../app/utils/sessions'
import type { SessionDto } from '../../app/utils/types'

const UA = {
  chromeLinux: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  headless: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.60 Safari/537.36',
  chromeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  edge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51',
  opera: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0',
  firefoxMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0',
  firefoxLinux: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  safariMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  safariIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  chromeIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1',
  firefoxIpad: 'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15',
  chromeAndroid: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  samsung: 'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36',
  chromeOs: 'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
}

describe('describeDevice', () => {
  it.each([
    [UA.chromeLinux, 'Chrome on Linux'],
    [UA.headless, 'Chrome on Linux'],
    [UA.chromeWindows, 'Chrome on Windows'],
    [UA.edge, 'Edge on Windows'],
    [UA.opera, 'Opera on macOS'],
    [UA.firefoxMac, 'Firefox on macOS'],
    [UA.firefoxLinux, 'Firefox on Linux'],
    [UA.safariMac, 'Safari on macOS'],
    [UA.safariIphone, 'Safari on iPhone'],
    [UA.chromeIphone, 'Chrome on iPhone'],
    [UA.firefoxIpad, 'Firefox on iPad'],
    [UA.chromeAndroid, 'Chrome on Android'],
    [UA.samsung, 'Samsung Internet on Android'],
    [UA.chromeOs, 'Chrome on ChromeOS'],
  ])('%s -> %s', (ua, name) => {
    expect(describeDevice(ua)).toBe(name)
  })

  it('names the browser alone when the system is unknown', () => {
    expect(describeDevice('Mozilla/5.0 (compatible) Gecko/20100101 Firefox/125.0')).toBe('Firefox')
  })

  it('shows an unknown client as its User-Agent, shortened', () => {
    expect(describeDevice('curl/8.5.0')).toBe('curl/8.5.0')
    expect(describeDevice('  okhttp/4.12.0 ')).toBe('okhttp/4.12.0')
    const long = `Playwright/1.50.0 (x64; debian 12) node/20.19 ${'x'.repeat(80)}`
    const shown = describeDevice(long)
    expect(shown).toHaveLength(60)
    expect(shown.endsWith('…')).toBe(true)
    expect(long.startsWith(shown.slice(0, -1))).toBe(true)
  })

  it('says "Unknown device" without a User-Agent', () => {
    expect(describeDevice(null)).toBe('Unknown device')
    expect(describeDevice(undefined)).toBe('Unknown device')
    expect(describeDevice('   ')).toBe('Unknown device')
  })
})

describe('timeAgo', () => {
  const now = new Date('2026-03-10T12:00:00Z')
  const ago = (ms: number) => new Date(now.getTime() - ms).toISOString()
  const MIN = 60_000
  const HOUR = 60 * MIN
  const DAY = 24 * HOUR

  it('counts minutes, hours and days', () => {
    expect(timeAgo(ago(0), now)).toBe('just now')
    expect(timeAgo(ago(59_000), now)).toBe('just now')
    expect(timeAgo(ago(MIN), now)).toBe('1 min ago')
    expect(timeAgo(ago(59 * MIN), now)).toBe('59 min ago')
    expect(timeAgo(ago(HOUR), now)).toBe('1 h ago')
    expect(timeAgo(ago(23 * HOUR + 59 * MIN), now)).toBe('23 h ago')
    expect(timeAgo(ago(DAY), now)).toBe('yesterday')
    expect(timeAgo(ago(2 * DAY), now)).toBe('2 days ago')
    expect(timeAgo(ago(29 * DAY), now)).toBe('29 days ago')
  })

  it('says "just now" for a time a little ahead (clock skew)', () => {
    expect(timeAgo(ago(-30_000), now)).toBe('just now')
  })

  it('gives the date after a month', () => {
    const iso = ago(40 * DAY)
    expect(timeAgo(iso, now)).toMatch(/^on .*2026/)
  })
})

describe('currentFirst', () => {
  const session = (id: string, current = false): SessionDto => ({
    id,
    user_agent: null,
    ip: null,
    signed_in_at: '2026-01-01T00:00:00Z',
    last_active_at: '2026-01-01T00:00:00Z',
    current,
  })

  it('puts this device first and keeps the order of the others', () => {
    const list = [session('a'), session('b'), session('me', true), session('c')]
    expect(currentFirst(list).map((s) => s.id)).toEqual(['me', 'a', 'b', 'c'])
    expect(list.map((s) => s.id)).toEqual(['a', 'b', 'me', 'c'])
  })

  it('copes without the current session', () => {
    expect(currentFirst([session('a'), session('b')]).map((s) => s.id)).toEqual(['a', 'b'])
    expect(currentFirst([])).toEqual([])
  })
})
