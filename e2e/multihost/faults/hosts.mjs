// Acting on the data centre's hosts: `run.sh ctl ...` (namespaces, links, processes; run.sh
// holds how) and what the ws hosts report on /metrics.
import { execFile } from 'node:child_process';

/**
 * `await ctl('link', 'down', 'ws1')` -> `run.sh ctl link down ws1`; resolves with its output.
 * Asynchronous on purpose: a synchronous call (it used to be execFileSync) froze the clients'
 * event loop for as long as the action took (a broker node's restart: many seconds), so their
 * heartbeats stopped, the servers closed their sockets for silence, and the close handshakes
 * were then caught by the next fault.
 */
export function ctl(...args) {
  return new Promise((resolve, reject) => {
    const child = execFile(process.env.MH_CTL, ['ctl', ...args], { encoding: 'utf8', timeout: 180_000 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
    child.stderr.pipe(process.stderr);
  });
}

export const WS_HOSTS = ['ws1', 'ws2', 'ws3'];
export const MQ_HOSTS = ['mq1', 'mq2', 'mq3'];

/** Open sockets per ws host (`chat_ws_connections`); a host that does not answer counts 0. */
export async function wsSockets() {
  const counts = {};
  for (const host of WS_HOSTS) {
    try {
      const res = await fetch(`${process.env[`MH_URL_${host}`]}/metrics`, { signal: AbortSignal.timeout(2000) });
      const line = (await res.text()).split('\n').find((l) => l.startsWith('chat_ws_connections'));
      counts[host] = Number(line?.trim().split(/\s+/).pop() ?? 0);
    } catch {
      counts[host] = 0;
    }
  }
  return counts;
}

/** The ws host holding the most of the clients' sockets. */
export async function busiestWs() {
  const counts = await wsSockets();
  return Object.entries(counts).sort((a, b) => b[1] - a[1])[0][0];
}
