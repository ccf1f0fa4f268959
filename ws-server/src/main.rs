use shared::config::Settings;
use ws_server::config::Tuning;
use ws_server::startup::Application;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let (settings, tuning) = match (Settings::from_env(), Tuning::from_env()) {
        (Ok(s), Ok(t)) => (s, t),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("ws-server: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    shared::telemetry::init("ws-server", &settings.node_id, settings.log_format);
    tracing::info!(config = %settings.redacted(), "ws-server starting");
    let app = match Application::build_with(settings, tuning).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "ws-server failed to start");
            return std::process::ExitCode::FAILURE;
        }
    };
    match app.run_until_stopped().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "ws-server stopped with an error");
            std::process::ExitCode::FAILURE
        }
    }
}
