//! `oidc-provider --addr 127.0.0.1:8055 --client-id chat-local --client-secret …`: the test
//! OpenID provider as a process (the local cluster's `oidc` node). Not for production: it signs
//! in whoever asks, as `--user` or the `login_hint`.

use std::net::TcpListener;

use anyhow::Context;
use clap::Parser;
use oidc_provider::{Config, TestUser};

#[derive(Parser)]
#[command(about = "A minimal OpenID Connect provider that approves every sign-in (tests, local cluster)")]
struct Args {
    #[arg(long, default_value = "127.0.0.1:8055")]
    addr: String,
    /// The issuer to announce (default http://<addr>).
    #[arg(long)]
    issuer: Option<String>,
    #[arg(long, default_value = "chat-local")]
    client_id: String,
    #[arg(long, default_value = "local-secret")]
    client_secret: String,
    /// Who is signed in without a login_hint: sub|email|verified[|username].
    #[arg(long, default_value = "local-user-1|local.user@example.test|true|local.user")]
    user: String,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut config = Config::new(&args.client_id, &args.client_secret);
    config.default_user = TestUser::parse(&args.user).context("--user must be sub|email|verified[|username]")?;
    config.issuer = args.issuer;
    let listener = TcpListener::bind(&args.addr).with_context(|| format!("cannot listen on {}", args.addr))?;
    let (issuer, server) = oidc_provider::serve(listener, config)?;
    println!(r#"{{"level":"INFO","msg":"oidc-provider listening","issuer":"{issuer}"}}"#);
    let handle = server.handle();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        handle.stop(true).await;
    });
    #[cfg(unix)]
    {
        let handle = server.handle();
        tokio::spawn(async move {
            if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                term.recv().await;
                handle.stop(true).await;
            }
        });
    }
    server.await?;
    Ok(())
}
