//! Response and event payload types shared by api-server, ws-server, the tests and (through
//! the OpenAPI document) the web client. A serialized type is a promise: change it with care.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ids::{AbuseFlagId, AttachmentId, ConversationId, GroupId, InviteId, MessageId, ReportId, UserId};

pub use crate::enums::{
    AbuseFlagKind, AccountRole, Audience, ConversationKind, GroupRole, MessageKind, ReportResolution, Theme,
};

/// Another user as anyone may see them (never a password hash or private data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserDto {
    #[schema(value_type = i64)]
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    #[schema(value_type = Option<i64>)]
    pub avatar_id: Option<AttachmentId>,
    /// Null when never seen, or when the user's privacy settings hide it from the caller.
    pub last_seen_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// A custom status (up to 80 characters) and its emoji, shown to everyone.
    #[serde(default)]
    pub status_text: Option<String>,
    #[serde(default)]
    pub status_emoji: Option<String>,
}

/// A user's profile as the caller sees it (`GET /users/{id}/profile`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProfileDto {
    pub user: UserDto,
    /// Groups both the caller and the user are members of (at most 50, by name).
    pub shared_groups: Vec<SharedGroupDto>,
    /// The user is in the caller's contacts.
    pub contact: bool,
    /// The caller blocked the user.
    pub blocked: bool,
    /// The direct chat between the caller and the user, if one was opened.
    #[schema(value_type = Option<i64>)]
    pub direct_conversation_id: Option<ConversationId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SharedGroupDto {
    #[schema(value_type = i64)]
    pub id: GroupId,
    pub name: String,
    #[schema(value_type = Option<i64>)]
    pub avatar_id: Option<AttachmentId>,
}

/// The signed-in user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MeDto {
    #[serde(flatten)]
    pub user: UserDto,
    pub role: AccountRole,
    /// Do not disturb: the web client shows no notifications until then (null: off).
    pub dnd_until: Option<DateTime<Utc>>,
    /// Logging in needs a code from an authenticator app (or a recovery code).
    #[serde(default)]
    pub two_factor: bool,
    /// The account's address (only its owner sees it).
    #[serde(default)]
    pub email: Option<String>,
    /// A link mailed to `email` was opened.
    #[serde(default)]
    pub email_verified: bool,
    /// The account has a password (one made by a provider sign-in has none: changing two-factor
    /// authentication then needs a fresh sign-in instead).
    #[serde(default = "yes")]
    pub has_password: bool,
    /// The web client's theme, stored with the account (follows the user to another browser).
    #[serde(default)]
    pub theme: Theme,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokensDto {
    pub access_token: String,
    /// Opaque; rotated by every `POST /auth/refresh`.
    pub refresh_token: String,
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub user: MeDto,
}

/// A sign-in provider linked to my account (Settings > Sign-in methods).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LinkedIdentityDto {
    /// The provider's name (`/api/auth/oidc/providers`).
    pub provider: String,
    /// The provider's label, or its name when it is no longer configured.
    pub label: String,
    /// The address the provider gave, if any.
    pub email: Option<String>,
    pub linked_at: DateTime<Utc>,
}

/// Where to send the browser to link a provider (its authorization endpoint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LinkStartDto {
    pub authorize_url: String,
}

