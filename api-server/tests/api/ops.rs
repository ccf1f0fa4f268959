//! Health, readiness, metrics, uniform errors, configuration errors of the binary.

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_and_readyz_answer_when_all_services_are_up() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz", None).await.status, 200);
    // The relay connects in the background: wait for it.
    let mut reply = app.get("/readyz", None).await;
    for _ in 0..50 {
        if reply.body["status"] == "ready" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        reply = app.get("/readyz", None).await;
    }
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["checks"]["postgres"], "up");
    assert_eq!(reply.body["checks"]["rabbitmq"], "up");
    assert_eq!(reply.body["checks"]["memcached"], "up");
}

#[tokio::test]
async fn readyz_names_a_stopped_dependency() {
    // Nothing listens on port 1.
    let app = spawn_app_with(&[
        ("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/%2f"),
        ("MEMCACHED_URL", "memcache://127.0.0.1:1"),
    ])
    .await;
    let reply = app.get("/readyz", None).await;
    assert_eq!(reply.status, 200, "api keeps serving: sends wait in the outbox");
    assert_eq!(reply.body["status"], "degraded");
    assert_eq!(reply.body["checks"]["rabbitmq"], "down");
    assert_eq!(reply.body["checks"]["memcached"], "down");
    assert_eq!(reply.body["checks"]["postgres"], "up");
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors_with_a_request_id() {
    let app = spawn_app().await;
    let reply = app.get("/api/nope", None).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.code(), "route_not_found");
    let id = reply.headers.get("x-request-id").expect("request id header");
    assert!(!id.is_empty());
    let reply = app.request(reqwest::Method::DELETE, "/healthz", None, None).await;
    assert!(reply.status.is_client_error());
    assert!(reply.body["error"]["code"].is_string(), "{:?}", reply.body);
}

#[tokio::test]
async fn metrics_are_exported_with_the_design_names() {
    let app = spawn_app().await;
    app.get("/healthz", None).await;
    let text = app.client.get(app.url("/metrics")).send().await.expect("scrape").text().await.expect("text");
    for name in [
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "chat_messages_sent_total",
        "chat_outbox_pending",
        "chat_broker_reconnects_total",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics");
    }
}

#[test]
fn the_binary_reports_a_bad_setting_in_one_line() {
    let out =
        std::process::Command::new(env!("CARGO_BIN_EXE_api-server")).env("API_ADDR", "nowhere").output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("API_ADDR"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_binary_refuses_production_with_the_default_secret() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_api-server"))
        .env("APP_ENV", "production")
        .env_remove("JWT_SECRET")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("JWT_SECRET"));
}

#[test]
fn the_binary_refuses_production_with_the_secret_from_env_example() {
    let published = include_str!("../../../.env.example")
        .lines()
        .find_map(|l| l.strip_prefix("JWT_SECRET="))
        .expect(".env.example names a secret");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_api-server"))
        .env("APP_ENV", "production")
        .env("JWT_SECRET", published)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("JWT_SECRET") && stderr.contains("published in the repository"), "{stderr}");
    assert!(!stderr.contains(published), "the secret is not echoed: {stderr}");
}

#[tokio::test]
async fn openapi_document_covers_the_routes_with_error_responses() {
    let app = spawn_app().await;
    let doc = app.get("/api/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc.body["paths"].as_object().expect("paths");
    for p in crate::helpers::ROUTES {
        assert!(paths.contains_key(*p), "{p} missing from the OpenAPI document");
    }
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            let responses = op["responses"].as_object().expect("responses");
            if path.starts_with("/api/") {
                assert!(responses.keys().any(|k| k.starts_with('4')), "{method} {path} documents no error response");
            }
        }
    }
    assert!(doc.body["components"]["schemas"]["ErrorBody"].is_object());
}

#[tokio::test]
async fn the_openapi_command_prints_the_served_document_without_any_service_or_setting() {
    let app = spawn_app().await;
    let served = app.get("/api/openapi.json", None).await;
    // No database, broker or cache reachable, and a configuration the server would refuse:
    // the document is built from the code alone (the web client's types are generated from it).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_api-server"))
        .arg("openapi")
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/%2f")
        .env("APP_ENV", "production")
        .env_remove("JWT_SECRET")
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(printed, served.body);
}

