//! Load generator for the chat cluster: REST through nginx, WebSockets straight to the ws
//! replicas, everything measured from the client side. One subcommand per scenario; progress
//! on stderr; a markdown table and a JSON line on stdout (and `--out FILE`). Exits non-zero
//! when a message is lost.
#![expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    reason = "a bounded load run: microsecond latencies, seqs and counts far from any limit"
)]
mod client;
mod cpu;
mod report;
mod scenarios;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Client-side load generator for the chat cluster")]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Args, Clone)]
pub struct Common {
    /// nginx base URL (REST goes here)
    #[arg(long, global = true, default_value = "http://localhost:8000")]
    pub base: String,
    /// ws replica URLs, sockets are spread over them round-robin
    #[arg(long = "ws", global = true, default_values_t = ["ws://127.0.0.1:8091".to_string(), "ws://127.0.0.1:8092".to_string()])]
    pub ws: Vec<String>,
    /// saved users (refreshed instead of registered again: argon2 is slow)
    #[arg(long, global = true, default_value = ".local/loadgen-users.json")]
    pub users_file: PathBuf,
    /// registrations in flight at once
    #[arg(long, global = true, default_value_t = 4)]
    pub register_concurrency: usize,
    /// also write the JSON result here
    #[arg(long, global = true)]
    pub out: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Scenario {
    /// G groups of S members over the replicas; open-loop sends at R msgs/s in total via REST,
    /// from rotating members; `--ramp-to` finds the max sustainable rate, with CPU per process.
    Fanout(scenarios::fanout::Opts),
    /// K concurrent senders of direct messages, as fast as the API answers.
    Dm(scenarios::dm::Opts),
    /// N idle connections held with heartbeats; ws-server RSS per connection and connect rate.
    Idle(scenarios::idle::Opts),
    /// Kill one ws replica under load; time until its clients are back and caught up.
    Reconnect(scenarios::reconnect::Opts),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let ok = match cli.scenario {
        Scenario::Fanout(o) => scenarios::fanout::run(&cli.common, o).await?,
        Scenario::Dm(o) => scenarios::dm::run(&cli.common, o).await?,
        Scenario::Idle(o) => scenarios::idle::run(&cli.common, o).await?,
        Scenario::Reconnect(o) => scenarios::reconnect::run(&cli.common, o).await?,
    };
    if !ok {
        eprintln!("loadgen: FAIL (messages lost)");
        std::process::exit(1);
    }
    Ok(())
}
