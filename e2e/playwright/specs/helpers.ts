// Shared helpers of the specs: users made through the REST API, sessions handed to a browser
// context, and small waits. Every run uses unique usernames, so specs never see old data.
import { deflateSync } from 'node:zlib'
import { expect, type APIRequestContext, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test'
import { execFileSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
export const ARTIFACTS = path.join(ROOT, 'e2e/artifacts')
export const BASE = process.env.CHAT_URL ?? 'http://localhost:8000'
export const PASSWORD = 'password123'

const RUN = Date.now().toString(36).slice(-5) + Math.random().toString(36).slice(2, 5)
let counter = 0
/** A fresh username for this run (3-32 chars of [a-z0-9_.]). */
export function uniqueName(prefix: string): string {
  return `${prefix}_${RUN}${++counter}`.toLowerCase()
}

export interface Session {
  id: number
  username: string
  access_token: string
  refresh_token: string
}

async function postJson(request: APIRequestContext, url: string, body: unknown, token?: string) {
  // Login/register are rate limited per IP: wait out a 429 instead of failing the run.
  for (let attempt = 0; ; attempt++) {
    const res = await request.post(`${BASE}/api${url}`, {
      data: body,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    })
    if (res.status() === 429 && attempt < 6) {
      const wait = Number(res.headers()['retry-after'] ?? '10')
      await new Promise((r) => setTimeout(r, Math.min(60, Math.max(1, wait)) * 1000))
      continue
    }
    const json = await res.json().catch(() => null)
    if (!res.ok()) throw new Error(`POST ${url} -> ${res.status()} ${JSON.stringify(json)}`)
    return json
  }
}

export async function registerApi(request: APIRequestContext, prefix: string, displayName?: string): Promise<Session> {
  const username = uniqueName(prefix)
  const t = await postJson(request, '/auth/register', { username, password: PASSWORD, display_name: displayName ?? username })
  return { id: t.user.id, username, access_token: t.access_token, refresh_token: t.refresh_token }
}

/** A new session of an existing account (another device or browser). */
export async function loginApi(request: APIRequestContext, username: string): Promise<Session> {
  const t = await postJson(request, '/auth/login', { username, password: PASSWORD })
  return { id: t.user.id, username, access_token: t.access_token, refresh_token: t.refresh_token }
}

export function apiPost(request: APIRequestContext, session: Session, url: string, body: unknown = {}) {
  return postJson(request, url, body, session.access_token)
}

/**
 * Makes `username` an administrator with the binary's operator command (`api-server admin
 * grant`), against the cluster's database (the runner exports DATABASE_URL).
 */
export function grantAdmin(username: string) {
  const bin = path.join(ROOT, 'target', process.env.CHAT_PROFILE ?? 'release', 'api-server')
  execFileSync(bin, ['admin', 'grant', username], { env: process.env, stdio: ['ignore', 'pipe', 'inherit'], timeout: 60_000 })
}

/**
 * Runs one SQL statement with `psql` against the cluster's database (the runner exports
 * DATABASE_URL; DATABASE_URL_FOR_PSQL overrides it) and returns its unaligned output. For what
 * the UI cannot do quickly: aging messages, recording a flood-control flag.
 */
export function sql(statement: string): string {
  const url = process.env.DATABASE_URL_FOR_PSQL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/chat'
  // psql does not take the server's ?query options (pool settings and the like).
  const conninfo = url.split('?')[0]!
  return execFileSync('psql', [conninfo, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', statement], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 30_000,
  }).trim()
}

/**
 * A browser context already signed in as `session`: the refresh token is put where the app
 * keeps it, and the app turns it into a session on load (the refresh token is spent then, so
 * use each Session for one context only).
 */
export async function contextFor(browser: Browser, session: Session, options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
  const ctx = await browser.newContext(options)
  await ctx.addInitScript((token) => {
    if (!sessionStorage.getItem('e2e.seeded')) {
      localStorage.setItem('chat.refresh_token', token)
      sessionStorage.setItem('e2e.seeded', '1')
    }
  }, session.refresh_token)
  await ctx.addInitScript(recordTicksAndBanner)
  return ctx
}

/**
 * Runs in the page: records every state of every message tick (by client id) and whether the
 * reconnect banner ever showed, so short-lived states can be asserted after the fact.
 */
export function recordTicksAndBanner() {
  const w = window as unknown as { __ticks: Record<string, string[]>; __bannerShown: number }
  w.__ticks = {}
  w.__bannerShown = 0
  const seen = (el: Element) => {
    if (el instanceof HTMLElement && el.dataset.testid === 'tick') {
      const id = el.closest<HTMLElement>('[data-client-id]')?.dataset.clientId ?? '?'
      const list = (w.__ticks[id] ??= [])
      const state = el.dataset.state ?? '?'
      if (list[list.length - 1] !== state) list.push(state)
    }
    if (el instanceof HTMLElement && el.dataset.testid === 'connection-banner' && el.textContent?.includes('Reconnecting')) w.__bannerShown++
  }
  new MutationObserver((records) => {
    for (const r of records) {
      const target = r.target instanceof Element ? r.target : r.target.parentElement
      if (!target) continue
      seen(target)
      target.querySelectorAll('[data-testid="tick"]').forEach(seen)
      const banner = target.closest('[data-testid="connection-banner"]')
      if (banner) seen(banner)
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'], characterData: true })
}

export async function tickHistory(page: Page, clientId: string): Promise<string[]> {
  return page.evaluate((id) => (window as unknown as { __ticks: Record<string, string[]> }).__ticks[id] ?? [], clientId)
}

/** The message bubble holding exactly this text. */
export function message(page: Page, text: string) {
  return page.getByTestId('message').filter({ has: page.getByTestId('message-body').getByText(text, { exact: true }) })
}

export async function sendMessage(page: Page, text: string) {
  const box = page.getByTestId('composer')
  await box.fill(text)
  await box.press('Enter')
  await expect(message(page, text)).toHaveCount(1)
}

/**
 * Clicks a sign-in/sign-up button until the answer is not "Too many requests" (login and
 * register are rate limited per IP, and other suites on this machine count too).
 */
export async function submitPastRateLimit(page: Page, button: Locator, done: Locator) {
  for (let attempt = 0; attempt < 8; attempt++) {
    await button.click()
    const limited = page.getByRole('alert').filter({ hasText: 'Too many requests' })
    await expect(done.or(limited)).toBeVisible()
    if (await done.isVisible()) return
    const seconds = Number((await limited.textContent())?.match(/in (\d+) s/)?.[1] ?? '5')
    await page.waitForTimeout((Math.min(seconds, 60) + 1) * 1000)
  }
  await expect(done).toBeVisible()
}

export function screenshotPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true })
  return path.join(ARTIFACTS, name)
}

export async function waitConnected(page: Page) {
  await expect(page.getByTestId('connection-banner')).toHaveAttribute('data-socket', 'open', { timeout: 20_000 })
}

// --- the native cluster ------------------------------------------------------------------------
export const STATE_DIR = process.env.CHAT_STATE_DIR ?? path.join(ROOT, '.local')

export function wsNodes(): { node: string; port: number }[] {
  const base = Number(process.env.CHAT_WS_BASE_PORT ?? 8090)
  const count = Number(process.env.CHAT_WS_REPLICAS ?? 2)
  return Array.from({ length: count }, (_, i) => ({ node: `ws-${i + 1}`, port: base + i + 1 }))
}

export function pidOf(node: string): number {
  return Number(readFileSync(path.join(STATE_DIR, 'run', `${node}.pid`), 'utf8').trim())
}

/** Open sockets per ws node, from each node's Prometheus gauge chat_ws_connections. */
export async function connectionsPerNode(request: APIRequestContext): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const { node, port } of wsNodes()) {
    try {
      const text = await (await request.get(`http://127.0.0.1:${port}/metrics`)).text()
      const line = text.split('\n').find((l) => l.startsWith('chat_ws_connections'))
      out[node] = line ? Number(line.trim().split(/\s+/).pop()) : 0
    } catch {
      out[node] = -1
    }
  }
  return out
}

