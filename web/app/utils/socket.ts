// WebSocket client: one socket per tab, a fresh ticket per connect, heartbeats with a watchdog,
// and reconnect with exponential backoff + jitter. Knows nothing about stores; the owner passes
// callbacks (see composables/useSocket.ts).

import type { ClientEvent, ServerEvent } from './types'
import { backoffDelay, immediateDelay } from './backoff'

export type SocketStatus = 'idle' | 'connecting' | 'open' | 'reconnecting'

export interface SocketOptions {
  /** A single-use ticket from POST /api/auth/ws-ticket. Throwing means: retry later. */
  ticket: () => Promise<string>
  /** ws(s)://host/ws */
  url: () => string
  onEvent: (e: ServerEvent) => void
  onStatus: (s: SocketStatus) => void
  /** A close that says the ticket/session is not accepted (1008, 4401). */
  onAuthProblem?: () => Promise<void> | void
  /**
   * The server ended this user's sessions (4001, e.g. a suspension): the owner checks the
   * session at once (a refresh that fails signs out); reconnecting waits until it is done.
   */
  onSessionEnded?: () => Promise<void> | void
  log?: (msg: string, extra?: unknown) => void
  /**
   * The watchdog: after this many heartbeats in a row with nothing at all heard back, the
   * socket is taken for dead (its host cut off: no close, no reset ever arrives) and replaced
   * at once through the normal path (new ticket, `ready`, catch-up). Armed only once the server
   * answered a heartbeat on this socket: a server that never answers them (older versions) is
   * not left every few heartbeats. Default 3.
   */
  silentBeats?: number
}

/**
 * What a close code asks of the client:
 * - `now`: back at once (on another replica): 1012 restarting, 1013 try again, 4008 slow consumer;
 * - `reauth`: the ticket or session was not accepted (1008, 4401): new credentials, then back;
 * - `session_ended`: the server ended the session (4001 session revoked): do not come back
 *   with it; check the session first (it usually signs out);
 * - `backoff`: anything else (crash, network, heartbeat timeout): back with growing waits.
 */
export type CloseAction = 'now' | 'reauth' | 'session_ended' | 'backoff'

export function closeAction(code: number): CloseAction {
  switch (code) {
    case 1012:
    case 1013:
    case 4008:
      return 'now'
    case 1008:
    case 4401:
      return 'reauth'
    case 4001:
      return 'session_ended'
    default:
      return 'backoff'
  }
}

export class ChatSocket {
  private ws: WebSocket | null = null
  private status: SocketStatus = 'idle'
  private attempt = 0
  private heartbeat: ReturnType<typeof setInterval> | null = null
  /** Heartbeats sent on this socket since anything was last heard. */
  private unanswered = 0
  /** This socket's server answers heartbeats (the watchdog is armed). */
  private answering = false
  private retryTimer: ReturnType<typeof setTimeout> | null = null
  private running = false
  /** Bumped on every connect/stop so stale callbacks of an old socket are ignored. */
  private generation = 0
  sessionId: string | null = null

  constructor(private readonly opts: SocketOptions) {}

  get state(): SocketStatus {
    return this.status
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.attempt = 0
    void this.connect()
  }

