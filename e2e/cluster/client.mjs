// A chat client as the web client behaves, for the fault scripts: it holds one conversation's
// messages by seq, and on close gets a new ticket, connects again (next URL of its list), and
// after `ready` (or `resync`) fetches what it missed with `after_seq`; a message whose seq
// leaves a gap makes it fetch the gap. Duplicates are counted, never held twice.
//
// `watchdog`: the socket is also given up when nothing arrived for that many heartbeats. The
// server answers every heartbeat with a `heartbeat` event, so a host cut off without a reset
// goes silent and is left within `watchdog` heartbeats instead of the TCP timeout (as the web
// client's watchdog in web/app/utils/socket.ts does).
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Client {
  /** `api` from lib.mjs's apiClient; `user` from /auth/register; `urls`: ws base URLs. */
  constructor(api, user, conversationId, urls, { watchdog = 0, name = user.user.username } = {}) {
    Object.assign(this, { api, user, conversationId, urls, watchdog, name });
    Object.assign(this, { held: new Map(), duplicates: 0, connects: 0, resyncs: 0, lastFrame: 0 });
  }
  lastSeq() {
    let s = 0;
    while (this.held.has(s + 1)) s++;
    return s;
  }
  hold(m) {
    if (m.conversation_id !== this.conversationId) return;
    if (this.held.has(m.seq)) this.duplicates++;
    else this.held.set(m.seq, m.body);
  }
  async catchUp() {
    for (;;) {
      const page = await this.api('GET', `/conversations/${this.conversationId}/messages?after_seq=${this.lastSeq()}&limit=100`, this.user.access_token);
      page.items.forEach((m) => this.hold(m));
      if (!page.has_more) return;
    }
  }
  /** Connects (retrying with backoff over the URLs); resolves with the URL once caught up. */
  async connect() {
    for (let attempt = 0; ; attempt++) {
      const url = this.urls[(this.connects + attempt) % this.urls.length];
      try {
        await this.open(url);
        this.connects++;
        this.url = url;
        return url;
      } catch (e) {
        if (attempt > 60 || this.stopped) throw e;
        await sleep(Math.min(250 * 2 ** attempt, 2000));
      }
    }
  }
  async open(url) {
    const { ticket } = await this.api('POST', '/auth/ws-ticket', this.user.access_token, {});
    const socket = new WebSocket(`${url}/ws?ticket=${encodeURIComponent(ticket)}`);
    this.socket = socket;
    let wasReady = false;
    let beat;
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no ready')), 10_000);
      socket.addEventListener('message', async (e) => {
        this.lastFrame = Date.now();
        const event = JSON.parse(e.data);
        if (event.type === 'ready') {
          clearTimeout(timer);
          wasReady = true;
          beat = this.startHeartbeat(socket, event.data.heartbeat_ms);
          try {
            await this.catchUp();
            resolve();
          } catch (err) {
            reject(err);
            socket.close(4000);
          }
        } else if (event.type === 'message.new') {
          // A gap (a seq beyond the next): fetched through REST, as the web client does.
          const gap = event.data.conversation_id === this.conversationId && event.data.seq > this.lastSeq() + 1;
          this.hold(event.data);
          if (gap && wasReady) {
            this.gaps = (this.gaps ?? 0) + 1;
            await this.catchUp().catch(() => {});
          }
        } else if (event.type === 'resync') {
          this.resyncs++;
          await this.catchUp().catch(() => socket.close(4000));
        }
      });
      socket.addEventListener('close', () => {
        clearInterval(beat);
        clearTimeout(timer);
        reject(new Error('closed'));
        // Only a socket that was up reconnects; a failed attempt is retried by connect().
        if (wasReady && !this.stopped && this.socket === socket) {
          this.lostAt = Date.now();
          this.reconnecting = this.connect().then((u) => {
            this.movedAt = Date.now();
            return u;
          });
        }
      });
      socket.addEventListener('error', () => reject(new Error('error')));
    });
  }
  startHeartbeat(socket, every) {
    const beat = setInterval(() => {
      if (socket.readyState === 1) socket.send('{"type":"heartbeat"}');
      if (!this.watchdog) return;
      // Silent for `watchdog` heartbeats, open or stuck closing (a close frame received whose
      // handshake can never finish: its host was cut off right after sending it; such a
      // socket fires no `close` until TCP gives up): left for another node. close() would
      // wait for the peer's close frame.
      if (Date.now() - this.lastFrame > every * this.watchdog) {
        this.socket = null;
        clearInterval(beat);
        this.lostAt = Date.now();
        this.silentCloses = (this.silentCloses ?? 0) + 1;
        socket.close(4000);
        this.reconnecting = this.connect().then((u) => {
          this.movedAt = Date.now();
          return u;
        });
      }
    }, every);
    return beat;
  }
  close() {
    this.stopped = true;
    this.socket?.close(1000);
  }
}
