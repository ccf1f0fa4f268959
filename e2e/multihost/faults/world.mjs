// The people and clients every fault works with: alice sends to a group of bob and carol; each
// of them has two clients (sockets through lb's nginx, so spread over ws1..ws3). `send` retries a
// message with its client_id until the api commits it (the same message, never a second one);
// `settle` waits until every client holds every committed seq exactly once.
import { Client } from '../../cluster/client.mjs';
import { apiClient } from '../../cluster/lib.mjs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function makeWorld(base) {
  const api = apiClient(base);
  const suffix = Math.random().toString(36).slice(2, 8);
  const register = (who) => api('POST', '/auth/register', null, { username: `mh_${who}_${suffix}`, password: 'password123' });
  const [alice, bob, carol] = [await register('a'), await register('b'), await register('c')];
  const group = await api('POST', '/groups', alice.access_token, { name: `faults ${suffix}`, member_ids: [bob.user.id, carol.user.id] });
  const conversationId = group.channels[0].id;
  const wsBase = base.replace(/^http/, 'ws');
  const clients = [bob, bob, carol, carol].map((u) => new Client(api, u, conversationId, [wsBase], { watchdog: 3 }));
  for (const c of clients) await c.connect();
  return new World(api, alice, conversationId, clients);
}

class World {
  constructor(api, sender, conversationId, clients) {
    Object.assign(this, { api, sender, conversationId, clients, committed: new Set(), failedTries: 0 });
  }

  /** Sends `n` messages one after the other; each retried (same client_id) until committed. */
  async send(n, label, { deadlineMs = 90_000 } = {}) {
    for (let i = 0; i < n; i++) await this.sendOne(`${label} ${this.committed.size + 1}`, deadlineMs);
  }

  /** Sends `n` messages at once (a burst). */
  async burst(n, label) {
    await Promise.all(Array.from({ length: n }, (_, i) => this.sendOne(`${label} burst ${i}`, 90_000)));
  }

  async sendOne(body, deadlineMs) {
    const clientId = crypto.randomUUID();
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      try {
        const m = await this.api('POST', `/conversations/${this.conversationId}/messages`, this.sender.access_token, { client_id: clientId, body });
        this.committed.add(m.seq);
        return m.seq;
      } catch (e) {
        this.failedTries++;
        if (Date.now() > deadline) throw new Error(`not committed within ${deadlineMs} ms: ${e.message}`);
        await sleep(250);
      }
    }
  }

  /** Until every client holds every committed seq; throws with who lacks what after `ms`. */
  async settle(what, ms = 60_000) {
    const deadline = Date.now() + ms;
    const top = Math.max(0, ...this.committed);
    const behind = () => this.clients.filter((c) => c.lastSeq() < top);
    while (behind().length && Date.now() < deadline) await sleep(50);
    const late = behind();
    if (late.length) {
      throw new Error(`${what}: ${late.map((c) => `${c.name} holds up to ${c.lastSeq()} of ${top}`).join('; ')}`);
    }
    for (const c of this.clients) {
      for (const seq of this.committed) if (!c.held.has(seq)) throw new Error(`${what}: ${c.name} lacks seq ${seq}`);
    }
  }

  /** Every client holds seqs 1..top, each once (duplicate deliveries are counted, not held). */
  tally() {
    const top = Math.max(0, ...this.committed);
    return {
      committed: this.committed.size,
      top_seq: top,
      every_client_complete: this.clients.every((c) => c.lastSeq() === top && c.held.size === top),
      duplicate_deliveries: this.clients.reduce((n, c) => n + c.duplicates, 0),
      reconnects: this.clients.reduce((n, c) => n + c.connects - 1, 0),
    };
  }

  close() {
    for (const c of this.clients) c.close();
  }
}
