// Faults of single processes: a ws-server stopped with SIGTERM while frames are queued for its
// sockets, and an api-server whose clock runs a few seconds ahead (libfaketime).
import { busiestWs, ctl } from './hosts.mjs';
import { sleep } from './world.mjs';

/**
 * A burst of sends, and while its events are being delivered the busiest ws host gets SIGTERM:
 * it closes its sockets with 1012, the clients move to the other hosts and fetch what they
 * missed. Recovery: SIGTERM -> every client holds every message. The host is started again.
 */
export const wsSigterm = {
  name: 'ws-server SIGTERM with frames queued',
  short: true,
  async run(world) {
    const host = await busiestWs();
    const burst = world.burst(40, 'sigterm');
    await sleep(150);
    const t0 = Date.now();
    await ctl('app', 'stop', host, 'TERM');
    await burst;
    await world.settle(`after ${host} was stopped`);
    const recovery = Date.now() - t0;
    await ctl('app', 'start', host);
    return { recovery_ms: recovery, detail: `${host} stopped during a burst of 40` };
  },
};

/**
 * api2 restarted with its clock 5 s ahead (libfaketime; monotonic time left alone). Tickets it
 * mints must be accepted by the ws hosts (JWT leeway), tokens it signs by api1, and messages
 * sent through it delivered; presence reads through it work, and a rate limit still holds across
 * api1 and api2 (rateLimitAcrossSkew). Recovery:
 * api2 back (skewed) -> every client holds every message sent through it.
 */
/**
 * Rate-limit windows are fixed windows keyed by each node's wall clock (`shared::ratelimit`), so
 * with one node 5 s ahead the two count a user's hits in windows 5 s apart: the limit still
 * holds, at worst twice over around a window's boundary, and never locks anyone out for longer.
 * 40 privacy changes (30 a minute per user, not raised in the data centre) alternately through
 * api1 and the skewed api2: some must be refused with 429 and at most 2 x 30 accepted.
 */
async function rateLimitAcrossSkew(api1, api2, token) {
  let accepted = 0;
  const refusedBy = new Set();
  for (let i = 0; i < 40; i++) {
    const base = i % 2 ? api2 : api1;
    const res = await fetch(`${base}/api/me/privacy`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ last_seen: i % 2 ? 'contacts' : 'everyone' }),
    });
    if (res.ok) accepted += 1;
    else if (res.status === 429) refusedBy.add(base === api1 ? 'api1' : 'api2');
    else throw new Error(`PUT /me/privacy on ${base} -> ${res.status} ${await res.text()}`);
  }
  if (refusedBy.size === 0 || accepted > 60) {
    throw new Error(`the privacy limit (30/min) did not hold across the skewed nodes: ${accepted} of 40 accepted, none refused`);
  }
  return { accepted, refusedBy: [...refusedBy] };
}

export const clockSkew = {
  name: 'clock skew +5 s on api2',
  async run(world) {
    const skewed = process.env.MH_URL_api2;
    await ctl('app', 'stop', 'api2');
    await ctl('skew', 'start', 'api2', '+5s');
    try {
      const t0 = Date.now();
      const direct = async (method, path, token, body) => {
        const res = await fetch(`${skewed}/api${path}`, {
          method,
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        if (!res.ok) throw new Error(`${method} ${path} on api2 -> ${res.status} ${await res.text()}`);
        return res.json();
      };
      // A token signed by the skewed api2 is good on api1 (iat 5 s ahead is within the leeway).
      const login = await direct('POST', '/auth/login', null, { username: world.sender.user.username, password: 'password123' });
      await world.api('GET', '/conversations', login.access_token);
      // A ticket api2 mints opens a socket on the ws hosts.
      const { ticket } = await direct('POST', '/auth/ws-ticket', login.access_token, {});
      const socket = new WebSocket(`${process.env.MH_LB.replace(/^http/, 'ws')}/ws?ticket=${encodeURIComponent(ticket)}`);
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('a ticket from the skewed api2 got no ready')), 10_000);
        socket.addEventListener('message', (e) => JSON.parse(e.data).type === 'ready' && (clearTimeout(timer), resolve()));
        socket.addEventListener('close', (e) => reject(new Error(`a ticket from the skewed api2 was refused: ${e.code} ${e.reason}`)));
      });
      socket.close();
      // Sends through api2 are committed and delivered; presence is read through it.
      for (let i = 0; i < 10; i++) {
        const m = await direct('POST', `/conversations/${world.conversationId}/messages`, login.access_token, { client_id: crypto.randomUUID(), body: `skewed ${i}` });
        world.committed.add(m.seq);
      }
      await direct('GET', `/presence?ids=${world.clients[0].user.user.id}`, login.access_token);
      await world.settle('after sends through the skewed api2');
      const recovery_ms = Date.now() - t0;
      const limit = await rateLimitAcrossSkew(process.env.MH_URL_api1, skewed, login.access_token);
      return {
        recovery_ms,
        detail: `tokens and tickets from api2 accepted; sends through it delivered; privacy limit (30/min) across api1 and skewed api2: ${limit.accepted} of 40 accepted, 429 from ${limit.refusedBy.join(' and ')}`,
      };
    } finally {
      await ctl('app', 'stop', 'api2');
      await ctl('app', 'start', 'api2');
    }
  },
};
