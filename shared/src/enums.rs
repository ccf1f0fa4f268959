//! The closed sets of values of text columns (each has a CHECK constraint): Rust enums that
//! diesel reads and writes as their text, serde and the OpenAPI document as the same snake_case
//! strings. A value outside the set fails to load (the constraint makes that a bug, not data).

use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{Output, ToSql};
use diesel::sql_types::Text;

/// An enum stored as text: `as_str`/`parse`, serde, utoipa and diesel (`Text`) in one place.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            AsExpression, FromSqlRow,
        )]
        #[diesel(sql_type = Text)]
        #[serde(rename_all = "snake_case")]
        #[schema(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ToSql<Text, Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> diesel::serialize::Result {
                <str as ToSql<Text, Pg>>::to_sql(self.as_str(), out)
            }
        }

        impl FromSql<Text, Pg> for $name {
            fn from_sql(bytes: PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
                Self::parse(&text).ok_or_else(|| format!("{text:?} is not a {}", stringify!($name)).into())
            }
        }
    };
}

text_enum! {
    /// What an account may do: `admin`s moderate (reports, suspensions, `/admin` routes).
    AccountRole {
        User => "user",
        Admin => "admin",
    }
}

text_enum! {
    /// A member's role in a group: owner > admin > member.
    GroupRole {
        Owner => "owner",
        Admin => "admin",
        Member => "member",
    }
}

impl GroupRole {
    /// member 0 < admin 1 < owner 2.
    fn rank(self) -> u8 {
        match self {
            GroupRole::Member => 0,
            GroupRole::Admin => 1,
            GroupRole::Owner => 2,
        }
    }
}

impl PartialOrd for GroupRole {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for GroupRole {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

text_enum! {
    /// A direct chat (two members) or a channel of a group.
    ConversationKind {
        Direct => "direct",
        Channel => "channel",
    }
}

text_enum! {
    /// `system` messages are written by the server (member added, channel renamed, ...).
    MessageKind {
        Text => "text",
        Image => "image",
        File => "file",
        Voice => "voice",
        System => "system",
    }
}

text_enum! {
    /// How an administrator closed a report.
    ReportResolution {
        Dismissed => "dismissed",
        MessageDeleted => "message_deleted",
        UserSuspended => "user_suspended",
    }
}

text_enum! {
    /// Why flood control paused an account.
    AbuseFlagKind {
        RepeatedMessages => "repeated_messages",
        NewChats => "new_chats",
    }
}

text_enum! {
    /// What a mailed single-use token is for.
    EmailPurpose {
        Verify => "verify",
        Reset => "reset",
    }
}

text_enum! {
    /// Who a privacy setting lets in. `contacts`: the people the user added to their contacts.
    Audience {
        Everyone => "everyone",
        Contacts => "contacts",
        Nobody => "nobody",
    }
}

text_enum! {
    /// The web client's colour scheme, stored with the account: `system` follows the browser.
    #[derive(Default)]
    Theme {
        #[default]
        System => "system",
        Light => "light",
        Dark => "dark",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored text, the JSON string and the OpenAPI value are one and the same.
    fn same_text_everywhere<T: Copy + std::fmt::Debug + PartialEq + serde::Serialize>(
        all: &[T],
        as_str: fn(T) -> &'static str,
        parse: fn(&str) -> Option<T>,
    ) {
        for &value in all {
            assert_eq!(parse(as_str(value)), Some(value));
            assert_eq!(serde_json::to_value(value).expect("serializes"), serde_json::json!(as_str(value)));
        }
    }

    #[test]
    fn texts_round_trip_and_roles_are_ordered() {
        same_text_everywhere(AccountRole::ALL, AccountRole::as_str, AccountRole::parse);
        same_text_everywhere(GroupRole::ALL, GroupRole::as_str, GroupRole::parse);
        same_text_everywhere(ConversationKind::ALL, ConversationKind::as_str, ConversationKind::parse);
        same_text_everywhere(MessageKind::ALL, MessageKind::as_str, MessageKind::parse);
        same_text_everywhere(ReportResolution::ALL, ReportResolution::as_str, ReportResolution::parse);
        same_text_everywhere(AbuseFlagKind::ALL, AbuseFlagKind::as_str, AbuseFlagKind::parse);
        same_text_everywhere(EmailPurpose::ALL, EmailPurpose::as_str, EmailPurpose::parse);
        same_text_everywhere(Audience::ALL, Audience::as_str, Audience::parse);
        assert_eq!(ReportResolution::MessageDeleted.as_str(), "message_deleted");
        assert_eq!(MessageKind::parse("gif"), None);
        assert!(GroupRole::Owner > GroupRole::Admin && GroupRole::Admin > GroupRole::Member);
    }
}
