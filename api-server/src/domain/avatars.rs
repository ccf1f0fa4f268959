//! Avatars of users and groups: an uploaded image is decoded (within the process's decode
//! budget), cut to a square (centred, or the crop box the client sent) and stored in two sizes:
//! [`images::AVATAR_LARGE`] px as the upload itself (`GET /media/{id}`) and
//! [`images::AVATAR_SMALL`] px as its thumbnail (`GET /media/{id}/thumb`). A new upload gets a
//! new id, so each version has its own URL and is cached as immutable.
//!
//! Who may download one: anyone signed in for a user's avatar (of a user who is not
//! suspended), the members for a group's (`Attachment::readable_by`). A replaced or removed
//! avatar that nothing else uses goes to the media trash in the same transaction.
//!
//! Lifecycle of an upload: the bytes are checked and scaled off the async threads, stored,
//! then recorded with the change in one transaction; if that fails the stored bytes are
//! deleted again, so a refused upload leaves nothing behind.

use diesel::PgConnection;
use shared::api::{GroupDto, MeDto};
use shared::enums::GroupRole;
use shared::events::UpdateReason;
use shared::ids::{AttachmentId, GroupId, UserId};
use shared::models::attachment::{Attachment, NewAttachment};
use shared::models::group::{Group, GroupChanges};
use shared::models::outbox::Outbox;
use shared::models::user::{ProfileChanges, User};
use shared::Error;
use uuid::Uuid;

use crate::domain::media::{self, UploadKind};
use crate::domain::{events, groups};
use crate::media::decode_budget::{BudgetError, DecodeBudget};
use crate::media::images::{self, Avatar, Crop, AVATAR_LARGE};
use crate::media::sniff::sniff;
use crate::media::storage::MediaStore;
use crate::media::MediaError;

/// A crop box from the query (`x`, `y`, `size`: all three or none).
pub fn crop(x: Option<u32>, y: Option<u32>, size: Option<u32>) -> Result<Option<Crop>, Error> {
    match (x, y, size) {
        (None, None, None) => Ok(None),
        (Some(x), Some(y), Some(size)) => Ok(Some(Crop { x, y, size })),
        _ => Err(Error::invalid("size", "a crop box needs x, y and size, or none of them")),
    }
}

/// Checks the upload is an image within the limits, then decodes and scales it within the
/// process's decode budget, off the async threads.
pub async fn prepare(budget: &DecodeBudget, bytes: Vec<u8>, crop: Option<Crop>) -> Result<Avatar, Error> {
    media::check_size(UploadKind::Image, &bytes)?;
    let format = sniff(&bytes);
    if !format.is_image() {
        return Err(media::refused(MediaError::Unsupported("an avatar must be a PNG, JPEG, GIF or WebP image".into())));
    }
    let need = images::decode_need(&bytes, format).map_err(media::refused)?;
    let reservation = budget.reserve(need, media::DECODE_WAIT).await.map_err(|e| match e {
        BudgetError::TooLarge { .. } => media::refused(MediaError::Invalid(format!("the image is too large: {e}"))),
        BudgetError::Busy => media::busy(),
    })?;
    let max_alloc = reservation.bytes;
    let avatar = shared::telemetry::spawn_blocking(move || images::avatar(&bytes, format, max_alloc, crop))
        .await
        .map_err(Error::internal)?
        .map_err(media::refused);
    drop(reservation);
    avatar
}

/// The two sizes in the store under a new key (`<key>` and `<key>.thumb`).
struct Stored<'s> {
    store: &'s dyn MediaStore,
    key: String,
    thumb_key: String,
}

impl<'s> Stored<'s> {
    fn put(store: &'s dyn MediaStore, avatar: &Avatar) -> Result<Self, Error> {
        let key = Uuid::new_v4().simple().to_string();
        let stored = Stored { store, thumb_key: format!("{key}.thumb"), key };
        store.put(&stored.key, &avatar.large).map_err(Error::internal)?;
        if let Err(e) = store.put(&stored.thumb_key, &avatar.small) {
            stored.remove();
            return Err(Error::internal(e));
        }
        Ok(stored)
    }

    /// Nothing refers to the bytes (the transaction failed): do not leave them behind.
    fn remove(&self) {
        let _ = self.store.delete(&self.key);
        let _ = self.store.delete(&self.thumb_key);
    }

    fn record(&self, conn: &mut PgConnection, owner: UserId, avatar: &Avatar) -> Result<Attachment, Error> {
        let side = i32::try_from(AVATAR_LARGE).ok();
        Ok(Attachment::insert(
            conn,
            &NewAttachment {
                owner_id: owner,
                content_type: avatar.mime,
                size: shared::num::len_i64(avatar.large.len()),
                file_name: None,
                storage_key: &self.key,
                thumb_key: Some(&self.thumb_key),
                width: side,
                height: side,
                duration_ms: None,
            },
        )?)
    }
}

/// Where an avatar goes: the store, and the uploader's media quota it counts against.
pub struct Destination<'s> {
    pub store: &'s dyn MediaStore,
    /// `MEDIA_QUOTA_BYTES_PER_USER` (0: none).
    pub quota: u64,
}

