//! Fan-out: G groups of S members, sockets spread over the ws replicas, messages sent open-loop
//! at an aggregate rate through the REST API, each from a random member of a random group (see
//! `open_loop`). Every receiver checks seq order and counts; latency is scheduled send ->
//! `message.new` on each member's socket, on the same clock.
//!
//! With `--ramp-to`, the rate steps from `--rate` by `--ramp-step` every `--duration` seconds
//! until a step fails (p99 above `--p99-ms`, a delivery missing after the settle time, or a
//! send refused or failed); the highest passing step is the max sustainable rate. Each step
//! reports CPU per process (PostgreSQL, RabbitMQ, api-server, ws-server, ...) as % of a core
//! and ms per accepted message, read from /proc.
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Args;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::{watch, Semaphore};

use crate::client::{self, Api};
use crate::cpu;
use crate::report::{self, r1};
use crate::Common;

use super::groups;
use super::open_loop::{self, Group};
use super::steps::{self, Steps};

#[derive(Args)]
pub struct Opts {
    /// groups (G)
    #[arg(long, default_value_t = 10)]
    groups: usize,
    /// members per group (S, at most 201); every one of them sends in turn
    #[arg(long, default_value_t = 100)]
    size: usize,
    /// messages per second over all groups (the first step of a ramp)
    #[arg(long, default_value_t = 500.0)]
    rate: f64,
    /// ramp: raise the rate by --ramp-step per step up to this rate (one step when unset)
    #[arg(long)]
    ramp_to: Option<f64>,
    /// ramp: msgs/s added per step
    #[arg(long, default_value_t = 100.0)]
    ramp_step: f64,
    /// seconds of sending per step
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// seconds a step's last deliveries may take after its sending stops
    #[arg(long, default_value_t = 15)]
    drain: u64,
    /// a step passes when its delivery p99 is at most this (ms) and nothing is lost
    #[arg(long, default_value_t = 50.0)]
    p99_ms: f64,
    /// sends in flight at most; beyond it the generator skips (and reports) a send
    #[arg(long, default_value_t = 4096)]
    max_in_flight: usize,
    /// process names whose CPU is reported per step (matched against /proc/<pid>/comm)
    #[arg(long, default_value = cpu::DEFAULT_PROCS, value_delimiter = ',')]
    procs: Vec<String>,
}

impl Opts {
    /// The rates of the steps: `rate`, then `rate + ramp_step`, ... up to `ramp_to`.
    fn rates(&self) -> Vec<f64> {
        let Some(to) = self.ramp_to else { return vec![self.rate] };
        let step = self.ramp_step.max(1.0);
        let n = ((to - self.rate) / step).floor().max(0.0) as usize;
        (0..=n).map(|k| self.rate + step * k as f64).collect()
    }
}

#[derive(Default)]
struct Recv {
    seen: Vec<bool>,
    last: i64,
    received: u64,
    duplicates: u64,
    out_of_order: u64,
}

