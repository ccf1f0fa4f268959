// node --test e2e/cluster/faults.test.mjs: the skip decisions and the step record, without a
// cluster (the commands are stubbed).
import assert from 'node:assert/strict';
import test from 'node:test';
import { SKIPPED_EXIT, postgresControl, rabbitControl, stepLog } from './faults.mjs';

const online = '15  main    5432 online postgres /var/lib/postgresql/15/main /var/log/postgresql/x.log\n';
const exec = (answers) => (file) => {
  if (!(file in answers)) throw new Error(`${file}: not found`);
  return answers[file];
};

test('PostgreSQL restart is skipped, with the reason, when it cannot run', () => {
  assert.match(postgresControl({ exec: exec({}), uid: 0 }).skip, /pg_lsclusters/);
  const down = online.replace('online', 'down');
  assert.match(postgresControl({ exec: exec({ pg_lsclusters: down }), uid: 0 }).skip, /no online/);
  const notRoot = postgresControl({ exec: exec({ pg_lsclusters: online }), uid: 1000, user: 'dev' });
  assert.match(notRoot.skip, /root or the postgres user/);
});

test('PostgreSQL restart runs pg_ctlcluster for the cluster on 5432 as root or postgres', () => {
  const calls = [];
  const recording = (file, args) => (calls.push([file, ...args]), file === 'pg_lsclusters' ? online : '');
  for (const who of [{ uid: 0 }, { uid: 1000, user: 'postgres' }]) {
    calls.length = 0;
    const control = postgresControl({ exec: recording, ...who });
    assert.equal(control.skip, undefined);
    control.run('stop');
    assert.deepEqual(calls.at(-1), ['pg_ctlcluster', '15', 'main', 'stop', '-m', 'fast']);
  }
});

test('RabbitMQ restart is skipped when rabbitmqctl cannot reach the node', () => {
  assert.match(rabbitControl({ exec: exec({}) }).skip, /rabbitmqctl/);
  assert.equal(typeof rabbitControl({ exec: exec({ rabbitmqctl: '' }) }).run, 'function');
});

test('a skipped step is reported as SKIPPED, never as passed', () => {
  const lines = [];
  const steps = stepLog('failover', (l) => lines.push(l));
  steps.passed('replica crash', '30 sent, all held');
  steps.skipped('database restart', 'stopping PostgreSQL needs root');
  assert.deepEqual(lines, ['failover: PASS replica crash: 30 sent, all held', 'failover: SKIPPED database restart: stopping PostgreSQL needs root']);
  const summary = steps.summary();
  assert.equal(summary.failover, 'incomplete');
  assert.deepEqual(summary.steps, { 'replica crash': 'passed', 'database restart': 'skipped' });
  assert.equal(steps.exitCode(), SKIPPED_EXIT);
  const complete = stepLog('failover', () => {});
  complete.passed('replica crash');
  assert.equal(complete.summary().failover, 'ok');
  assert.equal(complete.exitCode(), 0);
});

test('a control command in the environment replaces the local service', () => {
  const calls = [];
  const recording = (file, args) => (calls.push([file, ...args]), '');
  const env = { E2E_BROKER_CONTROL: 'e2e/multihost/run.sh ctl broker', E2E_DATABASE_CONTROL: ' ctl  database ' };
  rabbitControl({ exec: recording, env }).run('stop_app');
  postgresControl({ exec: recording, uid: 1000, user: 'dev', env }).run('start');
  assert.deepEqual(calls, [
    ['e2e/multihost/run.sh', 'ctl', 'broker', 'stop_app'],
    ['ctl', 'database', 'start'],
  ]);
});
