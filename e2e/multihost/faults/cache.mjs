// Faults of the cache: both Memcached servers restarted empty, one after the other (each
// presence entry and cached token version lives on one of the two, so together they lose all
// of them). Delivery goes on, presence comes back within its TTL (30 s) from the clients'
// heartbeats, and a ticket used before the restart stays used (single use is recorded in
// PostgreSQL, not in the cache): a replay that opens a socket FAILS the fault.
import http from 'node:http';
import { ctl } from './hosts.mjs';
import { sleep } from './world.mjs';

const PRESENCE_TTL_MS = 30_000;

/**
 * A WebSocket upgrade with `ticket` through lb: `{ status: 101 }` when the ticket was redeemed
 * and the socket opened (it is closed at once), else the refusal's status and JSON body.
 */
export function upgrade(ticket) {
  const url = new URL(`${process.env.MH_LB}/ws?ticket=${encodeURIComponent(ticket)}`);
  return new Promise((resolve, reject) => {
    const req = http.get(url, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64'),
      },
      timeout: 10_000,
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode });
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let body = text;
        try {
          body = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer to the upgrade within 10 s')));
    req.on('error', reject);
  });
}

const why = (answer) => `${answer.status} ${JSON.stringify(answer.body ?? '')}`;

async function online(world, user) {
  const list = await world.api('GET', `/presence?ids=${user.user.id}`, world.sender.access_token);
  return list.some((p) => p.user_id === user.user.id && p.online);
}

/** A fresh ticket of `user`, redeemed (retried while nodes answer 503: say what they said). */
async function usedTicket(world, user) {
  const refusals = [];
  for (let tries = 0; ; tries++) {
    const { ticket } = await world.api('POST', '/auth/ws-ticket', user.access_token, {});
    const answer = await upgrade(ticket).catch((e) => ({ status: 0, body: e.message }));
    if (answer.status === 101) return { ticket, refusals };
    refusals.push(why(answer));
    if (tries >= 20) throw new Error(`fresh tickets were refused for 20 s: ${refusals.slice(-3).join('; ')}`);
    await sleep(1000);
  }
}

/** Fails unless `ticket` (used already) is refused as used. */
async function assertReplayRefused(ticket, when) {
  const answer = await upgrade(ticket);
  if (answer.status === 101) throw new Error(`a used ticket opened a second socket ${when}`);
  if (answer.status !== 401 || answer.body?.error?.message !== 'the ticket was already used') {
    throw new Error(`a used ticket replayed ${when} was refused, but not as used: ${why(answer)}`);
  }
}

export const memcachedRestartedEmpty = {
  name: 'Memcached restarted empty',
  short: true,
  async run(world) {
    const watched = world.clients[0].user;
    const { ticket, refusals } = await usedTicket(world, watched);
    const t0 = Date.now();
    await ctl('mc', 'restart', 'mc1');
    await ctl('mc', 'restart', 'mc2');
    await assertReplayRefused(ticket, 'after both Memcached servers restarted empty');
    await world.send(10, 'cache-empty');
    await world.settle('after Memcached restarted empty');
    let back = false;
    while (Date.now() - t0 < PRESENCE_TTL_MS + 5_000 && !(back = await online(world, watched))) await sleep(250);
    if (!back) throw new Error(`presence of ${watched.user.username} not back ${PRESENCE_TTL_MS / 1000} s after the restart`);
    const recovery = Date.now() - t0;
    // Fresh tickets work again at once (nothing about them lives in the cache).
    await usedTicket(world, watched);
    const before = refusals.length ? `; ${refusals.length} fresh tickets refused before the restart (${refusals[0]})` : '';
    return { recovery_ms: recovery, detail: `a used ticket replayed after the restart was refused as used${before}; measured: restart -> presence online again` };
  },
};
