//! Per-step delivery accounting for a rate ramp, shared lock-free by every receiver: a latency
//! histogram (0.1 ms buckets up to 100 ms, 1 ms up to 10 s) and a delivery counter per step.
//! Senders tag each message body with its step (`lg <scheduled µs> s<step> ...`), so a
//! delivery is charged to the step that sent it, however late it arrives.
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde_json::{json, Value};

const FINE: usize = 1_000; // 0.1 ms buckets: 0 ..< 100 ms
const COARSE: usize = 9_900; // 1 ms buckets: 100 ms ..< 10 s
const BUCKETS: usize = FINE + COARSE + 1; // + one for >= 10 s

pub struct Steps {
    steps: Vec<Step>,
}

struct Step {
    delivered: AtomicU64,
    latency: Vec<AtomicU64>,
}

fn bucket(us: u64) -> usize {
    let us = us as usize;
    if us < FINE * 100 {
        us / 100
    } else if us < 10_000_000 {
        FINE + (us - FINE * 100) / 1_000
    } else {
        BUCKETS - 1
    }
}

/// The upper edge of a bucket, in ms: a percentile is never reported lower than it was.
fn bucket_ms(b: usize) -> f64 {
    if b < FINE {
        (b + 1) as f64 / 10.0
    } else if b < BUCKETS - 1 {
        (100 + b - FINE + 1) as f64
    } else {
        f64::INFINITY
    }
}

impl Steps {
    pub fn new(n: usize) -> Self {
        let steps = (0..n)
            .map(|_| Step { delivered: AtomicU64::new(0), latency: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect() });
        Self { steps: steps.collect() }
    }

    /// One first-time delivery of a message sent in `step`, `latency_us` after it was scheduled.
    pub fn record(&self, step: usize, latency_us: u64) {
        if let Some(s) = self.steps.get(step) {
            s.delivered.fetch_add(1, Relaxed);
            s.latency[bucket(latency_us)].fetch_add(1, Relaxed);
        }
    }

    pub fn delivered(&self, step: usize) -> u64 {
        self.steps.get(step).map_or(0, |s| s.delivered.load(Relaxed))
    }

    /// p50 / p99 / max latency of `step` in ms (upper bucket edges).
    pub fn latency(&self, step: usize) -> Value {
        let Some(s) = self.steps.get(step) else { return Value::Null };
        let counts: Vec<u64> = s.latency.iter().map(|c| c.load(Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        let at = |q: f64| {
            let want = ((total as f64) * q).ceil().max(1.0) as u64;
            let mut acc = 0;
            for (b, c) in counts.iter().enumerate() {
                acc += c;
                if acc >= want {
                    return bucket_ms(b);
                }
            }
            0.0
        };
        let max = counts.iter().rposition(|&c| c > 0).map_or(0.0, bucket_ms);
        if total == 0 {
            return json!({ "count": 0, "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0 });
        }
        json!({ "count": total, "p50_ms": at(0.50), "p99_ms": at(0.99), "max_ms": max })
    }
}

/// Reads the step tag of a loadgen message body: `lg <µs> s<step> ...`.
pub fn tag(body: &str) -> Option<(u64, usize)> {
    let mut parts = body.strip_prefix("lg ")?.split(' ');
    let t = parts.next()?.parse().ok()?;
    let step = parts.next().and_then(|s| s.strip_prefix('s')).and_then(|s| s.parse().ok()).unwrap_or(0);
    Some((t, step))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_upper_bucket_edges() {
        let s = Steps::new(2);
        for _ in 0..98 {
            s.record(1, 1_050); // 1.05 ms -> bucket edge 1.1 ms
        }
        s.record(1, 40_000);
        s.record(1, 250_000);
        let v = s.latency(1);
        assert_eq!(v["count"], 100);
        assert_eq!(v["p50_ms"], 1.1);
        assert_eq!(v["p99_ms"], 40.1);
        assert_eq!(v["max_ms"], 251.0);
        assert_eq!(s.delivered(0), 0);
        assert_eq!(s.delivered(1), 100);
    }

    #[test]
    fn reads_tags() {
        assert_eq!(tag("lg 123 s4 g7"), Some((123, 4)));
        assert_eq!(tag("lg 123 g7"), Some((123, 0)));
        assert_eq!(tag("hello"), None);
    }
}
