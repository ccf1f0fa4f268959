//! Every operation has its own `operationId`.
//!
//! utoipa names an operation after its handler, and handlers of different modules share names
//! (`get`, `list`, `update`). OpenAPI requires unique ids, and clients generated from the
//! document key their operations by them (two `get`s do not compile in the web client's
//! `api.gen.ts`). A shared name gets the operation's path in front: `get` of `/api/users/{id}`
//! becomes `users_get`, of `/api/me/privacy` `me_privacy_get`. Unique names stay as they are.

use std::collections::BTreeMap;

use utoipa::openapi::path::Operation;
use utoipa::openapi::OpenApi;
use utoipa::Modify;

pub struct UniqueOperationIds;

impl Modify for UniqueOperationIds {
    fn modify(&self, openapi: &mut OpenApi) {
        let mut uses: BTreeMap<String, usize> = BTreeMap::new();
        for (_, op) in operations(openapi) {
            if let Some(id) = &op.operation_id {
                *uses.entry(id.clone()).or_default() += 1;
            }
        }
        for (path, op) in operations(openapi) {
            if let Some(id) = &op.operation_id {
                if uses.get(id).is_some_and(|n| *n > 1) {
                    op.operation_id = Some(qualified(&path, id));
                }
            }
        }
    }
}

fn operations(openapi: &mut OpenApi) -> Vec<(String, &mut Operation)> {
    let mut out = Vec::new();
    for (path, item) in openapi.paths.paths.iter_mut() {
        let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        out.extend(ops.into_iter().flatten().map(|op| (path.clone(), op)));
    }
    out
}

/// `/api/me/privacy` + `get` -> `me_privacy_get` (path parameters and the `/api` prefix left out).
fn qualified(path: &str, id: &str) -> String {
    let segments = path.split('/').filter(|s| !s.is_empty() && *s != "api" && !s.starts_with('{'));
    let mut name: Vec<String> = segments.map(|s| s.replace('-', "_")).collect();
    name.push(id.to_owned());
    name.join("_")
}

#[cfg(test)]
mod tests {
    use super::qualified;

    #[test]
    fn a_shared_name_is_prefixed_with_its_path() {
        assert_eq!(qualified("/api/users/{id}", "get"), "users_get");
        assert_eq!(qualified("/api/me/privacy", "get"), "me_privacy_get");
        assert_eq!(qualified("/api/groups/{id}/members/{user_id}", "remove"), "groups_members_remove");
    }
}
