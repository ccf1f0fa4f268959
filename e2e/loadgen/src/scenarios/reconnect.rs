//! Reconnect storm: G groups of S members over the replicas, senders posting at R msgs/s;
//! after `--kill-after` seconds the replica of `--kill-pid-file` is killed (SIGKILL). Its
//! clients do what the web client does: new ticket, connect to the next replica, and after
//! `ready` fetch what they missed with `after_seq`. Reports the time from the kill until every
//! client of that replica is connected again and caught up, and messages lost (must be 0).
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
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
    #[arg(long, default_value_t = 10)]
    groups: usize,
    #[arg(long, default_value_t = 100)]
    size: usize,
    /// messages per second over all senders
    #[arg(long, default_value_t = 200.0)]
    rate: f64,
    /// seconds of sending
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// kill the replica this many seconds into the sending
    #[arg(long, default_value_t = 5)]
    kill_after: u64,
    /// pid file of the replica to kill; its URL must be the first `--ws`
    #[arg(long)]
    kill_pid_file: PathBuf,
    #[arg(long, default_value_t = 20)]
    drain: u64,
}

type ClientTask = tokio::task::JoinHandle<Result<(bool, usize, Option<Duration>)>>;

struct Held {
    seqs: BTreeSet<i64>,
    duplicates: u64,
}

impl Held {
    fn contiguous(&self) -> i64 {
        let mut s = 0;
        for &q in &self.seqs {
            if q != s + 1 {
                break;
            }
            s = q;
        }
        s
    }
}

async fn catch_up(api: &Api, token: &str, conv: i64, held: &Mutex<Held>) -> Result<()> {
    loop {
        let after = held.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.contiguous();
        let page = api.get(&format!("/conversations/{conv}/messages?after_seq={after}&limit=100"), token).await?;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        {
            let mut h = held.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            for m in &items {
                if let Some(s) = m["seq"].as_i64() {
                    h.seqs.insert(s);
                }
            }
        }
        if !page["has_more"].as_bool().unwrap_or(false) || items.is_empty() {
            return Ok(());
        }
    }
}

