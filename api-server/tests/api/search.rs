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
        "q=alpha&has=stickers",
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
    for q in ["-zz", "!!!", "-alpha%20-beta", "-%22alpha%20beta%22", "%E2%9C%93"] {
        let r = search(&app, &ben, &format!("q={q}&sender_id=-1")).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "validation_failed"), "{q}: {}", r.body);
        assert_eq!(r.body["error"]["fields"][0]["field"], "q", "{q}: {}", r.body);
    }
    // `or` before an excluded word joins nothing: `alpha or -beta` is `alpha -beta`.
    for q in ["alpha%20-beta", "alpha%20or%20gamma", "%22alpha%20beta%22", "alpha%20or%20-beta"] {
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

/// Word forms match through English stems; words as written (other languages, stop words)
/// still match; the last word matches as a prefix while typing.
#[tokio::test]
async fn word_forms_and_prefixes_match_without_losing_words_as_written() {
    let app = spawn_app().await;
    let (anna, ben) = (app.register("anna").await, app.register("ben").await);
    let dm = app.direct(&anna, &ben).await;
    app.send(&anna, dm, "the fox jumps over the fence").await;
    app.send(&anna, dm, "Team meeting at noon").await;
    app.send(&anna, dm, "Die Häuser sind alt").await;
    app.send(&anna, dm, "to be or not to be").await;

    let found = |q: &'static str| {
        let (app, ben) = (&app, &ben);
        async move {
            let r = search(app, ben, &format!("q={}", urlencoding(q))).await;
            assert_eq!(r.status, 200, "{q}: {}", r.body);
            bodies(&r.body)
        }
    };
    assert_eq!(found("meetings").await, ["Team meeting at noon"]);
    assert_eq!(found("jumping foxes").await, ["the fox jumps over the fence"]);
    assert_eq!(found("Häuser").await, ["Die Häuser sind alt"], "a word in another language");
    assert_eq!(found("\"to be\"").await, ["to be or not to be"], "English stop words as written");
    assert_eq!(found("meet").await, ["Team meeting at noon"], "a prefix of the last word");
    assert_eq!(found("jum").await, ["the fox jumps over the fence"], "a prefix while typing");
    assert!(found("jum ").await.is_empty(), "a finished word is not a prefix");
    assert!(found("fence -jumping").await.is_empty(), "an excluded word excludes its forms");
    let r = search(&app, &ben, "q=meetings").await;
    let snippet = r.body["items"][0]["snippet"].as_str().expect("snippet");
    assert!(snippet.contains("\u{2}meeting\u{3}"), "the stem marks the form written: {snippet:?}");
    let r = search(&app, &ben, "q=nooo").await;
    assert!(bodies(&r.body).is_empty());
}

/// An attachment's file name is found (whole, or any word of it), with the name in the snippet.
#[tokio::test]
async fn attachment_file_names_are_searchable() {
    let app = spawn_app().await;
    let (anna, ben) = (app.register("anna").await, app.register("ben").await);
    let dm = app.direct(&anna, &ben).await;
    let up = app.upload(&anna, "file", "Q3-budget_final.pdf", b"%PDF-1.4 not really").await;
    assert_eq!(up.status, 201, "{}", up.body);
    let sent = app.send_media(&anna, dm, "file", up.body["id"].as_i64().expect("id")).await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    app.send(&anna, dm, "no file here").await;
    for q in ["budget", "Q3-budget_final.pdf", "final%20pdf"] {
        let r = search(&app, &ben, &format!("q={q}")).await;
        assert_eq!(r.status, 200, "{q}: {}", r.body);
        assert_eq!(r.body["items"].as_array().map(Vec::len), Some(1), "{q}: {}", r.body);
        assert_eq!(r.body["items"][0]["message"]["kind"], "file");
        assert!(r.body["items"][0]["snippet"].as_str().expect("snippet").contains("Q3"), "{}", r.body);
    }
    // Deleted: the message and its name are gone from search.
    let id = sent.body["id"].as_i64().expect("id");
    assert_eq!(app.delete(&format!("/api/messages/{id}"), Some(&anna.token)).await.status, 204);
    assert!(bodies(&search(&app, &ben, "q=budget").await.body).is_empty());
}

