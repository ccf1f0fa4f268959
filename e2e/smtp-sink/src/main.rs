//! `smtp-sink --smtp 127.0.0.1:2525 --http 127.0.0.1:8025`: the local cluster's mail sink.

use clap::Parser;

#[derive(Parser)]
#[command(about = "Receives mail over SMTP, keeps it in memory, lists it at GET /messages?to=<addr>")]
struct Args {
    /// Address of the SMTP listener.
    #[arg(long, default_value = "127.0.0.1:2525")]
    smtp: String,
    /// Address of the HTTP listener (GET /messages?to=, DELETE /messages).
    #[arg(long, default_value = "127.0.0.1:8025")]
    http: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let sink = smtp_sink::MailSink::start(&args.smtp, &args.http).await?;
    println!(
        "{}",
        serde_json::json!({"ts": chrono::Utc::now().to_rfc3339(), "level": "info", "msg": "smtp-sink listening", "service": "smtp-sink", "smtp": sink.smtp_addr().to_string(), "http": sink.http_addr().to_string()})
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    Ok(())
}
