//! CPU per process group, from `/proc/<pid>/stat` (utime + stime), so a benchmark step can say
//! where the time went: PostgreSQL, RabbitMQ, api-server, ws-server, Memcached, nginx, the
//! generator itself. Groups are matched by the process name (`/proc/<pid>/comm`, e.g. every
//! `postgres` backend, `beam.smp` for RabbitMQ) and re-listed at every sample, so backends that
//! start during a run are counted from their first sample on.
use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{json, Map, Value};

/// The process names sampled when `--procs` is not given.
pub const DEFAULT_PROCS: &str = "postgres,beam.smp,api-server,ws-server,memcached,nginx,loadgen";

/// Kernel clock ticks per second for /proc times (USER_HZ; 100 on every Linux architecture in use).
const TICKS_PER_S: f64 = 100.0;

/// One reading: CPU ticks used so far by each (group, pid), and when.
pub struct Sample {
    at: Instant,
    ticks: BTreeMap<(String, u32), u64>,
}

/// Reads the ticks of every process whose name is one of `names`.
pub fn sample(names: &[String]) -> Sample {
    let mut ticks = BTreeMap::new();
    let at = Instant::now();
    let Ok(dir) = std::fs::read_dir("/proc") else { return Sample { at, ticks } };
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        if let Some((name, t)) = parse_stat(&stat) {
            if names.iter().any(|n| n == name) {
                ticks.insert((name.to_owned(), pid), t);
            }
        }
    }
    Sample { at, ticks }
}

/// `pid (comm) state ppid ...`: the name between the parentheses (it may hold spaces) and
/// utime + stime, fields 14 and 15 counting from 1.
fn parse_stat(stat: &str) -> Option<(&str, u64)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = &stat[open + 1..close];
    let rest: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    // rest[0] is field 3 (state), so field n is rest[n - 3].
    let utime: u64 = rest.get(11)?.parse().ok()?;
    let stime: u64 = rest.get(12)?.parse().ok()?;
    Some((name, utime + stime))
}

/// CPU between two samples per group: `% of one core` and, when `messages` > 0, milliseconds of
/// CPU per message. A pid seen only in `after` counts from zero (it started in between).
pub fn between(before: &Sample, after: &Sample, messages: u64) -> Value {
    let secs = after.at.duration_since(before.at).as_secs_f64().max(1e-9);
    let mut per_group: BTreeMap<&str, u64> = BTreeMap::new();
    for ((name, pid), t) in &after.ticks {
        let was = before.ticks.get(&(name.clone(), *pid)).copied().unwrap_or(0);
        *per_group.entry(name.as_str()).or_default() += t.saturating_sub(was);
    }
    let mut out = Map::new();
    for (name, ticks) in per_group {
        let cpu_s = ticks as f64 / TICKS_PER_S;
        let mut v = json!({ "core_pct": crate::report::r1(100.0 * cpu_s / secs) });
        if messages > 0 {
            v["ms_per_msg"] = json!((1000.0 * cpu_s / messages as f64 * 1000.0).round() / 1000.0);
        }
        out.insert(name.to_owned(), v);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_and_times_even_with_spaces_in_the_name() {
        let stat = "4242 (ws server) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 1 2 3";
        assert_eq!(parse_stat(stat), Some(("ws server", 300)));
    }

    #[test]
    fn samples_this_process_and_reports_per_group() {
        let me = std::fs::read_to_string("/proc/self/comm").expect("comm").trim().to_owned();
        let names = vec![me.clone()];
        let a = sample(&names);
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let b = sample(&names);
        let v = between(&a, &b, 10);
        assert!(v.get(&me).is_some(), "{v}");
        assert!(v[&me]["ms_per_msg"].is_number(), "{v}");
    }
}
