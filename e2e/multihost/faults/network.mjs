// Faults of the network: a ws host cut off, half-open TCP between two hosts (packets silently
// dropped, no reset), and a slow, lossy link (iptables loss + NFQUEUE delay: net.sh slow_on).
import { MQ_HOSTS, busiestWs, ctl, wsSockets } from './hosts.mjs';
import { sleep } from './world.mjs';

/**
 * The link of the ws host holding the most sockets goes down: its clients hear nothing more (not
 * even the answers to their heartbeats), give the socket up after 3 silent heartbeats, and come
 * back through nginx on another host.
 * Recovery: link down -> every client holds every message sent meanwhile.
 */
export const wsLinkDown = {
  name: 'ws host cut off (link down)',
  short: true,
  async run(world) {
    const host = await busiestWs();
    const t0 = Date.now();
    await ctl('link', 'down', host);
    try {
      await world.send(10, 'cut-off');
      await world.settle(`after ${host} was cut off`, 90_000);
      return { recovery_ms: Date.now() - t0, detail: `${host} cut off; its clients moved` };
    } finally {
      await ctl('link', 'up', host);
    }
  },
};

/**
 * Packets between HOST and the PEERS silently dropped for `holdMs`, both ways. Recovery: from
 * the start of the fault when the service fails over (`measureFrom: 'start'`), else from the
 * heal -> every client holds every message.
 */
function halfOpen({ name, host, peers, holdMs, measureFrom }) {
  return {
    name,
    async run(world) {
      const from = typeof host === 'function' ? await host() : host;
      const to = typeof peers === 'function' ? await peers(from) : peers;
      const t0 = Date.now();
      for (const p of to) await ctl('drop', 'on', from, p);
      let healedAt;
      try {
        const sending = world.send(10, `half-open ${from}`);
        await sleep(holdMs);
        for (const p of to) await ctl('drop', 'off', from, p);
        healedAt = Date.now();
        await sending;
      } finally {
        if (!healedAt) for (const p of to) await ctl('drop', 'off', from, p);
      }
      await world.settle(`after ${from} <-> ${to.join(',')} healed`, 120_000);
      const start = measureFrom === 'start' ? t0 : healedAt;
      return { recovery_ms: Date.now() - start, detail: `${from} <-> ${to.join(',')} dropped for ${holdMs / 1000} s; measured from the ${measureFrom}` };
    },
  };
}

/** The ws host with the most sockets loses the broker node it is connected to (it fails over). */
export const wsBrokerHalfOpen = halfOpen({
  name: 'half-open TCP ws <-> RabbitMQ',
  host: busiestWs,
  peers: async (ws) => {
    const on = (await ctl('peer', 'hosts', ws, '5672')).split('\n').filter((h) => MQ_HOSTS.includes(h));
    return on.length ? on : ['mq1'];
  },
  holdMs: 25_000,
  measureFrom: 'start',
});

export const apiDatabaseHalfOpen = halfOpen({
  name: 'half-open TCP api <-> PostgreSQL',
  host: 'api1',
  peers: ['db'],
  holdMs: 15_000,
  measureFrom: 'heal',
});

export const apiMemcachedHalfOpen = halfOpen({
  name: 'half-open TCP api <-> Memcached',
  host: 'api1',
  peers: ['mc1', 'mc2'],
  holdMs: 15_000,
  measureFrom: 'heal',
});

/**
 * 200 ms latency and 5 % loss on the busiest ws host's link while messages flow: every packet in
 * or out of its eth0 dropped with probability 0.05 (iptables `statistic`), every other one held
 * 200 ms by the kernel (NFQUEUE + delay.py; this kernel has no sch_netem), each way: its
 * sockets, its broker, database and cache traffic alike. Sends go on; every client must hold
 * every message exactly once. Recovery: the last send committed -> every client holds every
 * message (the link still slow); then the link heals and everything must still hold.
 */
export const slowLossyLink = {
  name: '200 ms latency + 5 % loss',
  async run(world) {
    const host = await busiestWs();
    const before = (await wsSockets())[host];
    await ctl('slow', 'on', host, '200', '0.05');
    let recovery;
    const started = Date.now();
    try {
      await world.send(20, 'slow-link');
      const sending = Date.now() - started;
      const t0 = Date.now();
      await world.settle(`with 200 ms + 5 % loss on ${host}`, 120_000);
      recovery = { recovery_ms: Date.now() - t0, sending };
    } finally {
      await ctl('slow', 'off', host);
    }
    await world.send(5, 'slow-link healed');
    await world.settle(`after ${host}'s link healed`);
    return {
      recovery_ms: recovery.recovery_ms,
      detail: `${host} (${before} of the clients' sockets) 200 ms each way + 5 % loss each way; 20 sends took ${(recovery.sending / 1000).toFixed(1)} s; measured from the last commit`,
    };
  },
};
