//! Ids are types (`shared::ids`): no function of the servers takes two bare `i64`, where a
//! swapped pair of ids would compile. The few left take two plain numbers, named here.

/// `path:fn` of the functions allowed two bare `i64`, each a pair of numbers that are no ids.
const ALLOWED: &[&str] = &[
    // ttl_secs and iat: a duration and a timestamp, in seconds.
    "shared/src/auth.rs:issue_at",
    // now_ms and ttl_ms: a timestamp and a duration, in milliseconds.
    "shared/src/presence.rs:update",
    // limit and offset of a sidebar page.
    "shared/src/models/sidebar.rs:load",
    // delivered and read: the two watermarks (seqs) of a member.
    "shared/src/models/conversation.rs:advance",
    // cleared_seq and limit.
    "shared/src/models/message.rs:page",
    // cleared_seq, since (a change version) and limit.
    "shared/src/models/change_version.rs:changed_since",
    // The scanner's own test input.
    "shared/src/testing/bare_ids.rs:two",
    "shared/src/testing/bare_ids.rs:spaced",
];

#[test]
fn no_function_takes_two_bare_i64() {
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    shared::testing::bare_ids::assert_allowed(&base, &["shared/src", "api-server/src", "ws-server/src"], ALLOWED);
}