  stop(): void {
    this.running = false
    this.generation++
    this.clearTimers()
    const ws = this.ws
    this.ws = null
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, 'bye')
    this.setStatus('idle')
  }

  /** Reconnect now (browser came back online, tab woke up and the socket is down). */
  nudge(): void {
    if (!this.running || this.status === 'open' || this.status === 'connecting') return
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    void this.connect()
  }

  /**
   * The browser went offline: close the socket now and retry with backoff (`nudge` on `online`
   * reconnects at once). Left alone, a socket across a lost network can look open for minutes
   * while nothing reaches it; the catch-up after the next `ready` fills what it missed.
   */
  offline(): void {
    const ws = this.ws
    if (!this.running || !ws) return
    this.ws = null
    this.generation++
    this.clearTimers()
    if (ws.readyState <= WebSocket.OPEN) ws.close(1000, 'offline')
    this.scheduleRetry(false)
  }

  send(e: ClientEvent): boolean {
    if (this.status !== 'open' || !this.ws) return false
    this.ws.send(JSON.stringify(e))
    return true
  }

  private setStatus(s: SocketStatus) {
    if (this.status === s) return
    this.status = s
    this.opts.onStatus(s)
  }

  private clearTimers() {
    if (this.heartbeat) clearInterval(this.heartbeat)
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.heartbeat = null
    this.retryTimer = null
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation
    this.setStatus(this.status === 'idle' ? 'connecting' : 'reconnecting')
    let ticket: string
    try {
      ticket = await this.opts.ticket()
    } catch (e) {
      if (gen !== this.generation) return
      this.opts.log?.('ws ticket failed', e)
      this.scheduleRetry(false)
      return
    }
    if (gen !== this.generation || !this.running) return
    let ws: WebSocket
    try {
      ws = new WebSocket(`${this.opts.url()}?ticket=${encodeURIComponent(ticket)}`)
    } catch (e) {
      this.opts.log?.('ws open failed', e)
      this.scheduleRetry(false)
      return
    }
    this.ws = ws
    this.unanswered = 0
    this.answering = false
    ws.onmessage = (msg) => {
      if (gen !== this.generation) return
      this.unanswered = 0
      let e: ServerEvent
      try {
        e = JSON.parse(String(msg.data)) as ServerEvent
      } catch {
        return
      }
      if (e.type === 'heartbeat') {
        // Transport only: proves the socket alive, nothing for the owner.
        this.answering = true
        return
      }
      if (e.type === 'ready') {
        this.attempt = 0
        this.sessionId = e.data.session_id
        this.startHeartbeat(e.data.heartbeat_ms)
        this.setStatus('open')
      }
      this.opts.onEvent(e)
    }
    ws.onclose = (ev) => {
      if (gen !== this.generation) return
      this.ws = null
      if (this.heartbeat) clearInterval(this.heartbeat)
      this.heartbeat = null
      this.opts.log?.(`ws closed ${ev.code} ${ev.reason}`)
      if (!this.running) return
      this.setStatus('reconnecting')
      const action = closeAction(ev.code)
      if (action === 'reauth' || action === 'session_ended') {
        const check = action === 'session_ended' ? this.opts.onSessionEnded ?? this.opts.onAuthProblem : this.opts.onAuthProblem
        // Back (with backoff) only if the session survived the check and nothing restarted us.
        void Promise.resolve(check?.()).finally(() => {
          if (gen === this.generation) this.scheduleRetry(false)
        })
        return
      }
      this.scheduleRetry(action === 'now')
    }
    // onerror is always followed by onclose, which does the work.
    ws.onerror = () => {}
  }

  private startHeartbeat(ms: number) {
    if (this.heartbeat) clearInterval(this.heartbeat)
    const every = Math.max(1_000, ms || 10_000)
    const silentBeats = Math.max(1, this.opts.silentBeats ?? 3)
    this.heartbeat = setInterval(() => {
      if (this.answering && this.unanswered >= silentBeats) {
        this.dropSilent()
        return
      }
      if (this.send({ type: 'heartbeat' })) this.unanswered++
    }, every)
  }

  /** The watchdog's verdict: nothing heard for `silentBeats` heartbeats. Replaced at once. */
  private dropSilent() {
    const ws = this.ws
    if (!this.running || !ws) return
    this.opts.log?.(`ws silent for ${this.unanswered} heartbeats: reconnecting`)
    this.ws = null
    this.generation++
    this.clearTimers()
    // Its close handshake cannot complete (nothing gets through); the old socket's callbacks
    // are ignored from here on (generation).
    if (ws.readyState <= WebSocket.OPEN) ws.close(4000, 'silent')
    this.scheduleRetry(true)
  }

  private scheduleRetry(now: boolean) {
    if (!this.running) return
    this.setStatus('reconnecting')
    const delay = now && this.attempt === 0 ? immediateDelay() : backoffDelay(this.attempt)
    this.attempt++
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      void this.connect()
    }, delay)
  }
}
