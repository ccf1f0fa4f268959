//! Idle connections: N sockets spread over the replicas, held with heartbeats. Reports the
//! connect rate, the CPU per process per connect while they connect (`ms_per_msg` there is per
//! connect), and the ws-server RSS growth per connection (from /proc, via the pid files).
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Args;
use futures_util::StreamExt;
use serde_json::json;
use tokio::sync::{watch, Semaphore};

use crate::client::{self, Api};
use crate::cpu;
use crate::report::{self, r1};
use crate::Common;

#[derive(Args)]
pub struct Opts {
    /// connections (N)
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    /// users the connections are spread over
    #[arg(long, default_value_t = 100)]
    users: usize,
    /// connects in flight at once
    #[arg(long, default_value_t = 128)]
    concurrency: usize,
    /// seconds to hold every connection once all are up
    #[arg(long, default_value_t = 30)]
    hold: u64,
    /// ws-server pid files (e.g. .local/bench/run/ws-1.pid), for RSS
    #[arg(long = "pid-file")]
    pid_files: Vec<PathBuf>,
    /// process names whose CPU is reported for the connect phase (matched against /proc/<pid>/comm)
    #[arg(long, default_value = cpu::DEFAULT_PROCS, value_delimiter = ',')]
    procs: Vec<String>,
}

fn rss_kib(pid_files: &[PathBuf]) -> u64 {
    pid_files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{}/status", pid.trim())).ok())
        .filter_map(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .sum()
}

pub async fn run(c: &Common, o: Opts) -> Result<bool> {
    let api = Api::new(&c.base)?;
    let n = o.connections;
    eprintln!("idle: {n} connections over {} users and {} replicas, hold {} s", o.users, c.ws.len(), o.hold);
    let users = client::users(&api, &c.users_file, o.users.max(1), c.register_concurrency).await?;
    let rss_before = rss_kib(&o.pid_files);
    let (up, failed, closed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let sem = Arc::new(Semaphore::new(o.concurrency.max(1)));
    let cpu_before = cpu::sample(&o.procs);
    let t0 = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for k in 0..n {
        let (api, sem, up, failed, closed, mut stop) =
            (api.clone(), sem.clone(), up.clone(), failed.clone(), closed.clone(), stop_rx.clone());
        let (url, token) = (c.ws[k % c.ws.len()].clone(), users[k % users.len()].token.clone());
        tasks.push(tokio::spawn(async move {
            let conn = {
                let _p = sem.acquire().await;
                client::connect(&api, &url, &token).await
            };
            let (mut ws, hb) = match conn {
                Ok(x) => x,
                Err(e) => {
                    if failed.fetch_add(1, Relaxed) < 5 {
                        eprintln!("  connect failed: {e:#}");
                    }
                    return;
                }
            };
            up.fetch_add(1, Relaxed);
            let mut tick = tokio::time::interval(hb);
            loop {
                tokio::select! {
                    _ = stop.changed() => break,
                    _ = tick.tick() => if client::heartbeat(&mut ws).await.is_err() { closed.fetch_add(1, Relaxed); return },
                    m = ws.next() => if !matches!(m, Some(Ok(_))) { closed.fetch_add(1, Relaxed); return },
                }
            }
            let _ = ws.close(None).await;
        }));
    }
    let mut last = 0;
    while up.load(Relaxed) + failed.load(Relaxed) < n as u64 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let u = up.load(Relaxed);
        eprintln!(
            "  t={:>4.1}s up {u} ({}/s) failed {} rss {} MiB",
            t0.elapsed().as_secs_f64(),
            u - last,
            failed.load(Relaxed),
            rss_kib(&o.pid_files) / 1024
        );
        last = u;
    }
    let connect_s = t0.elapsed().as_secs_f64();
    let connected = up.load(Relaxed);
    let connect_cpu = cpu::between(&cpu_before, &cpu::sample(&o.procs), connected);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_up = rss_kib(&o.pid_files);
    let hold_until = Instant::now() + Duration::from_secs(o.hold);
    while Instant::now() < hold_until {
        tokio::time::sleep(Duration::from_secs(5).min(hold_until.saturating_duration_since(Instant::now()))).await;
        eprintln!(
            "  holding: {} up, {} closed by server, rss {} MiB",
            connected - closed.load(Relaxed),
            closed.load(Relaxed),
            rss_kib(&o.pid_files) / 1024
        );
    }
    let rss_end = rss_kib(&o.pid_files);
    let dropped = closed.load(Relaxed);
    stop_tx.send(true)?;
    for t in tasks {
        let _ = t.await;
    }
    let per_conn =
        |after: u64| if connected == 0 { 0.0 } else { r1(after.saturating_sub(rss_before) as f64 / connected as f64) };
    let result = json!({
        "params": { "connections": n, "users": users.len(), "hold_s": o.hold, "replicas": c.ws.len() },
        "connected": connected,
        "connect_failed": failed.load(Relaxed),
        "dropped_during_hold": dropped,
        "connect_s": r1(connect_s),
        "connect_rate_per_s": r1(connected as f64 / connect_s),
        "connect_cpu": connect_cpu,
        "ws_rss_kib": { "before": rss_before, "all_up": rss_up, "end_of_hold": rss_end },
        "ws_rss_per_conn_kib": { "all_up": per_conn(rss_up), "end_of_hold": per_conn(rss_end) },
    });
    report::emit("idle", result, c.out.as_deref())?;
    Ok(failed.load(Relaxed) == 0 && dropped == 0)
}