/// `has=media|files|links`, sender, chat and dates combine; a chat I am not in is never
/// searched, even when named.
#[tokio::test]
async fn filters_combine_and_never_reach_a_chat_i_am_not_in() {
    let app = spawn_app().await;
    let (anna, ben, eve) = (app.register("anna").await, app.register("ben").await, app.register("eve").await);
    let dm = app.direct(&anna, &ben).await;
    let theirs = app.direct(&ben, &eve).await;
    let photo = app.upload(&anna, "image", "kiwi.png", &crate::helpers::png(4, 4)).await;
    let photo = photo.body["id"].as_i64().expect("id");
    let doc = app.upload(&ben, "file", "kiwi-notes.txt", b"notes").await.body["id"].as_i64().expect("id");
    let caption = |kind: &str, attachment: i64| serde_json::json!({"client_id": uuid::Uuid::new_v4(), "kind": kind, "body": "kiwi", "attachment_id": attachment});
    let path = format!("/api/conversations/{dm}/messages");
    assert_eq!(app.post(&path, Some(&anna.token), caption("image", photo)).await.status, 201);
    assert_eq!(app.post(&path, Some(&ben.token), caption("file", doc)).await.status, 201);
    app.send(&ben, dm, "kiwi recipes at https://example.com/kiwi").await;
    app.send(&anna, dm, "kiwi at www.example.org").await;
    app.send(&ben, dm, "plain kiwi").await;
    app.send(&eve, theirs, "kiwi secret of eve").await;

    let count = |q: String| {
        let (app, anna) = (&app, &anna);
        async move {
            let r = search(app, anna, &q).await;
            assert_eq!(r.status, 200, "{q}: {}", r.body);
            bodies(&r.body).len()
        }
    };
    assert_eq!(count("q=kiwi".into()).await, 5, "never eve's message");
    assert_eq!(count("q=kiwi&has=media".into()).await, 1);
    assert_eq!(count("q=kiwi&has=files".into()).await, 1);
    assert_eq!(count("q=kiwi&has=links".into()).await, 2);
    assert_eq!(count(format!("q=kiwi&has=links&sender_id={}", ben.id)).await, 1);
    assert_eq!(count(format!("q=kiwi&sender_id={}", eve.id)).await, 0);
    assert_eq!(count(format!("q=kiwi&conversation_id={theirs}")).await, 0, "named, still not mine");
    assert_eq!(
        count(format!("q=kiwi&conversation_id={dm}&after=2000-01-01T00:00:00Z&before=2999-01-01T00:00:00Z")).await,
        5
    );
    assert_eq!(count("q=kiwi&after=2999-01-01T00:00:00Z".into()).await, 0);
    // Eve, the other way round, sees only hers.
    let r = search(&app, &eve, "q=kiwi").await;
    assert_eq!(bodies(&r.body), ["kiwi secret of eve"]);
}

/// Operators, quotes, backslashes and control characters never reach `to_tsquery` as syntax:
/// results or a clean 422, never a 500.
#[tokio::test]
async fn query_syntax_in_user_text_gives_results_or_a_clean_refusal() {
    let app = spawn_app().await;
    let (anna, ben) = (app.register("anna").await, app.register("ben").await);
    let dm = app.direct(&anna, &ben).await;
    app.send(&anna, dm, "it's a back\\slash & pipe | test").await;
    for q in [
        "it's",
        "'",
        "''",
        "\\",
        "back\\slash",
        "a & b",
        "pipe | test",
        "!test",
        "(test",
        "test)",
        "test:*",
        "test:A",
        "a <-> b",
        "<2>",
        "\"",
        "\"\"",
        "-\"",
        "- -",
        "or",
        "or or",
        "test or",
        "x' or 1=1 --",
        "\u{1}\u{7f}test",
        "\u{2}test\u{3}",
        "%",
        "&&&",
        "te\\'st",
        "t:*e",
        "❤️",
        "日本語",
    ] {
        let r = search(&app, &ben, &format!("q={}", urlencoding(q))).await;
        assert!(
            r.status == 200 || (r.status == 422 && r.code() == "validation_failed"),
            "{q:?}: {} {}",
            r.status,
            r.body
        );
    }
    for q in ["it's", "back\\slash", "pipe | test", "test:*", "(test"] {
        let r = search(&app, &ben, &format!("q={}", urlencoding(q))).await;
        assert_eq!(bodies(&r.body).len(), 1, "{q:?}: {}", r.body);
    }
    // A NUL cannot even be bound as text: refused with the other control characters.
    let r = search(&app, &ben, "q=pipe%00test").await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "validation_failed"), "{}", r.body);
    assert_eq!(app.count("messages"), 1);
}

fn urlencoding(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
