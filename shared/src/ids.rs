//! Row ids as types: a `UserId` cannot be passed where a `ConversationId` is expected. Each is
//! an `i64` to diesel (`BigInt`) and serde (a plain number, also as a path segment or query
//! parameter), so neither the database nor the wire format changes. Every id is one of these end
//! to end: diesel structs, model and domain functions, DTOs, events, routing keys, route paths and
//! the ws hub (`shared/tests/bare_i64_ids.rs` fails on a function taking two bare `i64`).
//!
//! *OpenAPI*: the ids implement no `ToSchema` on purpose. A DTO field says
//! `#[schema(value_type = i64)]` (`Option<i64>`, `Vec<i64>`) and is documented as the integer it
//! always was; a field that forgets it does not compile, rather than turning into a `$ref` to a
//! schema no client knows.

use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{Output, ToSql};
use diesel::sql_types::BigInt;

macro_rules! ids {
    ($($(#[$meta:meta])* $name:ident,)*) => {$(
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
            AsExpression, FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = BigInt)]
        pub struct $name(pub i64);

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                $name(id)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }

        impl ToSql<BigInt, Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> diesel::serialize::Result {
                <i64 as ToSql<BigInt, Pg>>::to_sql(&self.0, out)
            }
        }

        impl FromSql<BigInt, Pg> for $name {
            fn from_sql(bytes: PgValue<'_>) -> diesel::deserialize::Result<Self> {
                <i64 as FromSql<BigInt, Pg>>::from_sql(bytes).map($name)
            }
        }
    )*};
}

ids! {
    UserId,
    ConversationId,
    MessageId,
    GroupId,
    AttachmentId,
    ReportId,
    InviteId,
    /// A refresh token's row (rotation links a token to its successor).
    RefreshTokenId,
    AbuseFlagId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_numbers_on_the_wire() {
        assert_eq!(serde_json::to_value(UserId(7)).expect("serializes"), serde_json::json!(7));
        assert_eq!(serde_json::from_str::<ConversationId>("12").expect("parses"), ConversationId(12));
        assert_eq!("42".parse::<MessageId>().ok(), Some(MessageId(42)));
        assert_eq!(i64::from(GroupId(3)), 3);
    }
}