/// Stores the avatar, then runs `change` with its new attachment in one transaction, within
/// the uploader's media quota; removes the stored bytes again when that fails. The quota is
/// checked after `change`, so the avatar it replaces (trashed by `change`) no longer counts:
/// replacing an avatar needs room for the difference only.
fn with_stored<T>(
    conn: &mut Outbox<'_>,
    to: &Destination<'_>,
    owner: UserId,
    avatar: &Avatar,
    change: impl FnOnce(&mut Outbox<'_>, AttachmentId) -> Result<T, Error>,
) -> Result<T, Error> {
    let stored = Stored::put(to.store, avatar)?;
    let done = conn.transaction(|conn| {
        let row = stored.record(conn, owner, avatar)?;
        let done = change(conn, row.id)?;
        // What the uploads use now, the new avatar counted and the one it replaced gone, under
        // the owner's quota lock: uploads that commit meanwhile are seen once they hold it.
        if let Some(used) = media::lock_quota(conn, owner, to.quota)? {
            let size = shared::num::non_negative(row.size);
            if used > to.quota {
                return Err(media::quota_exceeded(used.saturating_sub(size), size, to.quota));
            }
        }
        Ok(done)
    });
    if done.is_err() {
        stored.remove();
    }
    done
}

/// The old avatar, if nothing else uses it, to the media trash (bytes removed by the sweeper).
fn trash_old(conn: &mut PgConnection, old: Option<AttachmentId>, new: Option<AttachmentId>) -> Result<(), Error> {
    if let Some(old) = old.filter(|o| Some(*o) != new) {
        Attachment::trash_unreferenced(conn, &[old])?;
    }
    Ok(())
}

/// Sets (`Some`) or removes (`None`) my avatar, in the caller's transaction: the old one to
/// the trash, `user.updated` to those who see me.
fn set_user_avatar(conn: &mut Outbox<'_>, me: UserId, avatar: Option<AttachmentId>) -> Result<MeDto, Error> {
    let old = User::find_for_update(conn, me)?.avatar_id;
    let user = User::update_profile(conn, me, &ProfileChanges { avatar_id: Some(avatar), ..Default::default() })?;
    trash_old(conn, old, avatar)?;
    if old != avatar {
        events::user_updated(conn, &user)?;
    }
    Ok((&user).into())
}

/// `POST /avatars/me`: stores and sets a prepared avatar.
pub fn upload_for_user(
    conn: &mut Outbox<'_>,
    to: &Destination<'_>,
    me: UserId,
    avatar: &Avatar,
) -> Result<MeDto, Error> {
    with_stored(conn, to, me, avatar, |conn, id| set_user_avatar(conn, me, Some(id)))
}

/// `DELETE /avatars/me`.
pub fn remove_for_user(conn: &mut Outbox<'_>, me: UserId) -> Result<MeDto, Error> {
    conn.transaction(|conn| set_user_avatar(conn, me, None))
}

/// May `me` change the group's avatar (admins and the owner)? 404 for non-members.
pub fn require_group_admin(conn: &mut PgConnection, me: UserId, group_id: GroupId) -> Result<(), Error> {
    groups::require_role(conn, group_id, me, GroupRole::Admin, "change the group's avatar").map(|_| ())
}

fn set_group_avatar(
    conn: &mut Outbox<'_>,
    me: UserId,
    group_id: GroupId,
    avatar: Option<AttachmentId>,
) -> Result<GroupDto, Error> {
    require_group_admin(conn, me, group_id)?;
    let old = Group::find(conn, group_id)?.avatar_id;
    Group::update(conn, group_id, &GroupChanges { avatar_id: Some(avatar), ..Default::default() })?;
    trash_old(conn, old, avatar)?;
    if old != avatar {
        events::to_group(conn, group_id, &events::updated(None, Some(group_id), UpdateReason::Renamed, None))?;
    }
    groups::dto(conn, group_id, me)
}

/// `POST /avatars/groups/{id}`.
pub fn upload_for_group(
    conn: &mut Outbox<'_>,
    to: &Destination<'_>,
    me: UserId,
    group_id: GroupId,
    avatar: &Avatar,
) -> Result<GroupDto, Error> {
    with_stored(conn, to, me, avatar, |conn, id| set_group_avatar(conn, me, group_id, Some(id)))
}

/// `DELETE /avatars/groups/{id}`.
pub fn remove_for_group(conn: &mut Outbox<'_>, me: UserId, group_id: GroupId) -> Result<GroupDto, Error> {
    conn.transaction(|conn| set_group_avatar(conn, me, group_id, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crop_box_is_all_three_or_none() {
        assert_eq!(crop(None, None, None).expect("none"), None);
        assert_eq!(crop(Some(1), Some(2), Some(3)).expect("all"), Some(Crop { x: 1, y: 2, size: 3 }));
        let err = crop(Some(1), None, Some(3)).expect_err("partial");
        assert_eq!((err.status(), err.code.as_str()), (422, "validation_failed"));
    }
}
