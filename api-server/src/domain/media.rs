//! Uploads and downloads. An upload is checked for what it really is (never what the client
//! says), bounded per kind, inspected (image dimensions and thumbnail, voice duration), stored
//! in the media store, then recorded. A download is allowed to the uploader and to members of
//! a conversation where a message carries it.

use std::collections::HashMap;
use std::time::Duration;

use diesel::{Connection, PgConnection};
use shared::api::{AttachmentDto, MessageDto};
use shared::enums::MessageKind;
use shared::error::ErrorCode;
use shared::error::Kind as ErrorKind;
use shared::models::attachment::{Attachment, NewAttachment};
use shared::models::stats;
use shared::Error;
use uuid::Uuid;

use crate::media::decode_budget::{BudgetError, DecodeBudget};
use crate::media::sniff::sniff;
use crate::media::storage::MediaStore;
use crate::media::{images, voice, MediaError};
use shared::ids::{AttachmentId, UserId};

/// What an upload is meant to become: the message kind that will carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UploadKind {
    Image,
    File,
    Voice,
}

impl UploadKind {
    /// Largest accepted upload.
    pub fn max_bytes(self) -> usize {
        match self {
            UploadKind::Image => 10 * 1024 * 1024,
            UploadKind::Voice => 5 * 1024 * 1024,
            UploadKind::File => 25 * 1024 * 1024,
        }
    }
}

/// Longest voice note.
pub const VOICE_MAX_MS: u64 = 15 * 60 * 1000;
/// Longest kept file name (characters).
const FILE_NAME_MAX: usize = 200;

pub fn too_large(kind: UploadKind) -> Error {
    Error::new(
        ErrorKind::PayloadTooLarge,
        ErrorCode::MediaTooLarge,
        format!("uploads of this kind are limited to {} MiB", kind.max_bytes() / (1024 * 1024)),
    )
}

pub(crate) fn refused(e: MediaError) -> Error {
    match e {
        MediaError::Unsupported(m) => Error::new(ErrorKind::UnsupportedMediaType, ErrorCode::UnsupportedMedia, m),
        MediaError::Invalid(m) => Error::new(ErrorKind::Validation, ErrorCode::InvalidMedia, m),
    }
}

pub fn not_found() -> Error {
    Error::not_found(ErrorCode::MediaNotFound, "no such media")
}

/// An upload checked and inspected, ready to store.
#[derive(Debug)]
pub struct Inspected {
    pub content_type: &'static str,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_ms: Option<i32>,
    /// (bytes, content type)
    pub thumbnail: Option<(Vec<u8>, &'static str)>,
}

pub(crate) fn check_size(kind: UploadKind, bytes: &[u8]) -> Result<(), Error> {
    if bytes.is_empty() {
        return Err(Error::new(ErrorKind::Validation, ErrorCode::InvalidMedia, "the file is empty"));
    }
    if bytes.len() > kind.max_bytes() {
        return Err(too_large(kind));
    }
    Ok(())
}

/// How long an image waits for decode memory before the upload is answered 503.
pub(crate) const DECODE_WAIT: Duration = Duration::from_secs(30);

pub(crate) fn busy() -> Error {
    Error {
        retry_after: Some(5),
        ..Error::new(ErrorKind::Unavailable, ErrorCode::UploadsBusy, "too many uploads at once, retry shortly")
    }
}

/// [`inspect`] off the async threads. An image first reserves the memory its decode needs from
/// the process's [`DecodeBudget`] (read from its header) and decodes within it.
pub async fn inspect_within(
    budget: &DecodeBudget,
    kind: UploadKind,
    bytes: Vec<u8>,
) -> Result<(Vec<u8>, Inspected), Error> {
    check_size(kind, &bytes)?;
    let reservation = match kind {
        UploadKind::Image => {
            let need = images::decode_need(&bytes, sniff(&bytes)).map_err(refused)?;
            Some(budget.reserve(need, DECODE_WAIT).await.map_err(|e| match e {
                BudgetError::TooLarge { .. } => refused(MediaError::Invalid(format!("the image is too large: {e}"))),
                BudgetError::Busy => busy(),
            })?)
        }
        _ => None,
    };
    let max_alloc = reservation.as_ref().map_or(images::ALLOC_MAX, |r| r.bytes);
    let inspected = shared::telemetry::spawn_blocking(move || inspect(kind, &bytes, max_alloc).map(|i| (bytes, i)))
        .await
        .map_err(Error::internal)?;
    drop(reservation);
    inspected
}

/// What the bytes are, checked against `kind`; an image decodes within `max_alloc` bytes.
/// CPU-bound (images are decoded): call it off the async threads.
pub fn inspect(kind: UploadKind, bytes: &[u8], max_alloc: u64) -> Result<Inspected, Error> {
    check_size(kind, bytes)?;
    let format = sniff(bytes);
    let plain =
        Inspected { content_type: format.mime(), width: None, height: None, duration_ms: None, thumbnail: None };
    match kind {
        UploadKind::File => Ok(plain),
        UploadKind::Image => {
            let picture = images::inspect(bytes, format, max_alloc).map_err(refused)?;
            Ok(Inspected {
                width: i32::try_from(picture.width).ok(),
                height: i32::try_from(picture.height).ok(),
                thumbnail: Some((picture.thumbnail, picture.thumbnail_mime)),
                ..plain
            })
        }
        UploadKind::Voice => {
            let ms = voice::duration_ms(bytes, format).map_err(refused)?;
            if ms == 0 || ms > VOICE_MAX_MS {
                return Err(refused(MediaError::Invalid(format!(
                    "a voice note lasts between 1 ms and {} minutes",
                    VOICE_MAX_MS / 60_000
                ))));
            }
            Ok(Inspected { duration_ms: i32::try_from(ms).ok(), ..plain })
        }
    }
}

/// The last path component, without control characters, at most [`FILE_NAME_MAX`] characters.
pub fn clean_file_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).take(FILE_NAME_MAX).collect();
    let clean = clean.trim();
    (!clean.is_empty() && clean != "." && clean != "..").then(|| clean.to_owned())
}

