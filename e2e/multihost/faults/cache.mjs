// Faults of the cache: both Memcached servers restarted empty, one after the other (each ws
// ticket id, presence entry and cached token version lives on one of the two, so together they
// lose all of them). Delivery goes on, presence comes back within its TTL (30 s) from the
// clients' heartbeats, and whether a ticket used before the restart lets a second socket in is
// reported.
import { ctl } from './hosts.mjs';
import { sleep } from './world.mjs';

const PRESENCE_TTL_MS = 30_000;

/** Resolves true if the ticket opened a socket that got `ready`, false if it was refused. */
function admitted(wsBase, ticket) {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${wsBase}/ws?ticket=${encodeURIComponent(ticket)}`);
    let settled = false;
    const done = (ok) => {
      if (settled) return; // close() below fires close/error at once
      settled = true;
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 10_000);
    socket.addEventListener('message', (e) => JSON.parse(e.data).type === 'ready' && done(true));
    socket.addEventListener('close', () => done(false));
    socket.addEventListener('error', () => done(false));
  });
}

async function online(world, user) {
  const list = await world.api('GET', `/presence?ids=${user.user.id}`, world.sender.access_token);
  return list.some((p) => p.user_id === user.user.id && p.online);
}

export const memcachedRestartedEmpty = {
  name: 'Memcached restarted empty',
  short: true,
  async run(world) {
    const wsBase = process.env.MH_LB.replace(/^http/, 'ws');
    const watched = world.clients[0].user;
    // A fresh ticket, used once (a host still reconnecting to its broker answers 503: another).
    let ticket;
    for (let tries = 0; ; tries++) {
      ({ ticket } = await world.api('POST', '/auth/ws-ticket', watched.access_token, {}));
      if (await admitted(wsBase, ticket)) break;
      if (tries > 20) throw new Error('fresh tickets were refused for 20 s');
      await sleep(1000);
    }
    const t0 = Date.now();
    ctl('mc', 'restart', 'mc1');
    ctl('mc', 'restart', 'mc2');
    // Known gap (RELIABILITY.md, open work): single use lives in Memcached only, so a ticket
    // used before the restart of the server holding its id is admitted once more within its
    // 30 s lifetime. Reported, not failed, until tickets are single-use beyond the cache.
    const replayed = await admitted(wsBase, ticket);
    await world.send(10, 'cache-empty');
    await world.settle('after Memcached restarted empty');
    let back = false;
    while (Date.now() - t0 < PRESENCE_TTL_MS + 5_000 && !(back = await online(world, watched))) await sleep(250);
    if (!back) throw new Error(`presence of ${watched.user.username} not back ${PRESENCE_TTL_MS / 1000} s after the restart`);
    const replay = replayed ? 'KNOWN GAP: a used ticket was admitted again' : 'a used ticket was refused';
    return { recovery_ms: Date.now() - t0, detail: `${replay}; measured: restart -> presence online again` };
  },
};
