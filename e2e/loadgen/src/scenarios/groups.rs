//! What the group scenarios (fanout, reconnect) share: one group per `size` consecutive users,
//! and one paced sender per group (its owner) posting through the REST API.
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use tokio::task::JoinHandle;

use crate::client::{self, Api, User};

/// Creates the groups; the first user of each slice of `size` owns it. Returns the channel ids.
pub async fn create(api: &Api, users: &[User], groups: usize, size: usize, label: &str) -> Result<Vec<i64>> {
    let mut convs = Vec::with_capacity(groups);
    for g in 0..groups {
        let members: Vec<i64> = users[g * size + 1..(g + 1) * size].iter().map(|u| u.id).collect();
        convs.push(api.group(&users[g * size], &members, &format!("loadgen {label} {g}")).await?);
    }
    Ok(convs)
}

/// What one sender got back: the committed seqs and each send's REST latency (µs).
pub struct Sent {
    pub seqs: Vec<i64>,
    pub rest_us: Vec<u64>,
}

/// One sender per group, together `rate` msgs/s, until `until`. The body carries the send time
/// (µs) for the receivers' latency. `sent` and `errors` count over all senders (the first few
/// errors are printed).
pub fn spawn_senders(
    api: &Api,
    owners: impl Iterator<Item = (String, i64)>,
    rate: f64,
    until: Instant,
    sent: &Arc<AtomicU64>,
    errors: &Arc<AtomicU64>,
) -> Vec<JoinHandle<Sent>> {
    let owners: Vec<(String, i64)> = owners.collect();
    let period = Duration::from_secs_f64(owners.len() as f64 / rate);
    owners
        .into_iter()
        .enumerate()
        .map(|(g, (token, conv))| {
            let (api, sent, errors) = (api.clone(), sent.clone(), errors.clone());
            tokio::spawn(async move {
                let mut out = Sent { seqs: Vec::new(), rest_us: Vec::new() };
                let mut tick = tokio::time::interval(period);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                while Instant::now() < until {
                    tick.tick().await;
                    let t = Instant::now();
                    match api.send(&token, conv, format!("lg {} g{g}", client::now_micros())).await {
                        Ok(seq) => {
                            out.rest_us.push(t.elapsed().as_micros() as u64);
                            out.seqs.push(seq);
                            sent.fetch_add(1, Relaxed);
                        }
                        Err(e) => {
                            if errors.fetch_add(1, Relaxed) < 5 {
                                eprintln!("  send error: {e:#}");
                            }
                        }
                    }
                }
                out
            })
        })
        .collect()
}
