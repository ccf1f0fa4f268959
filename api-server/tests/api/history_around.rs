//! `GET /conversations/{id}/messages?around=<seq>`: a search result opened in its chat.

use crate::helpers::{spawn_app, TestApp};

#[tokio::test]
async fn around_a_message_gives_its_neighbours_and_says_what_lies_either_side() {
    let app = spawn_app().await;
    let (anna, ben, eve) = (app.register("anna").await, app.register("ben").await, app.register("eve").await);
    let dm = app.direct(&anna, &ben).await;
    for i in 1..=30 {
        app.send(&anna, dm, &format!("message {i}")).await;
    }
    let around = |query: String| {
        let (app, ben) = (&app, &ben);
        async move { app.get(&format!("/api/conversations/{dm}/messages?{query}"), Some(&ben.token)).await }
    };

    let middle = around("around=15&limit=6".into()).await;
    assert_eq!(middle.status, 200, "{}", middle.body);
    assert_eq!(TestApp::seqs(&middle.body), [12, 13, 14, 15, 16, 17], "half before, the message, the rest after");
    assert_eq!((middle.body["has_more"].as_bool(), middle.body["has_more_after"].as_bool()), (Some(true), Some(true)));

    let start = around("around=2&limit=6".into()).await;
    assert_eq!(TestApp::seqs(&start.body), [1, 2, 3, 4], "the halves are not refilled");
    assert_eq!((start.body["has_more"].as_bool(), start.body["has_more_after"].as_bool()), (Some(false), Some(true)));

    let end = around("around=29".into()).await;
    assert_eq!(TestApp::seqs(&end.body), (4..=30).collect::<Vec<_>>(), "default page of 50: 25 before");
    assert_eq!((end.body["has_more"].as_bool(), end.body["has_more_after"].as_bool()), (Some(true), Some(false)));
    // Other windows do not carry has_more_after.
    assert!(around("limit=5".into()).await.body.get("has_more_after").is_none());

    // What I cleared stays gone; a cleared target still answers with what follows it.
    app.exec(&format!(
        "UPDATE conversation_members SET cleared_seq = 10 WHERE conversation_id = {dm} AND user_id = {}",
        ben.id
    ));
    let cleared = around("around=9&limit=4".into()).await;
    assert_eq!(TestApp::seqs(&cleared.body), [11, 12]);
    assert_eq!(cleared.body["has_more"], false);

    for (query, field) in [
        ("around=0", "around"),
        ("around=5&after_seq=1", "around"),
        ("around=5&before_seq=9", "around"),
        ("around=5&changed_since=0", "around"),
        ("around=5&limit=0", "limit"),
    ] {
        let r = around(query.into()).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "validation_failed"), "{query}: {}", r.body);
        assert_eq!(r.body["error"]["fields"][0]["field"], field, "{query}: {}", r.body);
    }
    let stranger = app.get(&format!("/api/conversations/{dm}/messages?around=5"), Some(&eve.token)).await;
    assert_eq!((stranger.status.as_u16(), stranger.code()), (404, "conversation_not_found"));
}
