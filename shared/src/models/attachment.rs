//! Uploaded media: one row per upload, its bytes in the media store under `storage_key`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::api::AttachmentDto;
use crate::db::schema::{attachments, conversation_members, group_members, groups, messages, users};
use crate::ids::{AttachmentId, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = attachments)]
pub struct Attachment {
    pub id: AttachmentId,
    pub owner_id: UserId,
    pub content_type: String,
    pub size: i64,
    pub file_name: Option<String>,
    pub storage_key: String,
    pub thumb_key: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_ms: Option<i32>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = attachments)]
pub struct NewAttachment<'a> {
    pub owner_id: UserId,
    pub content_type: &'a str,
    pub size: i64,
    pub file_name: Option<&'a str>,
    pub storage_key: &'a str,
    pub thumb_key: Option<&'a str>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_ms: Option<i32>,
}

impl Attachment {
    pub fn insert(conn: &mut PgConnection, new: &NewAttachment) -> QueryResult<Attachment> {
        diesel::insert_into(attachments::table).values(new).returning(Attachment::as_returning()).get_result(conn)
    }

    pub fn find(conn: &mut PgConnection, id: AttachmentId) -> QueryResult<Option<Attachment>> {
        attachments::table.find(id).select(Attachment::as_select()).first(conn).optional()
    }

    pub fn by_ids(conn: &mut PgConnection, ids: &[AttachmentId]) -> QueryResult<Vec<Attachment>> {
        attachments::table.filter(attachments::id.eq_any(ids)).select(Attachment::as_select()).load(conn)
    }

    /// Deletes those of `ids` that nothing uses any more: no message carries them and no user
    /// or group shows them as avatar. Returns them (their bytes are the caller's to remove,
    /// after the commit).
    pub fn delete_unreferenced(conn: &mut PgConnection, ids: &[AttachmentId]) -> QueryResult<Vec<Attachment>> {
        use diesel::dsl::{exists, not};
        let id = attachments::id.nullable();
        diesel::delete(
            attachments::table
                .filter(attachments::id.eq_any(ids))
                .filter(not(exists(messages::table.filter(messages::attachment_id.eq(id)))))
                .filter(not(exists(users::table.filter(users::avatar_id.eq(id)))))
                .filter(not(exists(groups::table.filter(groups::avatar_id.eq(id))))),
        )
        .returning(Attachment::as_returning())
        .get_results(conn)
    }

    /// [`Self::delete_unreferenced`], with the bytes left to the media sweeper: the storage keys
    /// (file and thumbnail) go to `media_trash` in the caller's transaction.
    pub fn trash_unreferenced(conn: &mut PgConnection, ids: &[AttachmentId]) -> QueryResult<usize> {
        let gone = Self::delete_unreferenced(conn, ids)?;
        let keys: Vec<&str> =
            gone.iter().flat_map(|a| std::iter::once(a.storage_key.as_str()).chain(a.thumb_key.as_deref())).collect();
        crate::models::media_trash::add(conn, &keys)?;
        Ok(gone.len())
    }

    /// Whether `user` may download it: the uploader; anyone signed in, when it is the avatar of
    /// a user who is not suspended (privacy settings do not cover the photo); a member of a
    /// group whose avatar it is; or a member of a conversation where a message that is neither
    /// deleted nor cleared by that member carries it.
    pub fn readable_by(&self, conn: &mut PgConnection, user: UserId) -> QueryResult<bool> {
        if self.owner_id == user {
            return Ok(true);
        }
        let avatar = diesel::select(
            diesel::dsl::exists(
                users::table.filter(users::avatar_id.eq(self.id)).filter(users::suspended_at.is_null()),
            )
            .or(diesel::dsl::exists(
                groups::table
                    .inner_join(group_members::table.on(group_members::group_id.eq(groups::id)))
                    .filter(groups::avatar_id.eq(self.id))
                    .filter(group_members::user_id.eq(user)),
            )),
        )
        .get_result::<bool>(conn)?;
        if avatar {
            return Ok(true);
        }
        diesel::select(diesel::dsl::exists(
            messages::table
                .inner_join(
                    conversation_members::table.on(conversation_members::conversation_id
                        .eq(messages::conversation_id)
                        .and(conversation_members::user_id.eq(user))),
                )
                .filter(messages::attachment_id.eq(self.id))
                .filter(messages::deleted_at.is_null())
                .filter(messages::seq.gt(conversation_members::cleared_seq)),
        ))
        .get_result(conn)
    }
}

impl From<&Attachment> for AttachmentDto {
    fn from(a: &Attachment) -> Self {
        AttachmentDto {
            id: a.id,
            content_type: a.content_type.clone(),
            size: a.size,
            file_name: a.file_name.clone(),
            width: a.width,
            height: a.height,
            duration_ms: a.duration_ms,
            has_thumbnail: a.thumb_key.is_some(),
        }
    }
}
