//! Open-loop sending: messages are scheduled at a fixed aggregate rate whatever the server does,
//! each from a random member of a random group, and each send runs on its own task. A slow
//! server therefore builds up sends in flight instead of slowing the generator down, and
//! latency is measured from the scheduled time (no coordinated omission). Sends beyond
//! `max_in_flight` are not started and are counted as `skipped` (the generator's own bound).
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::client::{self, Api};
use crate::report::{r1, Samples};

/// A group's channel and every member's access token (the sender rotates among them).
pub struct Group {
    pub conv: i64,
    pub tokens: Vec<String>,
}

/// What one step of sending did.
pub struct StepSent {
    /// (group index, committed seq) of every accepted send.
    pub seqs: Vec<(usize, i64)>,
    /// REST latency of accepted sends, from the scheduled time (µs).
    pub rest: Samples,
    pub refused: u64,
    pub errors: u64,
    pub skipped: u64,
    pub seconds: f64,
}

impl StepSent {
    pub fn summary(&mut self, offered: f64) -> serde_json::Value {
        let accepted = self.seqs.len() as f64;
        json!({
            "offered_per_s": r1(offered),
            "accepted_per_s": r1(accepted / self.seconds.max(1e-9)),
            "accepted": self.seqs.len(),
            "refused": self.refused,
            "errors": self.errors,
            "skipped_by_generator": self.skipped,
            "rest_send": self.rest.summary(),
        })
    }
}

/// A small xorshift generator: the choice of sender needs to be spread, not secure.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// Sends at `rate` msgs/s for `secs` seconds, tagging each body with `step`; waits for every
/// started send to answer before returning.
pub async fn send_step(
    api: &Api,
    groups: &Arc<Vec<Group>>,
    step: usize,
    rate: f64,
    secs: u64,
    max_in_flight: usize,
) -> StepSent {
    let total = (rate * secs as f64).round() as u64;
    let period = Duration::from_secs_f64(1.0 / rate.max(1e-3));
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (step as u64 + 1).wrapping_mul(client::now_micros() | 1));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let (refused, errors) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut skipped = 0;
    let mut tasks = Vec::with_capacity(total as usize);
    let (t0, wall0) = (Instant::now(), client::now_micros());
    for i in 0..total {
        let offset = period * i as u32;
        tokio::time::sleep_until((t0 + offset).into()).await;
        if in_flight.load(Relaxed) >= max_in_flight {
            skipped += 1;
            continue;
        }
        let g = rng.below(groups.len());
        let member = rng.below(groups[g].tokens.len());
        let scheduled_us = wall0 + offset.as_micros() as u64;
        let (api, groups, in_flight, refused, errors) =
            (api.clone(), groups.clone(), in_flight.clone(), refused.clone(), errors.clone());
        in_flight.fetch_add(1, Relaxed);
        tasks.push(tokio::spawn(async move {
            let body = format!("lg {scheduled_us} s{step} g{g}");
            let r = api.send_or_refused(&groups[g].tokens[member], groups[g].conv, body).await;
            in_flight.fetch_sub(1, Relaxed);
            match r {
                Ok(Ok(seq)) => Some((g, seq, client::now_micros().saturating_sub(scheduled_us))),
                Ok(Err(_status)) => {
                    refused.fetch_add(1, Relaxed);
                    None
                }
                Err(e) => {
                    if errors.fetch_add(1, Relaxed) < 5 {
                        eprintln!("  send error: {e:#}");
                    }
                    None
                }
            }
        }));
    }
    // The step lasts its full `secs` (the last send is scheduled one period before the end).
    tokio::time::sleep_until((t0 + Duration::from_secs(secs)).into()).await;
    let seconds = t0.elapsed().as_secs_f64();
    let mut out = StepSent { seqs: Vec::new(), rest: Samples::default(), refused: 0, errors: 0, skipped, seconds };
    for t in tasks {
        if let Ok(Some((g, seq, us))) = t.await {
            out.seqs.push((g, seq));
            out.rest.0.push(us);
        }
    }
    out.refused = refused.load(Relaxed);
    out.errors = errors.load(Relaxed);
    out
}
