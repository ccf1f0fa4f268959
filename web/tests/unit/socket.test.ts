import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ChatSocket, closeAction, type SocketStatus } from '../../app/utils/socket'
import type { ServerEvent } from '../../app/utils/types'

// A stand-in for the browser WebSocket: records what was sent, lets the test play the server.
class FakeWebSocket {
  static CONNECTING = 0
  static OPEN = 1
  static CLOSING = 2
  static CLOSED = 3
  static all: FakeWebSocket[] = []
  readyState = FakeWebSocket.CONNECTING
  sent: string[] = []
  onmessage: ((e: { data: string }) => void) | null = null
  onclose: ((e: { code: number; reason: string }) => void) | null = null
  onerror: (() => void) | null = null
  constructor(readonly url: string) {
    FakeWebSocket.all.push(this)
  }
  send(s: string) {
    this.sent.push(s)
  }
  close(code = 1000) {
    this.readyState = FakeWebSocket.CLOSED
    this.onclose?.({ code, reason: '' })
  }
  serverSends(e: ServerEvent) {
    this.readyState = FakeWebSocket.OPEN
    this.onmessage?.({ data: JSON.stringify(e) })
  }
  serverCloses(code: number) {
    this.readyState = FakeWebSocket.CLOSED
    this.onclose?.({ code, reason: '' })
  }
}

function setup(onSessionEnded?: () => Promise<void> | void) {
  let n = 0
  const statuses: SocketStatus[] = []
  const events: string[] = []
  const auth = vi.fn()
  const socket = new ChatSocket({
    ticket: async () => `t${++n}`,
    url: () => 'ws://test/ws',
    onEvent: (e) => events.push(e.type),
    onStatus: (s) => statuses.push(s),
    onAuthProblem: auth,
    onSessionEnded,
  })
  return { socket, statuses, events, auth, tickets: () => n }
}

describe('closeAction', () => {
  it('maps close codes to what the client does next', () => {
    expect(closeAction(4001)).toBe('session_ended')
    expect(closeAction(1008)).toBe('reauth')
    expect(closeAction(4401)).toBe('reauth')
    for (const code of [1012, 1013, 4008]) expect(closeAction(code)).toBe('now')
    for (const code of [1000, 1006, 1011, 4000]) expect(closeAction(code)).toBe('backoff')
  })
})

const last = () => FakeWebSocket.all[FakeWebSocket.all.length - 1]!
const ready: ServerEvent = { type: 'ready', data: { session_id: 's', heartbeat_ms: 10_000 } }

