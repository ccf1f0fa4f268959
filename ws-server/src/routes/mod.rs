pub mod health;
pub mod ws;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz).service(health::metrics).service(ws::upgrade);
}
