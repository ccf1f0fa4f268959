// The fault run of the multihost data centre (e2e/multihost/run.sh faults [--short]): one world
// (a sender, a group, four clients through nginx), then each fault in turn. Each must end with
// every client holding every committed message exactly once; its recovery time is printed,
// and a Markdown table of all of them at the end (the one in RELIABILITY.md).
// MH_SHORT=1: only the quick faults (make test). MH_FAULTS=name,...: only those (by key).
import { brokerMemoryAlarm, brokerNodeKilled } from './broker.mjs';
import { memcachedRestartedEmpty } from './cache.mjs';
import { apiDatabaseHalfOpen, apiMemcachedHalfOpen, slowLossyLink, wsBrokerHalfOpen, wsLinkDown } from './network.mjs';
import { clockSkew, wsSigterm } from './process.mjs';
import { makeWorld } from './world.mjs';

const all = {
  brokerNodeKilled, wsLinkDown, memcachedRestartedEmpty, wsBrokerHalfOpen, apiDatabaseHalfOpen,
  apiMemcachedHalfOpen, slowLossyLink, brokerMemoryAlarm, wsSigterm, clockSkew,
};
const only = (process.env.MH_FAULTS ?? '').split(',').filter(Boolean);
const chosen = Object.entries(all).filter(([key, f]) => (only.length ? only.includes(key) : process.env.MH_SHORT !== '1' || f.short));

const world = await makeWorld(process.env.MH_LB);
await world.send(5, 'warm-up');
await world.settle('warm-up');
const rows = [];
let failed = 0;
for (const [key, fault] of chosen) {
  const started = Date.now();
  try {
    const { recovery_ms, detail, skipped } = await fault.run(world);
    if (skipped) {
      rows.push({ fault: fault.name, result: 'SKIPPED', recovery_ms: null, detail: skipped });
      console.log(`faults: SKIPPED ${fault.name}: ${skipped}`);
      continue;
    }
    const tally = world.tally();
    if (!tally.every_client_complete) throw new Error(`not every client holds seqs 1..${tally.top_seq} once: ${JSON.stringify(tally)}`);
    rows.push({ fault: fault.name, result: 'pass', recovery_ms, detail, ...tally });
    console.log(`faults: PASS ${fault.name}: recovered in ${(recovery_ms / 1000).toFixed(1)} s (${detail}); ${JSON.stringify(tally)}`);
  } catch (e) {
    failed++;
    rows.push({ fault: fault.name, result: 'FAIL', recovery_ms: null, detail: e.message });
    console.log(`faults: FAIL ${fault.name} (${key}) after ${((Date.now() - started) / 1000).toFixed(1)} s: ${e.message}`);
  }
}
world.close();
console.log('\n| fault | result | recovery | messages (top seq) | duplicate deliveries deduped | notes |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  const rec = r.recovery_ms == null ? '-' : `${(r.recovery_ms / 1000).toFixed(1)} s`;
  console.log(`| ${r.fault} | ${r.result} | ${rec} | ${r.top_seq ?? '-'} | ${r.duplicate_deliveries ?? '-'} | ${r.detail} |`);
}
const skippedCount = rows.filter((r) => r.result === 'SKIPPED').length;
console.log(JSON.stringify({ faults: failed ? 'failed' : 'ok', passed: rows.length - failed - skippedCount, skipped: skippedCount, failed }));
process.exit(failed ? 1 : 0);