pub async fn run(c: &Common, o: Opts) -> Result<bool> {
    let api = Api::new(&c.base)?;
    let n = o.groups * o.size;
    let rates = o.rates();
    eprintln!(
        "fanout: {} groups x {} members = {n} sockets, steps {:?} msgs/s, {} s each",
        o.groups, o.size, rates, o.duration
    );
    let users = client::users(&api, &c.users_file, n, c.register_concurrency).await?;
    let convs = groups::create(&api, &users, o.groups, o.size, "fanout").await?;
    eprintln!("fanout: {} groups created, connecting {n} sockets", o.groups);

    let steps = Arc::new(Steps::new(rates.len()));
    let up = Arc::new(AtomicU64::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let sem = Arc::new(Semaphore::new(64));
    let t_connect = Instant::now();
    let mut receivers = Vec::with_capacity(n);
    for (k, user) in users.iter().enumerate() {
        let (api, sem, steps, up, mut stop) = (api.clone(), sem.clone(), steps.clone(), up.clone(), stop_rx.clone());
        let (url, token, conv) = (c.ws[k % c.ws.len()].clone(), user.token.clone(), convs[k / o.size]);
        receivers.push(tokio::spawn(async move {
            let conn = {
                let _p = sem.acquire().await?;
                client::connect(&api, &url, &token).await
            };
            up.fetch_add(1, Relaxed);
            let (mut ws, hb) = conn?;
            let mut r = Recv::default();
            let mut tick = tokio::time::interval(hb);
            loop {
                tokio::select! {
                    _ = stop.changed() => break,
                    _ = tick.tick() => client::heartbeat(&mut ws).await?,
                    m = ws.next() => {
                        let Some(m) = m else { anyhow::bail!("socket closed by the server") };
                        let Some(e) = client::parse(&m?) else { continue };
                        let Some(d) = e.data.filter(|d| e.kind == "message.new" && d.conversation_id == Some(conv)) else { continue };
                        let now = client::now_micros();
                        let seq = d.seq.unwrap_or(0).max(0) as usize;
                        if r.seen.len() <= seq {
                            r.seen.resize(seq + 1024, false);
                        }
                        if r.seen[seq] {
                            r.duplicates += 1;
                            continue;
                        }
                        r.seen[seq] = true;
                        if (seq as i64) < r.last {
                            r.out_of_order += 1;
                        }
                        r.last = r.last.max(seq as i64);
                        r.received += 1;
                        if let Some((t, step)) = d.body.as_deref().and_then(steps::tag) {
                            steps.record(step, now.saturating_sub(t));
                        }
                    }
                }
            }
            let _ = ws.close(None).await;
            anyhow::Ok(r)
        }));
        if (k + 1) % 500 == 0 {
            eprintln!("  spawned {}/{n} sockets", k + 1);
        }
    }
    // Every socket past `ready` (or failed, counted below as a failed receiver).
    while up.load(Relaxed) < n as u64 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let connect_s = t_connect.elapsed().as_secs_f64();
    eprintln!("fanout: sockets connected in {connect_s:.1} s, sending");

    let groups: Arc<Vec<Group>> = Arc::new(
        convs
            .iter()
            .enumerate()
            .map(|(g, &conv)| Group {
                conv,
                tokens: users[g * o.size..(g + 1) * o.size].iter().map(|u| u.token.clone()).collect(),
            })
            .collect(),
    );
    let mut sent_seqs: Vec<Vec<i64>> = vec![Vec::new(); o.groups];
    let mut rows = Vec::new();
    let mut max_sustainable: Option<(f64, f64)> = None;
    for (step, &rate) in rates.iter().enumerate() {
        let before = cpu::sample(&o.procs);
        let mut sent = open_loop::send_step(&api, &groups, step, rate, o.duration, o.max_in_flight).await;
        let after = cpu::sample(&o.procs);
        let expected = sent.seqs.len() as u64 * o.size as u64;
        let drain_until = Instant::now() + Duration::from_secs(o.drain);
        while steps.delivered(step) < expected && Instant::now() < drain_until {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for &(g, seq) in &sent.seqs {
            sent_seqs[g].push(seq);
        }
        let delivered = steps.delivered(step);
        let latency = steps.latency(step);
        let p99 = latency["p99_ms"].as_f64().unwrap_or(f64::INFINITY);
        let missing = expected.saturating_sub(delivered);
        let pass = p99 <= o.p99_ms && missing == 0 && sent.refused + sent.errors + sent.skipped == 0;
        let deliveries_per_s = delivered as f64 / sent.seconds.max(1e-9);
        let mut row = sent.summary(rate);
        row["step"] = json!(step);
        row["deliveries_per_s"] = json!(r1(deliveries_per_s));
        row["missing_after_drain"] = json!(missing);
        row["latency_send_to_receive"] = latency;
        row["cpu"] = cpu::between(&before, &after, sent.seqs.len() as u64);
        row["pass"] = json!(pass);
        eprintln!(
            "  step {step}: offered {rate} msgs/s, accepted {}/s, {} deliveries/s, p99 {p99} ms, missing {missing}, refused {}, errors {}: {}",
            row["accepted_per_s"], r1(deliveries_per_s), sent.refused, sent.errors, if pass { "pass" } else { "FAIL" }
        );
        rows.push(row);
        if pass {
            max_sustainable = Some((rate, deliveries_per_s));
        } else if o.ramp_to.is_some() {
            break;
        }
    }
    stop_tx.send(true)?;

    let (mut lost, mut dups, mut ooo, mut received, mut failed) = (0u64, 0u64, 0u64, 0u64, 0u64);
    for (k, h) in receivers.into_iter().enumerate() {
        let seqs = &sent_seqs[k / o.size];
        match h.await? {
            Ok(r) => {
                lost += seqs.iter().filter(|&&s| !r.seen.get(s as usize).copied().unwrap_or(false)).count() as u64;
                dups += r.duplicates;
                ooo += r.out_of_order;
                received += r.received;
            }
            Err(e) => {
                failed += 1;
                lost += seqs.len() as u64;
                if failed <= 5 {
                    eprintln!("  receiver failed: {e:#}");
                }
            }
        }
    }
    let messages: usize = sent_seqs.iter().map(Vec::len).sum();
    let result = json!({
        "params": {
            "groups": o.groups, "size": o.size, "rates": rates, "step_s": o.duration,
            "p99_ms_bound": o.p99_ms, "replicas": c.ws.len(),
        },
        "sockets": n,
        "connect_s": r1(connect_s),
        "messages_accepted": messages,
        "deliveries_expected": messages as u64 * o.size as u64,
        "deliveries": received,
        "lost": lost,
        "duplicates": dups,
        "out_of_order": ooo,
        "receivers_failed": failed,
        "max_sustainable": max_sustainable.map_or(Value::Null, |(rate, d)| json!({ "msgs_per_s": rate, "deliveries_per_s": r1(d) })),
        "steps": rows,
    });
    if let Some(rows) = result["steps"].as_array() {
        report::steps_table(rows, &o.procs);
    }
    report::emit("fanout", result, c.out.as_deref())?;
    Ok(lost == 0 && failed == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        o: Opts,
    }

    fn rates(args: &[&str]) -> Vec<f64> {
        Cli::parse_from([&["fanout"], args].concat()).o.rates()
    }

    #[test]
    fn one_step_without_a_ramp_and_inclusive_steps_with_one() {
        assert_eq!(rates(&["--rate", "300"]), vec![300.0]);
        assert_eq!(rates(&["--rate", "200", "--ramp-to", "500", "--ramp-step", "150"]), vec![200.0, 350.0, 500.0]);
        assert_eq!(rates(&["--rate", "200", "--ramp-to", "100"]), vec![200.0]);
    }
}