/// A size in bytes as people read it: `900 bytes`, `512.0 KiB`, `3.2 MiB`, `1.0 GiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n == 1 {
        return "1 byte".to_owned();
    }
    if n < 1024 {
        return format!("{n} bytes");
    }
    let (mut unit, mut scale) = (0, 1024u128);
    while unit + 1 < UNITS.len() && u128::from(n) >= scale * 1024 {
        scale *= 1024;
        unit += 1;
    }
    let tenths = (u128::from(n) * 10 + scale / 2) / scale;
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
}

/// 413 `media_quota_exceeded`: what is used, what the upload needs, the limit.
pub fn quota_exceeded(used: u64, size: u64, quota: u64) -> Error {
    Error::new(
        ErrorKind::PayloadTooLarge,
        ErrorCode::MediaQuotaExceeded,
        format!(
            "your uploads use {} of your {} media quota and this file needs {} more: delete some messages with media first",
            human_bytes(used),
            human_bytes(quota),
            human_bytes(size)
        ),
    )
}

/// A user's media storage: what their uploads use and their quota (`None`: no quota).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct MediaUsage {
    pub used_bytes: i64,
    pub quota_bytes: Option<i64>,
}

pub fn usage(conn: &mut PgConnection, me: UserId, quota: u64) -> Result<MediaUsage, Error> {
    let used_bytes = stats::media_bytes_of(conn, me)?;
    Ok(MediaUsage { used_bytes, quota_bytes: (quota > 0).then(|| i64::try_from(quota).unwrap_or(i64::MAX)) })
}

/// Takes `owner`'s quota lock until the transaction ends (uploads of one owner are checked and
/// recorded one at a time, so two cannot both pass on the same remainder) and answers what their
/// uploads use; `None` when there is no quota (0).
pub fn lock_quota(conn: &mut PgConnection, owner: UserId, quota: u64) -> Result<Option<u64>, Error> {
    if quota == 0 {
        return Ok(None);
    }
    stats::lock_media_quota(conn, owner)?;
    Ok(Some(shared::num::non_negative(stats::media_bytes_of(conn, owner)?)))
}

/// Checks the upload fits `owner`'s quota (0: none), stores the bytes (and thumbnail), then
/// records the upload, all while holding the owner's quota lock, so parallel uploads cannot
/// overrun it together. Refused or failed: nothing of it stays. Blocking (store and database).
pub fn save(
    store: &dyn MediaStore,
    conn: &mut PgConnection,
    owner: UserId,
    file_name: Option<&str>,
    bytes: &[u8],
    inspected: &Inspected,
    quota: u64,
) -> Result<AttachmentDto, Error> {
    let key = Uuid::new_v4().simple().to_string();
    let thumb_key = inspected.thumbnail.as_ref().map(|_| format!("{key}.thumb"));
    let mut written = false;
    let stored = conn.transaction(|conn| {
        let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if let Some(used) = lock_quota(conn, owner, quota)? {
            if used.saturating_add(size) > quota {
                return Err(quota_exceeded(used, size, quota));
            }
        }
        written = true;
        store.put(&key, bytes).map_err(Error::internal)?;
        if let (Some(tk), Some((thumb, _))) = (&thumb_key, &inspected.thumbnail) {
            store.put(tk, thumb).map_err(Error::internal)?;
        }
        let new = NewAttachment {
            owner_id: owner,
            content_type: inspected.content_type,
            size: shared::num::len_i64(bytes.len()),
            file_name,
            storage_key: &key,
            thumb_key: thumb_key.as_deref(),
            width: inspected.width,
            height: inspected.height,
            duration_ms: inspected.duration_ms,
        };
        Ok::<_, Error>(Attachment::insert(conn, &new)?)
    });
    match stored {
        Ok(row) => Ok((&row).into()),
        Err(e) => {
            // Nothing refers to the bytes (the row rolled back with the transaction): do not
            // leave them behind.
            if written {
                let _ = store.delete(&key);
                if let Some(tk) = &thumb_key {
                    let _ = store.delete(tk);
                }
            }
            Err(e)
        }
    }
}

