//! Users.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::api::{AdminUserDto, MeDto, UserDto};
use crate::db::schema::users;
use crate::enums::{AccountRole, Audience, Theme};
use crate::ids::{AttachmentId, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub bio: String,
    pub avatar_id: Option<AttachmentId>,
    pub role: AccountRole,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub suspended_at: Option<DateTime<Utc>>,
    pub suspension_reason: Option<String>,
    pub dnd_until: Option<DateTime<Utc>>,
    pub token_version: i32,
    pub send_limited_until: Option<DateTime<Utc>>,
    /// Two-factor authentication is on (the secret itself stays in the database).
    #[diesel(select_expression = users::totp_secret.is_not_null())]
    #[diesel(select_expression_type = diesel::dsl::IsNotNull<users::totp_secret>)]
    pub two_factor: bool,
    /// The account's address, if it gave one; `email_verified_at` is set once a link proved it.
    pub email: Option<String>,
    pub email_verified_at: Option<DateTime<Utc>>,
    /// Privacy: audiences as stored ('everyone', 'contacts', 'nobody'); see `models::privacy`.
    pub last_seen_visibility: Audience,
    pub read_receipts: bool,
    pub direct_messages: Audience,
    pub group_adds: Audience,
    pub status_text: Option<String>,
    pub status_emoji: Option<String>,
    pub theme: Theme,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub email: Option<&'a str>,
}

/// A partial profile update (`None` leaves a column unchanged).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct ProfileChanges {
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_id: Option<Option<AttachmentId>>,
    pub dnd_until: Option<Option<DateTime<Utc>>>,
    pub status_text: Option<Option<String>>,
    pub status_emoji: Option<Option<String>>,
    pub theme: Option<Theme>,
}

impl User {
    pub fn find(conn: &mut PgConnection, id: UserId) -> QueryResult<User> {
        users::table.find(id).select(User::as_select()).first(conn)
    }

    /// The user, its row locked until the transaction ends (changes to its ways of signing in).
    pub fn find_for_update(conn: &mut PgConnection, id: crate::ids::UserId) -> QueryResult<User> {
        users::table.find(id.0).select(User::as_select()).for_update().first(conn)
    }

    pub fn find_by_username(conn: &mut PgConnection, username: &str) -> QueryResult<Option<User>> {
        users::table.filter(users::username.eq(username)).select(User::as_select()).first(conn).optional()
    }

    pub fn insert(conn: &mut PgConnection, new: &NewUser) -> QueryResult<User> {
        diesel::insert_into(users::table).values(new).returning(User::as_returning()).get_result(conn)
    }

