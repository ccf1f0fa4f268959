//! [`Prepared`]: a statement that PostgreSQL parses and plans once per connection.
//!
//! diesel keeps a prepared statement per connection for most SELECTs, but never for an UPDATE
//! (a changeset's optional fields may change its SQL), an INSERT with an optional column
//! (`DEFAULT`), or a `sql_query`: it sends those as unnamed statements, which PostgreSQL parses
//! and plans on every call. On a send's four writes that was more database CPU than running
//! them (statement log of direct sends: parse 0.05-0.11 ms + bind 0.04-0.10 ms against an
//! execute of ~0.05 ms, per statement; BENCHMARKS.md, "Change 5").
//!
//! Wrapping such a statement keeps it in diesel's per-connection cache, keyed by its SQL text
//! and bind types, so each distinct text is prepared once (a statement whose text varies with
//! its optional fields gets one entry per variant). Wrap only statements with a small, fixed
//! set of texts: an IN list or a multi-row insert would make one entry per length.
//!
//! Only for statements that return rows (`get_result`, `load`): diesel's `execute` takes the
//! statement by reference, and its `&T` asks the inner statement again, so there the wrapper
//! changes nothing (`shared/tests/prepared.rs` checks every use).

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

/// See the module doc.
#[derive(Debug, Clone, Copy)]
pub struct Prepared<Q>(pub Q);

/// `.prepared()` on any diesel statement.
pub trait Prepare: Sized {
    fn prepared(self) -> Prepared<Self> {
        Prepared(self)
    }
}

impl<Q: QueryFragment<Pg>> Prepare for Q {}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    /// Cached: the key is the SQL text (no static query id below), so every text that can be
    /// built is its own statement.
    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, Conn> RunQueryDsl<Conn> for Prepared<Q> {}
