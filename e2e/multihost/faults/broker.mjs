// Faults of the RabbitMQ cluster: a node killed, a memory alarm.
import { MQ_HOSTS, ctl } from './hosts.mjs';
import { sleep } from './world.mjs';

/**
 * The node the most of our processes use (ws1/api1 list mq1 first) dies with SIGKILL and stays
 * dead: every owner on it reconnects to a surviving node (AMQP_URL lists the three), the ws
 * nodes declare their queues there and tell their sockets to resync. Recovery: kill -> every
 * client holds every message sent meanwhile. The node is started again afterwards.
 */
export const brokerNodeKilled = {
  name: 'RabbitMQ node killed',
  short: true,
  async run(world) {
    await world.send(5, 'before');
    await world.settle('before the kill');
    const victim = 'mq1';
    const t0 = Date.now();
    await ctl('mq', 'kill', victim);
    await world.send(10, 'node-dead');
    await world.settle(`after ${victim} was killed`, 90_000);
    const recovery = Date.now() - t0;
    await ctl('mq', 'start', victim);
    return { recovery_ms: recovery, detail: `${victim} killed; the cluster's other nodes took over` };
  },
};

/**
 * A memory alarm on every node (watermark 0.0001): publishers are blocked. Sends keep being
 * committed (the outbox holds them); once the alarm clears the relay publishes the backlog.
 * Recovery: alarm cleared -> every client holds every message.
 */
export const brokerMemoryAlarm = {
  name: 'RabbitMQ memory alarm',
  async run(world) {
    for (const h of MQ_HOSTS) await ctl('mq', 'alarm', h);
    let cleared = false;
    try {
      await sleep(1000);
      const before = world.committed.size;
      await world.send(10, 'alarm', { deadlineMs: 20_000 });
      const during = world.committed.size - before;
      await sleep(3000);
      const t0 = Date.now();
      for (const h of MQ_HOSTS) await ctl('mq', 'unalarm', h);
      cleared = true;
      await world.settle('after the alarm cleared', 90_000);
      return { recovery_ms: Date.now() - t0, detail: `${during} sends committed while publishing was blocked` };
    } finally {
      if (!cleared) for (const h of MQ_HOSTS) await ctl('mq', 'unalarm', h);
    }
  },
};
