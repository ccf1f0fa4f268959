//! The OpenAPI document, generated from the handlers' annotations, at `/api/openapi.json`.

mod answers;
mod operation_ids;
pub mod route_index;

use actix_web::{get, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;
use answers::CompleteAnswers;
use operation_ids::UniqueOperationIds;

#[derive(OpenApi)]
#[openapi(
    info(title = "chat api-server", description = "REST API of the real-time chat cluster. Every error is `{\"error\":{\"code\",\"message\",\"fields\"}}` with a stable code."),
    paths(
        routes::health::healthz, routes::health::readyz,
        routes::auth::register, routes::auth::login, routes::auth::second_factor, routes::auth::refresh, routes::auth::logout, routes::auth::ws_ticket,
        routes::email::change, routes::email::resend, routes::email::verify, routes::email::forgot, routes::email::reset,
        routes::oidc::providers, routes::oidc::start, routes::oidc::callback, routes::oidc::complete,
        routes::sessions::list, routes::sessions::revoke, routes::sessions::revoke_others,
        routes::users::me, routes::users::update_me, routes::privacy::get, routes::privacy::update,
        routes::two_factor::enrol, routes::two_factor::confirm,
        routes::two_factor::disable, routes::users::search, routes::users::get, routes::presence::get,
        routes::contacts::list, routes::contacts::add, routes::contacts::rename, routes::contacts::remove,
        routes::contacts::blocked, routes::contacts::block, routes::contacts::unblock,
        routes::conversations::list, routes::conversations::open_direct, routes::conversations::get,
        routes::conversations::history, routes::conversations::send,
        routes::conversations::post_receipts, routes::conversations::get_receipts,
        routes::conversations::pin, routes::conversations::unpin, routes::conversations::archive,
        routes::conversations::unarchive, routes::conversations::mute, routes::conversations::unmute, routes::conversations::set_retention,
        routes::conversations::clear, routes::conversations::hide,
        routes::messages::edit, routes::messages::delete, routes::messages::react, routes::messages::unreact, routes::search::find,
        routes::groups::create, routes::groups::get, routes::groups::update, routes::groups::add_member,
        routes::groups::remove_member, routes::groups::set_role, routes::groups::leave,
        routes::groups::create_channel, routes::groups::rename_channel, routes::groups::delete_channel,
        routes::invites::create, routes::invites::list, routes::invites::revoke, routes::invites::accept,
        routes::media::upload, routes::media::download, routes::media::thumbnail, routes::messages::report,
        routes::admin::users, routes::admin::suspend, routes::admin::unsuspend, routes::admin::list_reports,
        routes::admin::resolve_report, routes::admin::abuse_flags,
    ),
    components(schemas(
        shared::error::ErrorBody, shared::error::ErrorDetail, shared::error::FieldError,
        shared::events::Event, shared::events::ClientEvent,
        crate::domain::media::UploadKind, crate::domain::reports::ReportFilter,
    )),
    modifiers(&BearerAuth, &CommonErrors, &CompleteAnswers, &UniqueOperationIds),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// Documents the error responses every operation can give because of its shape, so each one
/// lists them without repeating them in 40 annotations: 400 (malformed input) and 503 (database
/// unavailable) always; 401 when it needs a token; 404 when its path has parameters (ids that
/// name nothing, or are not numbers); 413 and 415 when it takes a JSON body.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                )
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/api/") {
                continue;
            }
            let has_params = path.contains('{');
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for op in operations.into_iter().flatten() {
                let mut common = vec![("400", "malformed input"), ("503", "database unavailable, retry")];
                if op.security.is_some() {
                    common.push(("401", "missing, invalid or expired access token"));
                }
                if has_params {
                    common.push(("404", "not found (or not visible to you)"));
                }
                if op.request_body.is_some() {
                    common.push(("413", "body larger than 64 KiB"));
                    common.push(("415", "Content-Type is not application/json"));
                }
                for (code, description) in common {
                    op.responses.responses.entry(code.to_owned()).or_insert_with(|| error(description).into());
                }
            }
        }
    }
}

#[get("/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
