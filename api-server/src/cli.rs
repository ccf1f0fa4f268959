//! Operator commands of the binary, run instead of the server:
//!
//!   api-server admin grant <username>    make an administrator (how the first one is made)
//!   api-server admin revoke <username>   back to a plain user

use std::process::ExitCode;

use secrecy::ExposeSecret;
use shared::config::Settings;
use shared::db;

use crate::domain::admin;

pub const USAGE: &str = "usage: api-server [admin grant|revoke <username>]";

/// `None` when the arguments ask for the server; otherwise the command's exit code.
pub async fn run(settings: &Settings, args: &[String]) -> Option<ExitCode> {
    let (grant, username) = match args {
        [] => return None,
        [cmd, action, name] if cmd == "admin" && (action == "grant" || action == "revoke") => (action == "grant", name),
        _ => {
            eprintln!("{USAGE}");
            return Some(ExitCode::from(2));
        }
    };
    let pool = db::build_pool(settings.database_url.expose_secret(), 1);
    let name = username.clone();
    let result = db::run(&pool, move |conn| {
        db::run_migrations(conn).map_err(shared::Error::internal)?;
        admin::set_role(conn, &name, grant)
    })
    .await;
    match result {
        Ok(user) => {
            println!("{} is now: {}", user.username, user.role);
            Some(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("api-server admin: {username}: {}", e.message);
            Some(ExitCode::FAILURE)
        }
    }
}
