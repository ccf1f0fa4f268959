use api_server::cli::{self, Command};
use api_server::startup::Application;
use shared::config::Settings;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match Command::parse(&args) {
        Ok(command) => command,
        Err(usage) => {
            eprintln!("{usage}");
            return std::process::ExitCode::from(2);
        }
    };
    // The document depends on the code only: no setting is read, so it works anywhere.
    if command == Command::OpenApi {
        return cli::print_openapi();
    }
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("api-server: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    if let Command::Admin { grant, username } = command {
        return cli::set_role(&settings, &username, grant).await;
    }
    shared::telemetry::init("api-server", &settings.node_id, settings.log_format);
    tracing::info!(config = %settings.redacted(), "api-server starting");
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "api-server failed to start");
            return std::process::ExitCode::FAILURE;
        }
    };
    match app.run_until_stopped().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "api-server stopped with an error");
            std::process::ExitCode::FAILURE
        }
    }
}