/// The properties a schema of the document requires (its own and those of its `allOf` parts).
fn required_properties(doc: &serde_json::Value, schema: &str) -> Vec<String> {
    let schema = &doc["components"]["schemas"][schema];
    let Some(parts) = schema["allOf"].as_array() else {
        return required_properties_of(schema);
    };
    parts
        .iter()
        .flat_map(|part| match part["$ref"].as_str() {
            Some(r) => required_properties(doc, r.trim_start_matches("#/components/schemas/")),
            None => required_properties_of(part),
        })
        .collect()
}

fn required_properties_of(schema: &serde_json::Value) -> Vec<String> {
    let required = schema["required"].as_array().cloned().unwrap_or_default();
    required.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
}

#[tokio::test]
async fn the_openapi_document_requires_what_answers_always_carry_and_only_that() {
    let app = spawn_app().await;
    let doc = app.get("/api/openapi.json", None).await.body;
    let ann = app.register("ann").await;
    let me = app.get("/api/me", Some(&ann.token)).await.body;
    // Every field of an answer is written, null or not: the web client's generated types must
    // not make them optional (`avatar_id?:`), nor leave out one the answer always has.
    let required = required_properties(&doc, "MeDto");
    let mut written: Vec<String> = me.as_object().expect("object").keys().cloned().collect();
    written.sort();
    let mut listed = required.clone();
    listed.sort();
    assert_eq!(listed, written, "MeDto: required properties vs. the fields GET /api/me writes");
    // Fields left out when empty stay optional; request bodies keep their optional fields.
    assert!(!required_properties(&doc, "MessageDto").contains(&"attachment".to_owned()));
    assert!(required_properties(&doc, "MessageDto").contains(&"reactions".to_owned()));
    assert!(!required_properties(&doc, "ReactionDto").contains(&"me".to_owned()));
    assert!(!required_properties(&doc, "ErrorDetail").contains(&"fields".to_owned()));
    assert_eq!(required_properties(&doc, "RegisterRequest"), ["username", "password"]);
}

/// The values a property of a component schema may take, when the document lists them.
fn property_values(doc: &serde_json::Value, schema: &str, property: &str) -> Vec<String> {
    let schemas = &doc["components"]["schemas"];
    let mut prop = &schemas[schema]["properties"][property];
    if prop.is_null() {
        // MeDto: its own properties are in the second part of its allOf.
        prop = &schemas[schema]["allOf"][1]["properties"][property];
    }
    // Nullable references come as oneOf [null, $ref].
    let reference = prop["$ref"]
        .as_str()
        .or_else(|| prop["oneOf"].as_array().and_then(|v| v.iter().find_map(|p| p["$ref"].as_str())));
    let values = match reference {
        Some(r) => &schemas[r.trim_start_matches("#/components/schemas/")]["enum"],
        None => &prop["enum"],
    };
    values.as_array().map(|v| v.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

#[tokio::test]
async fn the_openapi_document_lists_the_closed_sets_of_values_the_database_allows() {
    let app = spawn_app().await;
    let doc = app.get("/api/openapi.json", None).await.body;
    // The same sets as the CHECK constraints of the migrations: clients switch on them.
    let cases: &[(&str, &str, &[&str])] = &[
        ("MeDto", "role", &["user", "admin"]),
        ("AdminUserDto", "role", &["user", "admin"]),
        ("GroupDto", "my_role", &["owner", "admin", "member"]),
        ("GroupMemberDto", "role", &["owner", "admin", "member"]),
        ("ConversationDto", "kind", &["direct", "channel"]),
        ("MessageDto", "kind", &["text", "image", "file", "voice", "system"]),
        ("ReportDto", "resolution", &["dismissed", "message_deleted", "user_suspended"]),
        ("AbuseFlagDto", "kind", &["repeated_messages", "new_chats"]),
    ];
    for (schema, property, values) in cases {
        assert_eq!(property_values(&doc, schema, property), *values, "{schema}.{property}");
    }
}

#[tokio::test]
async fn the_openapi_document_names_every_operation_once() {
    let app = spawn_app().await;
    let doc = app.get("/api/openapi.json", None).await.body;
    // OpenAPI requires unique operationIds; generated clients key their operations by them.
    let mut ids: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            ids.push((id.to_owned(), format!("{method} {path}")));
        }
    }
    ids.sort();
    let twice: Vec<_> = ids.windows(2).filter(|w| w[0].0 == w[1].0).map(|w| (&w[0], &w[1])).collect();
    assert!(twice.is_empty(), "operationIds used twice: {twice:?}");
    // Ids nobody else uses stay the handler's name.
    assert!(ids.iter().any(|(id, op)| id == "register" && op == "post /api/auth/register"));
}
