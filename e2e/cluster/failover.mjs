// Failover through the real cluster: a client on ws-1 while ws-1 is killed with SIGKILL, while
// RabbitMQ is restarted, and while PostgreSQL is restarted. The client behaves as the web client does: on close it gets a
// new ticket, connects to another replica, and after `ready` (or `resync`) fetches what it
// missed with `after_seq`. Every message sent, before, during and after each fault, must be
// held exactly once, in order.
//
// Each step prints `failover: PASS <step>` or, when it cannot run here (the broker or database
// restart needs local control of the service), `failover: SKIPPED <step>: <why>`. Exit 0: every
// step ran and passed; 3: the steps that ran passed, some were skipped; 1: a failure.
//
// Usage: node --experimental-websocket failover.mjs <nginx-base> <ws-1 url> <ws-2 url> <state-dir> <api url>[,<api url>...] [<ws-1 pid file>]
// (the pid file defaults to <state-dir>/run/ws-1.pid; E2E_BROKER_CONTROL / E2E_DATABASE_CONTROL: see faults.mjs)
import { readFileSync } from 'node:fs';
import { postgresControl, rabbitControl, stepLog } from './faults.mjs';
import { Client } from './client.mjs';
import { apiClient, failWith } from './lib.mjs';

const [base, ws1, ws2, stateDir, apiUrls, ws1PidFile = `${stateDir}/run/ws-1.pid`] = process.argv.slice(2);
// Several api-servers: comma-separated; the first is asked while the database is down, all must recover.
const [apiDirect, ...otherApis] = apiUrls.split(',');
const suffix = Math.random().toString(36).slice(2, 8);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => console.log(`failover: ${msg}`);
const fail = failWith('failover');
const api = apiClient(base);
const steps = stepLog('failover');


const alice = await api('POST', '/auth/register', null, { username: `fo_a_${suffix}`, password: 'password123' });
const bob = await api('POST', '/auth/register', null, { username: `fo_b_${suffix}`, password: 'password123' });
const dm = await api('POST', '/conversations/direct', alice.access_token, { user_id: bob.user.id });
let sent = 0;
const send = async (n, label) => {
  for (let i = 0; i < n; i++) {
    sent++;
    await api('POST', `/conversations/${dm.id}/messages`, alice.access_token, { client_id: crypto.randomUUID(), body: `${label} ${sent}` });
  }
};
const settle = async (client, what) => {
  const deadline = Date.now() + 30_000;
  while (client.lastSeq() < sent && Date.now() < deadline) await sleep(100);
  if (client.lastSeq() !== sent) fail(`${what}: client holds up to seq ${client.lastSeq()} of ${sent}`);
};

// 1. A replica dies under the client.
const bobClient = new Client(api, bob, dm.id, [ws1, ws2]);
log(`bob connected to ${await bobClient.connect()}`);
await send(10, 'before');
await settle(bobClient, 'before the crash');
const pid = readFileSync(ws1PidFile, 'utf8').trim();
process.kill(Number(pid), 'SIGKILL');
log(`ws-1 (pid ${pid}) killed with SIGKILL`);
await send(15, 'while-reconnecting');
await bobClient.reconnecting;
await send(5, 'after');
await settle(bobClient, 'after the crash');
steps.passed('replica crash', `${sent} sent, all held, reconnected ${bobClient.connects - 1} time(s)`);

// 2. RabbitMQ restarts mid-stream: sends keep being accepted (outbox), the node reconnects,
// re-binds and sends resync; the client catches up.
const rabbit = rabbitControl();
if (rabbit.run) {
  rabbit.run('stop_app');
  log('RabbitMQ stopped');
  try {
    await send(10, 'broker-down');
  } finally {
    rabbit.run('start_app');
    log('RabbitMQ started');
  }
  await send(5, 'broker-back');
  await settle(bobClient, 'after the broker restart');
  steps.passed('broker restart', `${sent} sent, all held`);
} else {
  steps.skipped('broker restart', rabbit.skip);
}

// 3. PostgreSQL restarts: while it is down the api answers 503 JSON `database_unavailable`
// with Retry-After (never a 500), readyz says which dependency is down; once it is back the
// same processes recover without a restart, and the client still holds every message.
const postgres = postgresControl();
if (postgres.run) {
  postgres.run('stop');
  log('PostgreSQL stopped');
  try {
    const res = await fetch(`${base}/api/conversations/${dm.id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.access_token}` },
      body: JSON.stringify({ client_id: crypto.randomUUID(), body: 'database-down' }),
    });
    const body = await res.json().catch(() => null);
    if (res.status !== 503 || body?.error?.code !== 'database_unavailable' || !res.headers.get('retry-after')) {
      fail(`send while PostgreSQL is down: ${res.status} ${JSON.stringify(body)}`);
    }
    const ready = await fetch(`${apiDirect}/readyz`);
    const readyBody = await ready.text();
    if (ready.status !== 503 || !/postgres/i.test(readyBody)) fail(`readyz while PostgreSQL is down: ${ready.status} ${readyBody}`);
    log('api answered 503 database_unavailable with Retry-After; readyz names postgres');
  } finally {
    postgres.run('start');
    log('PostgreSQL started');
  }
  const deadline = Date.now() + 30_000;
  for (const url of [apiDirect, ...otherApis]) {
    for (;;) {
      const ready = await fetch(`${url}/readyz`);
      if (ready.status === 200) break;
      if (Date.now() > deadline) fail(`api ${url} not ready 30 s after PostgreSQL came back: ${ready.status} ${await ready.text()}`);
      await sleep(250);
    }
  }
  await send(10, 'database-back');
  await settle(bobClient, 'after the database restart');
  steps.passed('database restart', `${sent} sent, all held, no process restarted`);
} else {
  steps.skipped('database restart', postgres.skip);
}
bobClient.close();
const result = { sent, held: bobClient.held.size, duplicates_deduped: bobClient.duplicates, reconnects: bobClient.connects - 1, resyncs: bobClient.resyncs };
if (bobClient.held.size !== sent) fail(`held ${bobClient.held.size} of ${sent}`);
console.log(JSON.stringify({ ...steps.summary(), ...result }));
process.exit(steps.exitCode());