/// A sign-in provider (OpenID Connect) to offer as "Sign in with {label}".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OidcProviderDto {
    /// The path segment of `/api/auth/oidc/{name}/start`.
    pub name: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WsTicketDto {
    pub ticket: String,
    pub expires_in: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ContactDto {
    pub user: UserDto,
    pub alias: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MessageDto {
    #[schema(value_type = i64)]
    pub id: MessageId,
    #[schema(value_type = i64)]
    pub conversation_id: ConversationId,
    pub seq: i64,
    #[schema(value_type = i64)]
    pub sender_id: UserId,
    pub client_id: Uuid,
    pub kind: MessageKind,
    /// Empty when deleted (the tombstone keeps id, seq, sender and times).
    pub body: String,
    #[schema(value_type = Option<i64>)]
    pub attachment_id: Option<AttachmentId>,
    #[schema(value_type = Option<i64>)]
    pub reply_to_id: Option<MessageId>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Emoji reactions, in the order each emoji was first used.
    #[serde(default)]
    pub reactions: Vec<ReactionDto>,
    /// The media of an image, file or voice message (absent on tombstones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<AttachmentDto>,
    /// The conversation's change version of this message's last edit, deletion or reaction
    /// change (0: never changed). A client that holds every change up to `v - 1` of the
    /// conversation holds every change up to `v` once it applied this one.
    #[serde(default)]
    pub change_version: i64,
}

/// An upload (`POST /media`): what the server found in the bytes, never what the client said.
/// Download it from `GET /media/{id}` (and `/media/{id}/thumb` when `has_thumbnail`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AttachmentDto {
    #[schema(value_type = i64)]
    pub id: AttachmentId,
    /// Sniffed from the content, e.g. `image/png`, `audio/webm`, `application/octet-stream`.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// The uploaded file's name (files only; shown, never used as a path).
    pub file_name: Option<String>,
    /// Images: as displayed (EXIF orientation applied).
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// Voice notes.
    pub duration_ms: Option<i32>,
    pub has_thumbnail: bool,
}

/// One emoji on a message: who reacted with it (oldest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReactionDto {
    pub emoji: String,
    pub count: i64,
    #[schema(value_type = Vec<i64>)]
    pub user_ids: Vec<UserId>,
    /// Whether the caller is among them: set in REST answers; absent in pushed events (one
    /// event for every member: clients look for their id in `user_ids`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub me: Option<bool>,
}

/// `GET/PUT /me/privacy`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PrivacyDto {
    /// Who sees whether I am online and when I was last seen.
    pub last_seen: Audience,
    /// Off: others do not see how far I have read, and I do not see how far they have.
    pub read_receipts: bool,
    /// Who may start a direct chat with me (existing chats go on).
    pub direct_messages: Audience,
    /// Who may add me to a group (anyone may still send me an invite link).
    pub group_adds: Audience,
}

/// Per-member watermarks of a conversation; also the `receipt` event. `read_seq` is 0 where a
/// privacy setting hides it (the reader's, or the caller's own: receipts go both ways).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReceiptDto {
    #[schema(value_type = i64)]
    pub conversation_id: ConversationId,
    #[schema(value_type = i64)]
    pub user_id: UserId,
    pub delivered_seq: i64,
    pub read_seq: i64,
}

/// The other member of a direct chat, with my alias for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PeerDto {
    #[schema(value_type = i64)]
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    #[schema(value_type = Option<i64>)]
    pub avatar_id: Option<AttachmentId>,
    pub alias: Option<String>,
    /// The peer's status emoji, shown beside the name.
    #[serde(default)]
    pub status_emoji: Option<String>,
    /// I blocked the peer (I may unblock them).
    #[serde(default)]
    pub blocked: bool,
    /// A block either way stops messages in this chat (the composer gives way to a notice).
    #[serde(default)]
    pub messaging_blocked: bool,
}

