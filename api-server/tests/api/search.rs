//! Full-text search over the messages a user can see.

use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with, TestApp, User};

async fn search(app: &TestApp, user: &User, query: &str) -> crate::helpers::Reply {
    app.get(&format!("/api/search?{query}"), Some(&user.token)).await
}

fn bodies(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|h| h["message"]["body"].as_str().expect("body").to_owned())
        .collect()
}

#[tokio::test]
async fn search_finds_only_what_i_can_see_with_highlights_and_filters() {
    let app = spawn_app().await;
    let (anna, ben, eve) = (app.register("anna").await, app.register("ben").await, app.register("eve").await);
    let dm = app.direct(&anna, &ben).await;
    let (_, channel) = app.group(&anna, &[&eve]).await;
    app.send(&anna, dm, "The quarterly Budget report is ready").await;
    app.send(&ben, dm, "budget meeting tomorrow?").await;
    app.send(&eve, channel, "budget numbers for the team").await;
    let gone = app.send(&ben, dm, "budget draft, ignore").await.body["id"].as_i64().expect("id");
    assert_eq!(app.delete(&format!("/api/messages/{gone}"), Some(&ben.token)).await.status, 204);

    let found = search(&app, &ben, "q=budget").await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(
        bodies(&found.body),
        ["budget meeting tomorrow?", "The quarterly Budget report is ready"],
        "newest first"
    );
    let snippet = found.body["items"][1]["snippet"].as_str().expect("snippet");
    assert!(snippet.contains("\u{2}Budget\u{3}"), "{snippet:?}");
    assert_eq!(bodies(&search(&app, &anna, "q=budget").await.body).len(), 3, "anna is in both");

    assert_eq!(
        bodies(&search(&app, &anna, &format!("q=budget&sender_id={}", eve.id)).await.body),
        ["budget numbers for the team"]
    );
    assert_eq!(bodies(&search(&app, &anna, &format!("q=budget&conversation_id={dm}")).await.body).len(), 2);
    assert_eq!(bodies(&search(&app, &anna, "q=budget&has=media").await.body).len(), 0);
    assert_eq!(bodies(&search(&app, &anna, "q=budget&before=2000-01-01T00:00:00Z").await.body).len(), 0);
    assert_eq!(bodies(&search(&app, &anna, "q=budget&after=2000-01-01T00:00:00Z").await.body).len(), 3);
    assert_eq!(bodies(&search(&app, &anna, "q=%22quarterly%20budget%22").await.body).len(), 1, "a phrase");
    assert_eq!(bodies(&search(&app, &anna, "q=budget%20-team").await.body).len(), 2, "an excluded word");

    // What I cleared is gone from my results only.
    assert!(app
        .post(&format!("/api/conversations/{dm}/clear"), Some(&ben.token), serde_json::json!({}))
        .await
        .status
        .is_success());
    assert_eq!(bodies(&search(&app, &ben, "q=budget").await.body).len(), 0);
    assert_eq!(bodies(&search(&app, &anna, "q=budget").await.body).len(), 3);
}

#[tokio::test]
async fn search_pages_with_a_cursor_and_refuses_bad_input_clearly() {
    let app = spawn_app().await;
    let (anna, ben) = (app.register("anna").await, app.register("ben").await);
    let dm = app.direct(&anna, &ben).await;
    for i in 0..5 {
        app.send(&anna, dm, &format!("alpha number {i}")).await;
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = search(&app, &ben, &format!("q=alpha&limit=2{cursor}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        seen.extend(bodies(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, (0..5).rev().map(|i| format!("alpha number {i}")).collect::<Vec<_>>());

    for bad in [
        "q=",
        "q=alpha&has=links",
        "q=alpha&cursor=abc",
        "q=alpha&limit=0",
        "q=alpha&after=2030-01-01T00:00:00Z&before=2020-01-01T00:00:00Z",
    ] {
        let r = search(&app, &ben, bad).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "validation_failed"), "{bad}: {}", r.body);
    }
    assert_eq!(search(&app, &ben, "q=alpha&after=yesterday").await.status, 400);
    // Any text is a valid query: operators and quotes never cause a server error.
    for odd in ["%22unterminated", "a%20%26%20b%20%7C%20(", "%27%3B%20drop%20table%20messages%3B--"] {
        let r = search(&app, &ben, &format!("q={odd}")).await;
        assert_eq!(r.status, 200, "{odd}: {}", r.body);
    }
    assert_eq!(app.count("messages"), 5);
}

/// `-zz` (only an excluded word) matched every message without `zz`: with a filter that keeps
/// nothing (`sender_id=-1`) both plans read every message in the database. A query needs a word
/// to find (the GIN index's part of it); `shared/tests/search.rs` shows the rows each reads.
#[tokio::test]
async fn a_query_without_a_word_to_find_is_refused() {
    let app = spawn_app().await;
    let (anna, ben) = (app.register("anna").await, app.register("ben").await);
    let dm = app.direct(&anna, &ben).await;
    app.send(&anna, dm, "alpha beta").await;
    for q in ["-zz", "!!!", "-alpha%20-beta", "alpha%20or%20-beta", "-%22alpha%20beta%22", "%E2%9C%93"] {
        let r = search(&app, &ben, &format!("q={q}&sender_id=-1")).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "validation_failed"), "{q}: {}", r.body);
        assert_eq!(r.body["error"]["fields"][0]["field"], "q", "{q}: {}", r.body);
    }
    for q in ["alpha%20-beta", "alpha%20or%20gamma", "%22alpha%20beta%22"] {
        let r = search(&app, &ben, &format!("q={q}")).await;
        assert_eq!(r.status, 200, "{q}: {}", r.body);
    }
}

#[tokio::test]
async fn searches_are_rate_limited_per_user() {
    let app = spawn_app_with(&[("SEARCH_RATE_LIMIT_PER_MIN", "3")]).await;
    let (anna, ben) = (app.register("anna").await, app.register("ben").await);
    for _ in 0..3 {
        assert_eq!(search(&app, &anna, "q=alpha").await.status, 200);
    }
    let limited = search(&app, &anna, "q=alpha").await;
    assert_eq!((limited.status.as_u16(), limited.code()), (429, "rate_limited"), "{}", limited.body);
    let retry: u64 = limited.headers["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(search(&app, &ben, "q=alpha").await.status, 200, "per user");
}
