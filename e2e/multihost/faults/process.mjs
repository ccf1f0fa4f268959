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
 * sent through it delivered; its rate-limit windows and presence reads still work. Recovery:
 * api2 back (skewed) -> every client holds every message sent through it.
 */
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
      return { recovery_ms: Date.now() - t0, detail: 'tokens and tickets from api2 accepted; sends through it delivered' };
    } finally {
      await ctl('app', 'stop', 'api2');
      await ctl('app', 'start', 'api2');
    }
  },
};