pub async fn run(c: &Common, o: Opts) -> Result<bool> {
    let api = Api::new(&c.base)?;
    let n = o.groups * o.size;
    eprintln!("reconnect: {n} sockets, {} msgs/s for {} s, kill at {} s", o.rate, o.duration, o.kill_after);
    let users = client::users(&api, &c.users_file, n, c.register_concurrency).await?;
    let convs = groups::create(&api, &users, o.groups, o.size, "reconnect").await?;
    let t_start = Instant::now();
    let (stop_tx, stop_rx) = watch::channel(false);
    let up = Arc::new(AtomicU64::new(0));
    let reconnected = Arc::new(AtomicU64::new(0));
    let sem = Arc::new(Semaphore::new(64));
    let mut clients = Vec::with_capacity(n);
    for (k, user) in users.iter().enumerate() {
        let (api, sem, up, reconnected, mut stop) =
            (api.clone(), sem.clone(), up.clone(), reconnected.clone(), stop_rx.clone());
        let (urls, token, conv) = (c.ws.clone(), user.token.clone(), convs[k / o.size]);
        let held = Arc::new(Mutex::new(Held { seqs: BTreeSet::new(), duplicates: 0 }));
        let h2 = held.clone();
        let task = tokio::spawn(async move {
            let first = k % urls.len();
            let mut connects = 0usize;
            let mut victim = false;
            let mut caught_up_at: Option<Duration> = None;
            'outer: loop {
                let mut attempt = 0;
                let (mut ws, hb) = loop {
                    let url = &urls[(first + connects + attempt) % urls.len()];
                    let r = {
                        let _p = sem.acquire().await?;
                        client::connect(&api, url, &token).await
                    };
                    match r {
                        Ok(x) => break x,
                        Err(e) if attempt < 30 => {
                            attempt += 1;
                            let _ = e;
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                        Err(e) => return Err(e).context("reconnect"),
                    }
                };
                connects += 1;
                catch_up(&api, &token, conv, &held).await?;
                if connects == 1 {
                    victim = first == 0;
                    up.fetch_add(1, Relaxed);
                } else {
                    caught_up_at = Some(t_start.elapsed());
                    reconnected.fetch_add(1, Relaxed);
                }
                let mut tick = tokio::time::interval(hb);
                loop {
                    tokio::select! {
                        _ = stop.changed() => break 'outer,
                        _ = tick.tick() => if client::heartbeat(&mut ws).await.is_err() { continue 'outer },
                        m = ws.next() => {
                            let Some(Ok(m)) = m else { continue 'outer };
                            let Some(e) = client::parse(&m) else { continue };
                            if e.kind == "resync" {
                                catch_up(&api, &token, conv, &held).await?;
                                continue;
                            }
                            let Some(d) = e.data.filter(|d| e.kind == "message.new" && d.conversation_id == Some(conv)) else { continue };
                            let mut h = held.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
                            if !h.seqs.insert(d.seq.unwrap_or(0)) {
                                h.duplicates += 1;
                            }
                        }
                    }
                }
            }
            anyhow::Ok((victim, connects, caught_up_at))
        });
        clients.push((task, h2));
    }
    while up.load(Relaxed) < n as u64 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let victims_expected = (0..n).filter(|k| k % c.ws.len() == 0).count() as u64;
    eprintln!("reconnect: {n} sockets up ({victims_expected} on the replica to kill), sending");

    let sent = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let until = t0 + Duration::from_secs(o.duration);
    let owners = (0..o.groups).map(|g| (users[g * o.size].token.clone(), convs[g]));
    let senders = groups::spawn_senders(&api, owners, o.rate, until, &sent, &errors);
    tokio::time::sleep(Duration::from_secs(o.kill_after)).await;
    let pid = std::fs::read_to_string(&o.kill_pid_file)?.trim().to_owned();
    let killed_at = t_start.elapsed();
    let status = std::process::Command::new("kill").args(["-KILL", &pid]).status()?;
    anyhow::ensure!(status.success(), "kill -KILL {pid} failed");
    eprintln!("reconnect: killed pid {pid} at t={:.1}s", t0.elapsed().as_secs_f64());
    let mut last_print = Instant::now();
    let storm_deadline = Instant::now() + Duration::from_secs(60);
    while reconnected.load(Relaxed) < victims_expected && Instant::now() < storm_deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if last_print.elapsed() >= Duration::from_secs(1) {
            eprintln!(
                "  reconnected and caught up {}/{victims_expected}, sent {}",
                reconnected.load(Relaxed),
                sent.load(Relaxed)
            );
            last_print = Instant::now();
        }
    }
    let mut sent_seqs = Vec::new();
    for s in senders {
        sent_seqs.push(s.await?.seqs);
    }
    let send_errors = errors.load(Relaxed);
    eprintln!("reconnect: sending done ({} sent), draining", sent.load(Relaxed));
    let drain_until = Instant::now() + Duration::from_secs(o.drain);
    let missing = |clients: &[(ClientTask, Arc<Mutex<Held>>)]| -> u64 {
        clients
            .iter()
            .enumerate()
            .map(|(k, (_, h))| {
                let h =
                    h.lock().map(|h| sent_seqs[k / o.size].iter().filter(|s| !h.seqs.contains(s)).count()).unwrap_or(0);
                h as u64
            })
            .sum()
    };
    while missing(&clients) > 0 && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let lost = missing(&clients);
    stop_tx.send(true)?;
    let (mut storm, mut failed, mut dups, mut victims) = (Samples::default(), 0u64, 0u64, 0u64);
    for (task, held) in clients {
        match task.await? {
            Ok((victim, _, at)) => {
                if victim {
                    victims += 1;
                }
                if let Some(at) = at {
                    storm.0.push(at.saturating_sub(killed_at).as_micros() as u64);
                }
            }
            Err(e) => {
                failed += 1;
                if failed <= 5 {
                    eprintln!("  client failed: {e:#}");
                }
            }
        }
        dups += held.lock().map(|h| h.duplicates).unwrap_or(0);
    }
    let msgs = sent.load(Relaxed);
    let result = json!({
        "params": { "groups": o.groups, "size": o.size, "rate": o.rate, "duration_s": o.duration, "kill_after_s": o.kill_after },
        "sockets": n,
        "clients_on_killed_replica": victims,
        "reconnected_and_caught_up": storm.0.len(),
        "time_to_all_caught_up_s": r1(storm.0.iter().max().copied().unwrap_or(0) as f64 / 1e6),
        "reconnect_caught_up_after_kill": storm.summary(),
        "messages_sent": msgs,
        "send_errors": send_errors,
        "lost": lost,
        "live_duplicates": dups,
        "clients_failed": failed,
    });
    report::emit("reconnect", result, c.out.as_deref())?;
    Ok(lost == 0 && failed == 0)
}