    /// Whether the database has any account at all.
    pub fn any(conn: &mut PgConnection) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(users::table.select(users::id))).get_result(conn)
    }

    pub fn exists(conn: &mut PgConnection, id: UserId) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(users::table.find(id))).get_result(conn)
    }

    /// Prefix search on username or display name (case-insensitive), ordered by username;
    /// `after` is the last username of the previous page.
    pub fn search(conn: &mut PgConnection, prefix: &str, after: Option<&str>, limit: i64) -> QueryResult<Vec<User>> {
        let pattern = format!("{}%", escape_like(&prefix.to_lowercase()));
        let mut query = users::table
            .filter(users::suspended_at.is_null())
            .filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("(lower(username) LIKE ")
                    .bind::<diesel::sql_types::Text, _>(pattern.clone())
                    .sql(" OR lower(display_name) LIKE ")
                    .bind::<diesel::sql_types::Text, _>(pattern)
                    .sql(")"),
            )
            .order(users::username)
            .limit(limit)
            .select(User::as_select())
            .into_boxed();
        if let Some(after) = after {
            query = query.filter(users::username.gt(after.to_owned()));
        }
        query.load(conn)
    }

    pub fn update_profile(conn: &mut PgConnection, id: UserId, changes: &ProfileChanges) -> QueryResult<User> {
        diesel::update(users::table.find(id)).set(changes).returning(User::as_returning()).get_result(conn)
    }

    /// Suspends (with a reason) or lifts a suspension (`None`). Ending the sessions is the
    /// caller's part.
    pub fn set_suspended(conn: &mut PgConnection, id: UserId, reason: Option<&str>) -> QueryResult<User> {
        let target = users::table.find(id);
        match reason {
            Some(r) => diesel::update(target)
                .set((users::suspended_at.eq(diesel::dsl::now), users::suspension_reason.eq(r)))
                .returning(User::as_returning())
                .get_result(conn),
            None => diesel::update(target)
                .set((users::suspended_at.eq(None::<DateTime<Utc>>), users::suspension_reason.eq(None::<String>)))
                .returning(User::as_returning())
                .get_result(conn),
        }
    }

    /// Until when the user may not send (flood control), if that is still ahead.
    pub fn send_limit(conn: &mut PgConnection, id: UserId) -> QueryResult<Option<DateTime<Utc>>> {
        users::table
            .find(id)
            .filter(users::send_limited_until.gt(Utc::now()))
            .select(users::send_limited_until)
            .first(conn)
            .optional()
            .map(Option::flatten)
    }

    /// Puts a send limit until `until`; `false` when one was already running.
    pub fn limit_sends(conn: &mut PgConnection, id: UserId, until: DateTime<Utc>) -> QueryResult<bool> {
        let n = diesel::update(
            users::table
                .find(id)
                .filter(users::send_limited_until.is_null().or(users::send_limited_until.le(Utc::now()))),
        )
        .set(users::send_limited_until.eq(until))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Refuses every access token issued so far (their sessions refresh if still valid).
    /// Returns the new version.
    /// Locks the account's row until the transaction ends: every change to the user's sessions
    /// (refresh, logout, sign-out, reset, suspension) takes it first, so they happen one at a time
    /// (a refresh cannot slip a new token past a revocation under READ COMMITTED).
    pub fn lock(conn: &mut PgConnection, id: UserId) -> QueryResult<()> {
        users::table.find(id).select(users::id).for_no_key_update().first::<UserId>(conn).map(|_| ())
    }

    pub fn bump_token_version(conn: &mut PgConnection, id: UserId) -> QueryResult<i32> {
        diesel::update(users::table.find(id))
            .set(users::token_version.eq(users::token_version + 1))
            .returning(users::token_version)
            .get_result(conn)
    }

    /// The user whose address is `email`, whatever its case.
    pub fn find_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = lower(")
                    .bind::<diesel::sql_types::Text, _>(email.to_owned())
                    .sql(")"),
            )
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// A new address, not verified yet. A taken address is a unique violation.
    pub fn set_email(conn: &mut PgConnection, id: UserId, email: &str) -> QueryResult<User> {
        diesel::update(users::table.find(id))
            .set((users::email.eq(email), users::email_verified_at.eq(None::<DateTime<Utc>>)))
            .returning(User::as_returning())
            .get_result(conn)
    }

    /// Marks the address verified if it is still `email` (a link for an address the account
    /// no longer has proves nothing). `None` when it is not.
    pub fn verify_email(conn: &mut PgConnection, id: UserId, email: &str) -> QueryResult<Option<User>> {
        diesel::update(users::table.find(id).filter(users::email.eq(email)))
            .set(users::email_verified_at.eq(diesel::dsl::now))
            .returning(User::as_returning())
            .get_result(conn)
            .optional()
    }

    /// A new password hash. Ending the sessions is the caller's part.
    pub fn set_password(conn: &mut PgConnection, id: UserId, password_hash: &str) -> QueryResult<usize> {
        diesel::update(users::table.find(id)).set(users::password_hash.eq(password_hash)).execute(conn)
    }

    /// The version an access token of this user must carry (None: no such user).
    pub fn token_version(conn: &mut PgConnection, id: UserId) -> QueryResult<Option<i32>> {
        users::table.find(id).select(users::token_version).first(conn).optional()
    }

    /// Users for the admin list: by id, `after` the last id of the previous page; optionally
    /// only those whose username starts with `prefix`, or only suspended ones.
    pub fn admin_page(
        conn: &mut PgConnection,
        prefix: Option<&str>,
        suspended_only: bool,
        after: Option<UserId>,
        limit: i64,
    ) -> QueryResult<Vec<User>> {
        let mut query = users::table.order(users::id).limit(limit).select(User::as_select()).into_boxed();
        if let Some(p) = prefix {
            query = query.filter(users::username.like(format!("{}%", escape_like(&p.to_lowercase()))));
        }
        if suspended_only {
            query = query.filter(users::suspended_at.is_not_null());
        }
        if let Some(after) = after {
            query = query.filter(users::id.gt(after));
        }
        query.load(conn)
    }

    pub fn by_ids(conn: &mut PgConnection, ids: &[UserId]) -> QueryResult<Vec<User>> {
        users::table.filter(users::id.eq_any(ids)).select(User::as_select()).load(conn)
    }

    pub fn set_role(conn: &mut PgConnection, id: UserId, role: AccountRole) -> QueryResult<usize> {
        diesel::update(users::table.find(id)).set(users::role.eq(role)).execute(conn)
    }

    pub fn set_last_seen(conn: &mut PgConnection, id: UserId, at: DateTime<Utc>) -> QueryResult<usize> {
        diesel::update(users::table.find(id)).set(users::last_seen_at.eq(at)).execute(conn)
    }
}

