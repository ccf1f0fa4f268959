//! The OpenAPI document's modifiers: what every operation documents by its shape. The document
//! itself is `crate::routes::ApiDoc` (built from the route table), served at
//! `/api/openapi.json` as [`Document`].

mod answers;
mod operation_ids;
pub mod route_index;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::Modify;

pub use answers::CompleteAnswers;
pub use operation_ids::UniqueOperationIds;

pub struct BearerAuth;

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
pub struct CommonErrors;

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

/// The document as served: built once at start, handed to the route as app data.
pub struct Document(pub utoipa::openapi::OpenApi);