describe('ChatSocket', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    FakeWebSocket.all = []
    vi.stubGlobal('WebSocket', FakeWebSocket)
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  it('uses a fresh ticket per connection and is open only after ready', async () => {
    const { socket, statuses, tickets } = setup()
    socket.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(last().url).toBe('ws://test/ws?ticket=t1')
    expect(socket.state).toBe('connecting')
    last().serverSends(ready)
    expect(socket.state).toBe('open')
    last().serverCloses(1006)
    await vi.advanceTimersByTimeAsync(15_000)
    expect(tickets()).toBe(2)
    expect(last().url).toBe('ws://test/ws?ticket=t2')
    expect(statuses).toEqual(['connecting', 'open', 'reconnecting'])
  })

  it('sends heartbeats every heartbeat_ms while open', async () => {
    const { socket } = setup()
    socket.start()
    await vi.advanceTimersByTimeAsync(0)
    last().serverSends(ready)
    await vi.advanceTimersByTimeAsync(30_500)
    expect(last().sent.filter((s) => s === '{"type":"heartbeat"}')).toHaveLength(3)
  })

  it('comes back at once after 1012 (server restarting), with backoff after a crash', async () => {
    const { socket } = setup()
    socket.start()
    await vi.advanceTimersByTimeAsync(0)
    last().serverSends(ready)
    last().serverCloses(1012)
    await vi.advanceTimersByTimeAsync(260)
    expect(FakeWebSocket.all).toHaveLength(2)
    // crashes without ever getting ready: waits grow, but never beyond 15 s
    for (let i = 0; i < 8; i++) {
      const before = FakeWebSocket.all.length
      last().serverCloses(1006)
      await vi.advanceTimersByTimeAsync(499)
      expect(FakeWebSocket.all.length).toBe(before) // at least 0.5 s
      await vi.advanceTimersByTimeAsync(15_000)
      expect(FakeWebSocket.all.length).toBe(before + 1) // at most 15 s
    }
  })

  it('asks for new credentials after an auth close, and stop() ends reconnecting', async () => {
    const { socket, auth } = setup()
    socket.start()
    await vi.advanceTimersByTimeAsync(0)
    last().serverCloses(4401)
    expect(auth).toHaveBeenCalledOnce()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(FakeWebSocket.all).toHaveLength(2)
    socket.stop()
    expect(socket.state).toBe('idle')
    await vi.advanceTimersByTimeAsync(60_000)
    expect(FakeWebSocket.all).toHaveLength(2)
  })

  it('checks the session after 4001 before anything else, and does not come back once signed out', async () => {
    let ended: () => void = () => {}
    const sessionEnded = vi.fn(() => new Promise<void>((resolve) => (ended = resolve)))
    const { socket, auth, tickets } = setup(sessionEnded)
    socket.start()
    await vi.advanceTimersByTimeAsync(0)
    last().serverSends(ready)
    last().serverCloses(4001)
    expect(sessionEnded).toHaveBeenCalledOnce()
    expect(auth).not.toHaveBeenCalled()
    // No reconnect while the check runs, however long it takes.
    await vi.advanceTimersByTimeAsync(30_000)
    expect(tickets()).toBe(1)
    // The refresh failed: the owner signs out, which stops the socket; nothing reconnects.
    socket.stop()
    ended()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(tickets()).toBe(1)
    expect(socket.state).toBe('idle')
  })

  it('drops the socket when the browser goes offline and comes back at once when nudged', async () => {
    const { socket, statuses, tickets } = setup()
    socket.start()
    await vi.advanceTimersByTimeAsync(0)
    const first = last()
    first.serverSends(ready)
    socket.offline()
    expect(first.readyState).toBe(FakeWebSocket.CLOSED)
    expect(socket.state).toBe('reconnecting')
    expect(first.sent).toEqual([])
    // Back online: at once, not after the backoff.
    socket.nudge()
    await vi.advanceTimersByTimeAsync(0)
    expect(tickets()).toBe(2)
    last().serverSends(ready)
    expect(statuses).toEqual(['connecting', 'open', 'reconnecting', 'open'])
    // Offline while idle or stopped does nothing.
    socket.stop()
    socket.offline()
    expect(socket.state).toBe('idle')
  })

  it('takes a socket that stops answering heartbeats for dead and replaces it at once', async () => {
    const { socket, statuses, events, tickets } = setup()
    socket.start()
    await vi.advanceTimersByTimeAsync(0)
    const first = last()
    first.serverSends(ready)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(first.sent).toEqual(['{"type":"heartbeat"}'])
    first.serverSends({ type: 'heartbeat' })
    expect(events).toEqual(['ready']) // answers are the socket's own business
    // Its host is cut off: nothing arrives any more, no close either.
    await vi.advanceTimersByTimeAsync(30_000)
    expect(first.sent).toHaveLength(4)
    expect(tickets()).toBe(1)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(first.readyState).toBe(FakeWebSocket.CLOSED)
    expect(socket.state).toBe('reconnecting')
    await vi.advanceTimersByTimeAsync(1_000)
    expect(tickets()).toBe(2)
    last().serverSends(ready)
    expect(statuses).toEqual(['connecting', 'open', 'reconnecting', 'open'])
    expect(events).toEqual(['ready', 'ready']) // the owner catches up on ready, as after any reconnect
  })

  it('keeps a socket that is heard from, and never leaves a server that does not answer heartbeats', async () => {
    const { socket, tickets } = setup()
    socket.start()
    await vi.advanceTimersByTimeAsync(0)
    const old = last()
    old.serverSends(ready)
    await vi.advanceTimersByTimeAsync(120_000)
    expect(old.sent).toHaveLength(12)
    expect(tickets()).toBe(1) // an older server: no answer ever, so no watchdog
    old.serverSends({ type: 'heartbeat' })
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(25_000)
      old.serverSends({ type: 'resync', data: { reason: 'x' } }) // anything heard counts
    }
    expect(tickets()).toBe(1)
    expect(socket.state).toBe('open')
  })

  it('comes back with backoff after 4001 when the session survived the check', async () => {
    const sessionEnded = vi.fn(async () => {})
    const { socket, tickets } = setup(sessionEnded)
    socket.start()
    await vi.advanceTimersByTimeAsync(0)
    last().serverSends(ready)
    last().serverCloses(4001)
    await vi.advanceTimersByTimeAsync(15_000)
    expect(sessionEnded).toHaveBeenCalledOnce()
    expect(tickets()).toBe(2)
  })
})