/// One row of the sidebar (`GET /conversations`) and the body of `GET /conversations/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConversationDto {
    #[schema(value_type = i64)]
    pub id: ConversationId,
    pub kind: ConversationKind,
    #[schema(value_type = Option<i64>)]
    pub group_id: Option<GroupId>,
    pub group_name: Option<String>,
    /// The group's avatar (channels only).
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub group_avatar_id: Option<AttachmentId>,
    /// Channel name (channels only).
    pub name: Option<String>,
    pub peer: Option<PeerDto>,
    pub last_seq: i64,
    pub last_message_at: Option<DateTime<Utc>>,
    /// The newest message I can see (respects clear history), if any.
    pub last_message: Option<MessageDto>,
    pub unread_count: i64,
    pub last_read_seq: i64,
    pub last_delivered_seq: i64,
    pub cleared_seq: i64,
    pub pinned: bool,
    pub archived: bool,
    pub muted_until: Option<DateTime<Utc>>,
    /// Disappearing messages: kept this many days (null: kept).
    pub retention_days: Option<i32>,
    /// The latest change version of the conversation's messages (edits, deletions, reactions):
    /// a client holding less asks `GET /conversations/{id}/messages?changed_since=<what it holds>`.
    #[serde(default)]
    pub change_version: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChannelDto {
    #[schema(value_type = i64)]
    pub id: ConversationId,
    pub name: String,
    pub last_seq: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GroupMemberDto {
    pub user: UserDto,
    pub role: GroupRole,
    pub joined_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GroupDto {
    #[schema(value_type = i64)]
    pub id: GroupId,
    pub name: String,
    pub description: String,
    #[schema(value_type = Option<i64>)]
    pub avatar_id: Option<AttachmentId>,
    #[schema(value_type = i64)]
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    /// My role in the group.
    pub my_role: GroupRole,
    pub channels: Vec<ChannelDto>,
    pub members: Vec<GroupMemberDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InviteDto {
    #[schema(value_type = i64)]
    pub id: InviteId,
    #[schema(value_type = i64)]
    pub group_id: GroupId,
    /// Shown once, at creation; only its hash is stored.
    pub token: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub max_uses: Option<i32>,
}

/// A live invite link as group admins see it (`GET /groups/{id}/invites`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InviteLinkDto {
    #[schema(value_type = i64)]
    pub id: InviteId,
    #[schema(value_type = i64)]
    pub group_id: GroupId,
    /// The link's token, to copy again; null for links made before links could be shown again
    /// (or under a previous `JWT_SECRET`): those still work until revoked.
    pub token: Option<String>,
    pub created_by: UserDto,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub max_uses: Option<i32>,
    pub uses: i32,
}

/// A page of a list: `next_cursor` is passed back as `cursor` for the next page.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A user as admins see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AdminUserDto {
    pub user: UserDto,
    pub role: AccountRole,
    pub suspended_at: Option<DateTime<Utc>>,
    pub suspension_reason: Option<String>,
    /// Flood control: no sending until then.
    pub send_limited_until: Option<DateTime<Utc>>,
}

/// What the reporter gets back: their report was filed (reporting again changes nothing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReportReceiptDto {
    #[schema(value_type = i64)]
    pub id: ReportId,
    #[schema(value_type = i64)]
    pub message_id: MessageId,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

/// A report in the admins' queue, with what they need to judge it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReportDto {
    #[schema(value_type = i64)]
    pub id: ReportId,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    /// The reported message as it is now (a tombstone once deleted).
    pub message: MessageDto,
    pub sender: AdminUserDto,
    pub reporter: UserDto,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution: Option<ReportResolution>,
}

/// A signed-in device: one refresh-token family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SessionDto {
    pub id: Uuid,
    /// The browser or app, as its User-Agent said at the last refresh.
    pub user_agent: Option<String>,
    /// The client address at the last refresh.
    pub ip: Option<String>,
    pub signed_in_at: DateTime<Utc>,
    /// The last refresh (access tokens are renewed every ~15 minutes while the app is open).
    pub last_active_at: DateTime<Utc>,
    /// The session making this request.
    pub current: bool,
}

/// An account flood control put under a send limit, for the admins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AbuseFlagDto {
    #[schema(value_type = i64)]
    pub id: AbuseFlagId,
    pub user: AdminUserDto,
    pub kind: AbuseFlagKind,
    pub detail: String,
    pub limited_until: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// `POST /auth/login` for an account with two-factor authentication: the password was right;
/// finish with `POST /auth/login/second-factor` within `expires_in` seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SecondFactorDto {
    pub mfa_token: String,
    pub expires_in: i64,
}

/// A started TOTP enrolment: show `otpauth_uri` as a QR code (or `secret` to type in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EnrolmentDto {
    pub secret: String,
    pub otpauth_uri: String,
}

/// Shown once, when two-factor authentication is turned on: each code works once instead of
/// an authenticator code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RecoveryCodesDto {
    pub recovery_codes: Vec<String>,
}
