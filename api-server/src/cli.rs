//! Operator commands of the binary, run instead of the server:
//!
//!   api-server openapi                   print the OpenAPI document (`/api/openapi.json`) and exit;
//!                                        needs no setting and no service (the web client's API
//!                                        types are generated from it: web/scripts/api-types.sh)
//!   api-server admin grant <username>    make an administrator (how the first one is made)
//!   api-server admin revoke <username>   back to a plain user

use std::process::ExitCode;

use secrecy::ExposeSecret;
use shared::config::Settings;
use shared::db;
use utoipa::OpenApi;

use crate::domain::admin;
use crate::routes::ApiDoc;

pub const USAGE: &str = "usage: api-server [openapi | admin grant|revoke <username>]";

/// What the arguments ask for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Serve,
    OpenApi,
    Admin { grant: bool, username: String },
}

impl Command {
    /// `Err` carries the usage line.
    pub fn parse(args: &[String]) -> Result<Command, &'static str> {
        match args {
            [] => Ok(Command::Serve),
            [cmd] if cmd == "openapi" => Ok(Command::OpenApi),
            [cmd, action, name] if cmd == "admin" && (action == "grant" || action == "revoke") => {
                Ok(Command::Admin { grant: action == "grant", username: name.clone() })
            }
            _ => Err(USAGE),
        }
    }
}

/// Prints the document the server serves, pretty (it is committed as web/openapi.json).
pub fn print_openapi() -> ExitCode {
    match ApiDoc::openapi().to_pretty_json() {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("api-server openapi: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `api-server admin grant|revoke <username>`.
pub async fn set_role(settings: &Settings, username: &str, grant: bool) -> ExitCode {
    let pool = db::build_pool(settings.database_url.expose_secret(), 1, settings.database_queue_wait_ms);
    let name = username.to_owned();
    let result = db::run(&pool, move |conn| {
        db::run_migrations(conn).map_err(shared::Error::internal)?;
        admin::set_role(conn, &name, grant)
    })
    .await;
    match result {
        Ok(user) => {
            println!("{} is now: {}", user.username, user.role);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("api-server admin: {username}: {}", e.message);
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, &'static str> {
        Command::parse(&args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn arguments_name_one_command_or_get_the_usage() {
        assert_eq!(parse(&[]), Ok(Command::Serve));
        assert_eq!(parse(&["openapi"]), Ok(Command::OpenApi));
        assert_eq!(parse(&["admin", "revoke", "ann"]), Ok(Command::Admin { grant: false, username: "ann".into() }));
        assert_eq!(parse(&["openapi", "extra"]), Err(USAGE));
        assert_eq!(parse(&["admin", "promote", "ann"]), Err(USAGE));
    }
}
