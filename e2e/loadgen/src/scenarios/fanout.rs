//! Fan-out: G groups of S members, sockets spread over the ws replicas, one sender per group
//! posting through the REST API at R/G msgs/s. Every receiver checks seq order and counts;
//! latency is send (timestamp in the body) -> receive, on the same clock.
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Args;
use futures_util::StreamExt;
use serde_json::json;
use tokio::sync::{watch, Semaphore};

use crate::client::{self, Api};
use crate::report::{self, r1, Samples};
use crate::Common;

use super::groups;

#[derive(Args)]
pub struct Opts {
    /// groups (G)
    #[arg(long, default_value_t = 10)]
    groups: usize,
    /// members per group, sender included (S, at most 201)
    #[arg(long, default_value_t = 100)]
    size: usize,
    /// messages per second over all senders (R)
    #[arg(long, default_value_t = 500.0)]
    rate: f64,
    /// seconds of sending
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// seconds to wait for the last deliveries after sending stops
    #[arg(long, default_value_t = 15)]
    drain: u64,
}

#[derive(Default)]
struct Recv {
    seen: Vec<bool>,
    last: i64,
    received: u64,
    duplicates: u64,
    out_of_order: u64,
    latency: Vec<u64>,
}

pub async fn run(c: &Common, o: Opts) -> Result<bool> {
    let api = Api::new(&c.base)?;
    let n = o.groups * o.size;
    eprintln!("fanout: {} groups x {} members = {n} sockets, {} msgs/s for {} s", o.groups, o.size, o.rate, o.duration);
    let users = client::users(&api, &c.users_file, n, c.register_concurrency).await?;
    let convs = groups::create(&api, &users, o.groups, o.size, "fanout").await?;
    eprintln!("fanout: {} groups created, connecting {n} sockets", o.groups);

    let delivered = Arc::new(AtomicU64::new(0));
    let up = Arc::new(AtomicU64::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let sem = Arc::new(Semaphore::new(64));
    let t_connect = Instant::now();
    let mut receivers = Vec::with_capacity(n);
    for (k, user) in users.iter().enumerate() {
        let (api, sem, delivered, up, mut stop) =
            (api.clone(), sem.clone(), delivered.clone(), up.clone(), stop_rx.clone());
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
                        delivered.fetch_add(1, Relaxed);
                        if let Some(t) = d.body.as_deref().and_then(|b| b.strip_prefix("lg ")).and_then(|b| b.split(' ').next()).and_then(|t| t.parse::<u64>().ok()) {
                            r.latency.push(now.saturating_sub(t));
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

    let sent = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let until = t0 + Duration::from_secs(o.duration);
    let owners = (0..o.groups).map(|g| (users[g * o.size].token.clone(), convs[g]));
    let senders = groups::spawn_senders(&api, owners, o.rate, until, &sent, &errors);
    let progress = {
        let (sent, delivered) = (sent.clone(), delivered.clone());
        tokio::spawn(async move {
            let mut last = 0;
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let d = delivered.load(Relaxed);
                eprintln!(
                    "  t={:>4.1}s sent {} delivered {} ({}/s)",
                    t0.elapsed().as_secs_f64(),
                    sent.load(Relaxed),
                    d,
                    d - last
                );
                last = d;
            }
        })
    };
    let mut sent_seqs = Vec::new();
    let mut rest = Samples::default();
    for s in senders {
        let got = s.await?;
        sent_seqs.push(got.seqs);
        rest.extend(got.rest_us);
    }
    let send_s = t0.elapsed().as_secs_f64();
    let expected: u64 = sent_seqs.iter().map(|s| s.len() as u64 * o.size as u64).sum();
    let drain_until = Instant::now() + Duration::from_secs(o.drain);
    while delivered.load(Relaxed) < expected && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let total_s = t0.elapsed().as_secs_f64();
    progress.abort();
    stop_tx.send(true)?;

    let (mut lost, mut dups, mut ooo, mut received, mut failed) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut latency = Samples::default();
    for (k, h) in receivers.into_iter().enumerate() {
        let seqs = &sent_seqs[k / o.size];
        match h.await? {
            Ok(r) => {
                lost += seqs.iter().filter(|&&s| !r.seen.get(s as usize).copied().unwrap_or(false)).count() as u64;
                dups += r.duplicates;
                ooo += r.out_of_order;
                received += r.received;
                latency.extend(r.latency);
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
    let msgs = sent.load(Relaxed);
    let result = json!({
        "params": { "groups": o.groups, "size": o.size, "rate": o.rate, "duration_s": o.duration, "replicas": c.ws.len() },
        "sockets": n,
        "connect_s": r1(connect_s),
        "messages_sent": msgs,
        "send_errors": errors.load(Relaxed),
        "send_rate_per_s": r1(msgs as f64 / send_s),
        "deliveries_expected": expected,
        "deliveries": received,
        "deliveries_per_s": r1(received as f64 / total_s),
        "lost": lost,
        "duplicates": dups,
        "out_of_order": ooo,
        "receivers_failed": failed,
        "latency_send_to_receive": latency.summary(),
        "rest_send": rest.summary(),
    });
    report::emit("fanout", result, c.out.as_deref())?;
    Ok(lost == 0 && failed == 0)
}