/// `%`, `_` and `\` match literally.
pub fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        UserDto {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            bio: u.bio.clone(),
            avatar_id: u.avatar_id,
            // Only what anyone may see; `privacy::user_dtos` reveals more to whom it may.
            last_seen_at: u.last_seen_at.filter(|_| u.last_seen_visibility == Audience::Everyone),
            created_at: u.created_at,
            status_text: u.status_text.clone(),
            status_emoji: u.status_emoji.clone(),
        }
    }
}

impl From<&User> for AdminUserDto {
    fn from(u: &User) -> Self {
        AdminUserDto {
            user: u.into(),
            role: u.role,
            suspended_at: u.suspended_at,
            suspension_reason: u.suspension_reason.clone(),
            send_limited_until: u.send_limited_until.filter(|t| *t > Utc::now()),
        }
    }
}

impl From<&User> for MeDto {
    fn from(u: &User) -> Self {
        let mut user = UserDto::from(u);
        user.last_seen_at = u.last_seen_at;
        MeDto {
            user,
            role: u.role,
            dnd_until: u.dnd_until,
            two_factor: u.two_factor,
            email: u.email.clone(),
            email_verified: u.email.is_some() && u.email_verified_at.is_some(),
            has_password: crate::auth::has_password(&u.password_hash),
            theme: u.theme,
        }
    }
}

impl User {
    /// `last_seen_at` of each existing user among `ids`.
    pub fn last_seen_many(
        conn: &mut PgConnection,
        ids: &[UserId],
    ) -> QueryResult<Vec<(UserId, Option<DateTime<Utc>>)>> {
        users::table.filter(users::id.eq_any(ids)).select((users::id, users::last_seen_at)).load(conn)
    }
}

impl User {
    /// Moves `last_seen_at` forward to `at`, never back (several ws nodes may report one
    /// user offline, in any order).
    pub fn advance_last_seen(conn: &mut PgConnection, id: UserId, at: DateTime<Utc>) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .filter(users::last_seen_at.is_null().or(users::last_seen_at.lt(at)))
            .set(users::last_seen_at.eq(at))
            .execute(conn)
    }
}

/// Who hears of a change to a user's profile (`user.updated`).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ProfileAudience {
    /// Contacts either way and the peers of direct chats (never the user themself).
    pub users: Vec<UserId>,
    /// The user's groups.
    pub groups: Vec<crate::ids::GroupId>,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

impl User {
    /// Everyone who may see `id`'s profile change live: see [`ProfileAudience`].
    pub fn profile_audience(conn: &mut PgConnection, id: UserId) -> QueryResult<ProfileAudience> {
        let users: Vec<IdRow> = diesel::sql_query(
            "SELECT other AS id FROM (
                 SELECT owner_id AS other FROM contacts WHERE contact_id = $1
                 UNION SELECT contact_id FROM contacts WHERE owner_id = $1
                 UNION SELECT CASE WHEN direct_low = $1 THEN direct_high ELSE direct_low END
                         FROM conversations WHERE direct_low = $1 OR direct_high = $1
             ) t WHERE other IS NOT NULL AND other <> $1 ORDER BY other",
        )
        .bind::<diesel::sql_types::BigInt, _>(id)
        .load(conn)?;
        let groups: Vec<IdRow> =
            diesel::sql_query("SELECT group_id AS id FROM group_members WHERE user_id = $1 ORDER BY group_id")
                .bind::<diesel::sql_types::BigInt, _>(id)
                .load(conn)?;
        Ok(ProfileAudience {
            users: users.into_iter().map(|r| UserId(r.id)).collect(),
            groups: groups.into_iter().map(|r| crate::ids::GroupId(r.id)).collect(),
        })
    }
}