/// The upload, when `me` may download it (404 otherwise: no existence oracle).
pub fn readable(conn: &mut PgConnection, me: UserId, id: AttachmentId) -> Result<Attachment, Error> {
    let attachment = Attachment::find(conn, id)?.ok_or_else(not_found)?;
    if attachment.readable_by(conn, me)? {
        Ok(attachment)
    } else {
        Err(not_found())
    }
}

/// An image message needs an image, a voice message a voice note; a file message takes any
/// upload. Called when sending, with the sender's own upload.
pub fn check_fits(attachment: &Attachment, message_kind: MessageKind) -> Result<(), Error> {
    let fits = match message_kind {
        MessageKind::Image => attachment.width.is_some(),
        MessageKind::Voice => attachment.duration_ms.is_some(),
        _ => true,
    };
    if fits {
        Ok(())
    } else {
        Err(Error::invalid("attachment_id", format!("this upload cannot be sent as a {message_kind} message")))
    }
}

/// An avatar (of a user or a group) must be an image the caller uploaded: an unknown id used to
/// reach the foreign key (500), and someone else's upload would have been shown as mine.
pub fn require_own_image(conn: &mut PgConnection, me: UserId, field: &str, id: AttachmentId) -> Result<(), Error> {
    match Attachment::find(conn, id)? {
        Some(a) if a.owner_id == me && a.width.is_some() => Ok(()),
        _ => Err(Error::invalid(field, "no such image upload of yours")),
    }
}

/// Fills `attachment` of the messages that carry one (tombstones keep none).
pub fn attach(conn: &mut PgConnection, items: &mut [MessageDto]) -> Result<(), Error> {
    let ids: Vec<AttachmentId> =
        items.iter().filter(|m| m.deleted_at.is_none()).filter_map(|m| m.attachment_id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let found: HashMap<AttachmentId, AttachmentDto> =
        Attachment::by_ids(conn, &ids)?.iter().map(|a| (a.id, AttachmentDto::from(a))).collect();
    for m in items.iter_mut().filter(|m| m.deleted_at.is_none()) {
        m.attachment = m.attachment_id.and_then(|id| found.get(&id).cloned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_file_name("C:\\Users\\me\\report.pdf").as_deref(), Some("report.pdf"));
        assert_eq!(clean_file_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(clean_file_name("a\u{0}b\r\n.txt").as_deref(), Some("ab.txt"));
        assert_eq!(clean_file_name(".."), None);
        assert_eq!(clean_file_name("dir/"), None);
        assert_eq!(clean_file_name(&"x".repeat(500)).map(|n| n.len()), Some(FILE_NAME_MAX));
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(0), "0 bytes");
        assert_eq!(human_bytes(1), "1 byte");
        assert_eq!(human_bytes(1023), "1023 bytes");
        assert_eq!(human_bytes(1024), "1.0 KiB");
        assert_eq!(human_bytes(512 * 1024), "512.0 KiB");
        assert_eq!(human_bytes(1024 * 1024), "1.0 MiB");
        assert_eq!(human_bytes(3 * 1024 * 1024 + 200 * 1024), "3.2 MiB");
        assert_eq!(human_bytes(1 << 30), "1.0 GiB");
        assert_eq!(human_bytes(5 << 30), "5.0 GiB");
    }

    #[test]
    fn kinds_are_checked_by_content() {
        let err = inspect(UploadKind::Image, b"<svg onload=alert(1)>", images::ALLOC_MAX)
            .expect_err("svg is not an image here");
        assert_eq!((err.status(), err.code.as_str()), (415, "unsupported_media"));
        let err = inspect(UploadKind::Voice, b"\x89PNG\r\n\x1a\n", images::ALLOC_MAX).expect_err("png is not audio");
        assert_eq!(err.status(), 415);
        let err = inspect(UploadKind::Voice, b"RIFF\0\0\0\0WAVE", images::ALLOC_MAX).expect_err("no samples");
        assert_eq!((err.status(), err.code.as_str()), (422, "invalid_media"));
        let file = inspect(UploadKind::File, b"<svg onload=alert(1)>", images::ALLOC_MAX).expect("any file");
        assert_eq!(file.content_type, "application/octet-stream");
        assert_eq!(inspect(UploadKind::File, b"", images::ALLOC_MAX).expect_err("empty").code, ErrorCode::InvalidMedia);
    }
}
