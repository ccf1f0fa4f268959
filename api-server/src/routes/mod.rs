//! Thin handlers: extract, authenticate, call one domain function, map to a DTO.

pub mod admin;
pub mod auth;
pub mod contacts;
pub mod conversations;
pub mod email;
pub mod groups;
pub mod health;
pub mod invites;
pub mod limits;
pub mod media;
pub mod messages;
pub mod oidc;
pub mod presence;
pub mod privacy;
pub mod search;
pub mod sessions;
pub mod two_factor;
pub mod users;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz).service(health::metrics).service(
        web::scope("/api")
            .service(crate::openapi::openapi_json)
            .service(auth::register)
            .service(auth::login)
            .service(auth::second_factor)
            .service(auth::refresh)
            .service(auth::logout)
            .service(auth::ws_ticket)
            .service(email::verify)
            .service(email::forgot)
            .service(email::reset)
            .service(email::change)
            .service(email::resend)
            .service(oidc::providers)
            .service(oidc::complete)
            .service(oidc::start)
            .service(oidc::callback)
            .service(sessions::list)
            .service(sessions::revoke_others)
            .service(sessions::revoke)
            .service(users::me)
            .service(users::update_me)
            .service(privacy::get)
            .service(privacy::update)
            .service(two_factor::enrol)
            .service(two_factor::confirm)
            .service(two_factor::disable)
            .service(users::search)
            .service(users::get)
            .service(presence::get)
            .service(contacts::list)
            .service(contacts::add)
            .service(contacts::rename)
            .service(contacts::remove)
            .service(contacts::blocked)
            .service(contacts::block)
            .service(contacts::unblock)
            // `/conversations/direct` before `/conversations/{id}`.
            .service(conversations::open_direct)
            .service(conversations::list)
            .service(conversations::get)
            .service(conversations::history)
            .service(conversations::send)
            .service(conversations::post_receipts)
            .service(conversations::get_receipts)
            .service(conversations::pin)
            .service(conversations::unpin)
            .service(conversations::archive)
            .service(conversations::unarchive)
            .service(conversations::mute)
            .service(conversations::unmute)
            .service(conversations::set_retention)
            .service(conversations::clear)
            .service(conversations::hide)
            .service(messages::edit)
            .service(messages::delete)
            .service(messages::react)
            .service(messages::unreact)
            .service(messages::report)
            .service(search::find)
            .service(media::upload)
            .service(media::download)
            .service(media::thumbnail)
            .service(groups::create)
            .service(groups::get)
            .service(groups::update)
            .service(groups::add_member)
            .service(groups::remove_member)
            .service(groups::set_role)
            .service(groups::leave)
            .service(groups::create_channel)
            .service(groups::rename_channel)
            .service(groups::delete_channel)
            .service(invites::create)
            .service(invites::list)
            .service(invites::revoke)
            .service(invites::accept)
            .service(admin::users)
            .service(admin::suspend)
            .service(admin::unsuspend)
            .service(admin::list_reports)
            .service(admin::resolve_report)
            .service(admin::abuse_flags),
    );
}
