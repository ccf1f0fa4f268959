//! Thin handlers: extract, authenticate, call one domain function, map to a DTO.
//!
//! Every route is named once, in the table at the end of this file: it is registered with
//! actix in that order and, unless it sits in an `undocumented` list, listed in the OpenAPI
//! document ([`ApiDoc`]; its modifiers are in `crate::openapi`).

pub mod admin;
pub mod auth;
pub mod avatars;
pub mod contacts;
pub mod conversations;
pub mod email;
pub mod groups;
pub mod health;
pub mod identities;
pub mod invites;
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

use crate::openapi::{BearerAuth, CommonErrors, CompleteAnswers, UniqueOperationIds};

/// Builds [`ApiDoc`] and [`configure`] from one list of `module::handler` names.
macro_rules! routes {
    (
        root: [$($rm:ident::$rf:ident),* $(,)?],
        root_undocumented: [$($hm:ident::$hf:ident),* $(,)?],
        api_undocumented: [$($um:ident::$uf:ident),* $(,)?],
        api: [$($am:ident::$af:ident),* $(,)?] $(,)?
    ) => {
        /// The OpenAPI document, generated from the handlers' annotations.
        #[derive(utoipa::OpenApi)]
        #[openapi(
            info(title = "chat api-server", description = "REST API of the real-time chat cluster. Every error is `{\"error\":{\"code\",\"message\",\"fields\"}}` with a stable code."),
            paths($($rm::$rf,)* $($am::$af,)*),
            components(schemas(
                shared::error::ErrorBody, shared::error::ErrorDetail, shared::error::FieldError,
                shared::events::Event, shared::events::ClientEvent,
                crate::domain::media::UploadKind, crate::domain::reports::ReportFilter,
            )),
            modifiers(&BearerAuth, &CommonErrors, &CompleteAnswers, &UniqueOperationIds),
        )]
        pub struct ApiDoc;

        /// Registers every route, in the table's order (`/conversations/direct` before
        /// `/conversations/{id}`).
        pub fn configure(cfg: &mut web::ServiceConfig) {
            cfg$(.service($rm::$rf))*$(.service($hm::$hf))*
                .service(web::scope("/api")$(.service($um::$uf))*$(.service($am::$af))*);
        }
    };
}

routes! {
    root: [health::healthz, health::readyz],
    root_undocumented: [health::metrics],
    api_undocumented: [health::openapi_json],
    api: [
        auth::register,
        auth::login,
        auth::second_factor,
        auth::refresh,
        auth::logout,
        auth::ws_ticket,
        email::verify,
        email::forgot,
        email::reset,
        email::change,
        email::resend,
        oidc::providers,
        oidc::complete,
        oidc::start,
        oidc::callback,
        identities::list,
        identities::link,
        identities::unlink,
        sessions::list,
        sessions::revoke_others,
        sessions::revoke,
        users::me,
        users::update_me,
        avatars::upload_mine,
        avatars::remove_mine,
        privacy::get,
        privacy::update,
        two_factor::enrol,
        two_factor::confirm,
        two_factor::disable,
        users::search,
        users::get,
        users::profile_of,
        presence::get,
        contacts::list,
        contacts::add,
        contacts::rename,
        contacts::remove,
        contacts::blocked,
        contacts::block,
        contacts::unblock,
        conversations::open_direct,
        conversations::list,
        conversations::get,
        conversations::history,
        conversations::send,
        conversations::post_receipts,
        conversations::get_receipts,
        conversations::pin,
        conversations::unpin,
        conversations::archive,
        conversations::unarchive,
        conversations::mute,
        conversations::unmute,
        conversations::set_retention,
        conversations::clear,
        conversations::hide,
        messages::edit,
        messages::delete,
        messages::react,
        messages::unreact,
        messages::report,
        search::find,
        media::upload,
        media::download,
        media::thumbnail,
        media::usage,
        groups::create,
        groups::get,
        groups::update,
        groups::delete_group,
        avatars::upload_group,
        avatars::remove_group,
        groups::add_member,
        groups::remove_member,
        groups::set_role,
        groups::leave,
        groups::create_channel,
        groups::rename_channel,
        groups::delete_channel,
        invites::create,
        invites::list,
        invites::revoke,
        invites::accept,
        admin::users,
        admin::suspend,
        admin::unsuspend,
        admin::list_reports,
        admin::resolve_report,
        admin::abuse_flags,
        admin::overview,
    ],
}
