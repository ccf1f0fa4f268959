//! Direct-message throughput: K concurrent senders, each posting to a direct conversation
//! with the next user as fast as the API answers (closed loop). A 2xx carries the committed
//! seq; per conversation the seqs of this run must be contiguous (no message lost).
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Args;
use serde_json::json;

use crate::client::{self, Api};
use crate::cpu;
use crate::report::{self, r1, Samples};
use crate::Common;

#[derive(Args)]
pub struct Opts {
    /// concurrent senders (K); each sends to a direct conversation with the next one
    #[arg(long, default_value_t = 32)]
    senders: usize,
    /// seconds of sending
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// stop a sender after this many messages (keeps a smoke run under the send rate limit)
    #[arg(long)]
    max_per_sender: Option<u64>,
    /// processes whose CPU the report splits per persisted message (by process name)
    #[arg(long, default_value = cpu::DEFAULT_PROCS, value_delimiter = ',')]
    procs: Vec<String>,
}

pub async fn run(c: &Common, o: Opts) -> Result<bool> {
    let api = Api::new(&c.base)?;
    let k = o.senders.max(2);
    eprintln!("dm: {k} senders for {} s", o.duration);
    let users = client::users(&api, &c.users_file, k, c.register_concurrency).await?;
    let mut convs = Vec::with_capacity(k);
    for i in 0..k {
        convs.push(api.direct(&users[i], users[(i + 1) % k].id).await?);
    }
    let sent = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let cpu_before = cpu::sample(&o.procs);
    let t0 = Instant::now();
    let until = t0 + Duration::from_secs(o.duration);
    let max = o.max_per_sender.unwrap_or(u64::MAX);
    let mut tasks = Vec::with_capacity(k);
    for (i, u) in users.iter().enumerate() {
        let (api, token, conv, sent, errors) = (api.clone(), u.token.clone(), convs[i], sent.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let (mut seqs, mut lat) = (Vec::new(), Vec::new());
            while Instant::now() < until && (seqs.len() as u64) < max {
                let t = Instant::now();
                match api.send(&token, conv, format!("lg {} dm{i}", client::now_micros())).await {
                    Ok(seq) => {
                        lat.push(t.elapsed().as_micros() as u64);
                        seqs.push(seq);
                        sent.fetch_add(1, Relaxed);
                    }
                    Err(e) => {
                        if errors.fetch_add(1, Relaxed) < 5 {
                            eprintln!("  send error: {e:#}");
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
            (conv, seqs, lat)
        }));
    }
    let progress = {
        let sent = sent.clone();
        tokio::spawn(async move {
            let mut last = 0;
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let s = sent.load(Relaxed);
                eprintln!("  t={:>4.1}s persisted {s} ({}/s)", t0.elapsed().as_secs_f64(), s - last);
                last = s;
            }
        })
    };
    let mut by_conv: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut rest = Samples::default();
    for t in tasks {
        let (conv, seqs, lat) = t.await?;
        by_conv.entry(conv).or_default().extend(seqs);
        rest.extend(lat);
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let n = sent.load(Relaxed);
    let cpu_per_message = cpu::between(&cpu_before, &cpu::sample(&o.procs), n);
    progress.abort();
    let (mut lost, mut dups) = (0u64, 0u64);
    for seqs in by_conv.values_mut() {
        seqs.sort_unstable();
        let before = seqs.len();
        seqs.dedup();
        dups += (before - seqs.len()) as u64;
        if let (Some(a), Some(b)) = (seqs.first(), seqs.last()) {
            lost += (b - a + 1) as u64 - seqs.len() as u64;
        }
    }
    let result = json!({
        "params": { "senders": k, "duration_s": o.duration, "max_per_sender": o.max_per_sender },
        "persisted": n,
        "persisted_per_s": r1(n as f64 / elapsed),
        "send_errors": errors.load(Relaxed),
        "lost": lost,
        "duplicate_seqs": dups,
        "rest_send": rest.summary(),
        "cpu": cpu_per_message,
    });
    report::emit("dm", result, c.out.as_deref())?;
    Ok(lost == 0 && dups == 0)
}
