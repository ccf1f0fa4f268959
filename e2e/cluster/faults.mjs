// The fault steps of failover.mjs that need control of a service, and the record of which
// steps ran. A step that cannot run here (no local PostgreSQL cluster we may stop, no
// rabbitmqctl we may use) is reported as SKIPPED, with the reason: never counted as passed.
import { execFileSync } from 'node:child_process';

/** failover.mjs's exit code when every step that ran passed but at least one was skipped. */
export const SKIPPED_EXIT = 3;

/**
 * A control command given in the environment (`E2E_DATABASE_CONTROL`, `E2E_BROKER_CONTROL`:
 * a command and its first words, e.g. `e2e/multihost/run.sh ctl broker`; the action is added
 * as the last word), used instead of the local service; or undefined when the variable is unset.
 */
export function controlFromEnv(variable, { exec = execFileSync, env = process.env } = {}) {
  const words = (env[variable] ?? '').trim().split(/\s+/).filter(Boolean);
  if (!words.length) return undefined;
  const [file, ...args] = words;
  return { run: (action) => exec(file, [...args, action], { stdio: 'ignore', timeout: 120_000 }) };
}

/**
 * `stop` / `start` of the local PostgreSQL cluster on port 5432, or `{ skip: why }`.
 * `exec(file, args, options)` runs a command (execFileSync by default); `uid` and `user` are
 * the caller's (root or postgres may use pg_ctlcluster).
 */
export function postgresControl({ exec = execFileSync, uid = process.getuid?.(), user = process.env.USER, env = process.env } = {}) {
  const given = controlFromEnv('E2E_DATABASE_CONTROL', { exec, env });
  if (given) return given;
  let clusters;
  try {
    clusters = exec('pg_lsclusters', ['--no-header'], { encoding: 'utf8' });
  } catch {
    return { skip: 'pg_lsclusters is not available (PostgreSQL is not a local Debian cluster)' };
  }
  const line = clusters
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[2] === '5432' && f[3] === 'online');
  if (!line) return { skip: 'no online local cluster on port 5432' };
  if (uid !== 0 && user !== 'postgres') return { skip: 'stopping PostgreSQL needs root or the postgres user' };
  const [version, name] = line;
  return {
    run: (action) =>
      exec('pg_ctlcluster', [version, name, action, ...(action === 'stop' ? ['-m', 'fast'] : [])], {
        stdio: 'ignore',
        timeout: 60_000,
      }),
  };
}

/** `stop_app` / `start_app` of the local RabbitMQ node, or `{ skip: why }`. */
export function rabbitControl({ exec = execFileSync, env = process.env } = {}) {
  const given = controlFromEnv('E2E_BROKER_CONTROL', { exec, env });
  if (given) return given;
  try {
    exec('rabbitmqctl', ['-q', 'status'], { stdio: 'ignore', timeout: 30_000 });
  } catch {
    return { skip: 'rabbitmqctl cannot control the local RabbitMQ node (missing, or no access to its cookie)' };
  }
  return { run: (action) => exec('rabbitmqctl', [action], { stdio: 'ignore', timeout: 60_000 }) };
}

/** The outcome of each step, printed as it is known: PASS or SKIPPED (failures exit at once). */
export function stepLog(prefix, print = console.log) {
  const steps = [];
  return {
    passed(name, detail) {
      steps.push({ name, status: 'passed' });
      print(`${prefix}: PASS ${name}${detail ? `: ${detail}` : ''}`);
    },
    skipped(name, why) {
      steps.push({ name, status: 'skipped', why });
      print(`${prefix}: SKIPPED ${name}: ${why}`);
    },
    /** For the final JSON line: every step with its status, and the overall word. */
    summary() {
      const skipped = steps.filter((s) => s.status === 'skipped');
      return {
        [prefix]: skipped.length ? 'incomplete' : 'ok',
        steps: Object.fromEntries(steps.map((s) => [s.name, s.status])),
        ...(skipped.length ? { skipped: skipped.map((s) => `${s.name}: ${s.why}`) } : {}),
      };
    },
    exitCode() {
      return steps.some((s) => s.status === 'skipped') ? SKIPPED_EXIT : 0;
    },
  };
}