export function clusterUp() {
  execFileSync(path.join(ROOT, 'deploy/local/cluster.sh'), ['up'], {
    cwd: ROOT,
    env: { ...process.env, CHAT_SKIP_BUILD: process.env.CHAT_SKIP_BUILD ?? '1' },
    stdio: 'inherit',
    timeout: 180_000,
  })
}

// --- two-factor authentication -------------------------------------------------------------------

/** Bytes of an RFC 4648 base32 string (no padding needed; spaces and case ignored). */
function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  const clean = text.replace(/[\s=]/g, '').toUpperCase()
  const out: number[] = []
  let bits = 0
  let value = 0
  for (const ch of clean) {
    const v = alphabet.indexOf(ch)
    if (v < 0) throw new Error(`not base32: ${ch}`)
    value = (value << 5) | v
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

/** The TOTP code (RFC 6238: HMAC-SHA1, 30 s step, 6 digits) of a base32 secret at `at` (ms). */
export function totpCode(secret: string, at: number = Date.now()): string {
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)))
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest()
  const offset = mac[mac.length - 1]! & 0x0f
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000
  return binary.toString().padStart(6, '0')
}

// --- images ---------------------------------------------------------------------------------------

/** CRC-32 of PNG chunks. */
function crc32(bytes: Buffer): number {
  let c = ~0
  for (const b of bytes) {
    c ^= b
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1))
  }
  return ~c >>> 0
}

/** A 96 x 96 PNG of a sunset (sky, sun, sea): a photo that is visibly not initials. */
export function sunsetPng(): Buffer {
  const side = 96
  const rows: number[] = []
  for (let y = 0; y < side; y++) {
    rows.push(0)
    for (let x = 0; x < side; x++) {
      const sun = (x - 48) ** 2 + (y - 58) ** 2 < 22 * 22
      const rgb = sun ? [255, 200 - y * 0.8, 60] : y > 70 ? [20, 60 + (y - 70) * 2, 110] : [250 - y * 1.5, 120 + y * 0.6, 170 + y * 0.5]
      rows.push(...rgb.map((v) => Math.max(0, Math.min(255, Math.round(v)))))
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const len = Buffer.alloc(4)
    len.writeUInt32BE(data.length)
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    return Buffer.concat([len, body, crc])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(side, 0)
  header.writeUInt32BE(side, 4)
  header.set([8, 2, 0, 0, 0], 8)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/** Opens `url` for `session` and returns the page with the ws node its socket landed on (the one
 * whose connection count went up). */
export async function openOnNode(browser: Browser, request: APIRequestContext, session: Session, url: string) {
  const before = await connectionsPerNode(request)
  const page = await (await contextFor(browser, session)).newPage()
  await page.goto(url)
  await waitConnected(page)
  let node = ''
  await expect
    .poll(async () => {
      const now = await connectionsPerNode(request)
      node = Object.keys(now).find((n) => now[n]! > (before[n] ?? 0)) ?? ''
      return node
    }, { message: 'the replica holding the socket' })
    .not.toBe('')
  return { page, node }
}
