// Wire types of the REST API and the socket (mirrors shared/src/api.rs and shared/src/events.rs).

export interface UserDto {
  id: number
  username: string
  display_name: string
  bio: string
  avatar_id: number | null
  /** Null when that user hides their last seen from me (privacy), or was never seen. */
  last_seen_at: string | null
  created_at: string
  /** Custom status (up to 80 characters), or null. */
  status_text: string | null
  /** One emoji shown with the status and next to the name, or null. */
  status_emoji: string | null
}

export interface MeDto extends UserDto {
  role: 'user' | 'admin'
  /** Do not disturb until then (no browser notifications), or null. */
  dnd_until: string | null
  /** Two-factor authentication (TOTP) is on. */
  two_factor: boolean
  /** My address, if I gave one (only I see it). */
  email: string | null
  /** A link mailed to `email` was opened. */
  email_verified: boolean
  /** The account has a password (one made by a provider sign-in has none). Absent: assume so. */
  has_password?: boolean
}

/** Who may see or do something: everyone, the people the user added to their contacts, nobody. */
export type Audience = 'everyone' | 'contacts' | 'nobody'

/** My privacy settings (`GET`/`PUT /me/privacy`; PUT takes any subset, answers the whole). */
export interface PrivacyDto {
  /** Who sees that I am online and when I was last seen. */
  last_seen: Audience
  /** Off: nobody sees when I read, and I do not see it of others either. */
  read_receipts: boolean
  /** Who can start a direct chat with me. */
  direct_messages: Audience
  /** Who can add me to a group. */
  group_adds: Audience
}

export interface TokensDto {
  access_token: string
  refresh_token: string
  token_type: string
  expires_in: number
  user: MeDto
}

export interface ContactDto {
  user: UserDto
  alias: string | null
  created_at: string
}

export interface MessageDto {
  id: number
  conversation_id: number
  seq: number
  sender_id: number
  client_id: string
  kind: string
  body: string
  attachment_id: number | null
  reply_to_id: number | null
  edited_at: string | null
  deleted_at: string | null
  created_at: string
  /** Absent in messages from older servers. */
  reactions?: ReactionDto[]
  /** The media of an image, file or voice message (absent on tombstones and sidebar previews). */
  attachment?: AttachmentDto
}

export type MediaKind = 'image' | 'file' | 'voice'

/** An upload (`POST /media`): what the server found in the bytes. */
export interface AttachmentDto {
  id: number
  /** Sniffed from the content, e.g. image/png, audio/webm, application/octet-stream. */
  content_type: string
  size: number
  /** Files only. */
  file_name: string | null
  /** Images, as displayed. */
  width: number | null
  height: number | null
  /** Voice notes. */
  duration_ms: number | null
  has_thumbnail: boolean
}

/** One emoji on a message; `me` is only set in REST answers, so the UI uses `user_ids`. */
export interface ReactionDto {
  emoji: string
  count: number
  user_ids: number[]
  me?: boolean
}

export interface ReceiptDto {
  conversation_id: number
  user_id: number
  delivered_seq: number
  read_seq: number
}

export interface PeerDto {
  id: number
  username: string
  display_name: string
  avatar_id: number | null
  alias: string | null
  /** The peer's status emoji, shown beside the name (absent from older servers). */
  status_emoji?: string | null
}

export interface ConversationDto {
  id: number
  kind: 'direct' | 'channel'
  group_id: number | null
  group_name: string | null
  name: string | null
  peer: PeerDto | null
  last_seq: number
  last_message_at: string | null
  last_message: MessageDto | null
  unread_count: number
  last_read_seq: number
  last_delivered_seq: number
  cleared_seq: number
  pinned: boolean
  archived: boolean
  muted_until: string | null
  /** Disappearing messages: kept this many days (1-365), or null (kept). */
  retention_days: number | null
}

export interface ChannelDto {
  id: number
  name: string
  last_seq: number
}

export type Role = 'owner' | 'admin' | 'member'

export interface GroupMemberDto {
  user: UserDto
  role: Role
  joined_at: string
}

export interface GroupDto {
  id: number
  name: string
  description: string
  avatar_id: number | null
  created_by: number
  created_at: string
  my_role: Role
  channels: ChannelDto[]
  members: GroupMemberDto[]
}

export interface InviteDto {
  id: number
  group_id: number
  token: string
  expires_at: string | null
  max_uses: number | null
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

export interface MessagesPage {
  items: MessageDto[]
  has_more: boolean
}

export interface FieldError {
  field: string
  message: string
}

/** A user as administrators see them (`/admin/users`, report senders). */
export interface AdminUserDto {
  user: UserDto
  role: 'user' | 'admin'
  suspended_at: string | null
  suspension_reason: string | null
  /** Flood control: no sending until then, or null. */
  send_limited_until: string | null
}

export type AbuseFlagKind = 'repeated_messages' | 'new_chats'

/** An account flood control paused (`/admin/flags`), newest first. */
export interface AbuseFlagDto {
  id: number
  user: AdminUserDto
  kind: AbuseFlagKind
  detail: string
  limited_until: string
  created_at: string
}

/** Pages of the flags: pass `next_before` as `before`; null on the last page. */
export interface BeforePage<T> {
  items: T[]
  next_before: number | null
}

/** What the reporter gets back (`POST /messages/{id}/report`). */
export interface ReportReceiptDto {
  id: number
  message_id: number
  reason: string
  created_at: string
}

export type ReportResolution = 'dismissed' | 'message_deleted' | 'user_suspended'

/** A report in the administrators' queue. */
export interface ReportDto {
  id: number
  reason: string
  created_at: string
  /** The message as it is now (a tombstone once deleted). */
  message: MessageDto
  sender: AdminUserDto
  reporter: UserDto
  resolved_at: string | null
  resolution: ReportResolution | null
}

/** One of my signed-in devices (`/sessions`): a refresh-token family. */
export interface SessionDto {
  id: string
  /** The browser or app, as its User-Agent said at the last refresh. */
  user_agent: string | null
  ip: string | null
  signed_in_at: string
  /** The last refresh (every ~15 minutes while the app is open). */
  last_active_at: string
  /** The session making the request: this browser. */
  current: boolean
}

/** Pages of the admin lists: pass `next_after` as `after`; null on the last page. */
export interface AfterPage<T> {
  items: T[]
  next_after: number | null
}

export interface TypingEvent {
  conversation_id: number
  user_id: number
  active: boolean
}

/** A user hiding their last seen from me always comes as `online: false, last_seen_at: null`. */
export interface PresenceEvent {
  user_id: number
  online: boolean
  last_seen_at: string | null
}

export interface ConversationUpdated {
  conversation_id: number | null
  group_id: number | null
  reason: 'created' | 'renamed' | 'deleted' | 'member_added' | 'member_removed' | 'role_changed' | 'flags' | 'retention'
  user_id: number | null
}

export type ServerEvent =
  | { type: 'ready'; data: { session_id: string; heartbeat_ms: number } }
  | { type: 'message.new'; data: MessageDto }
  | { type: 'message.updated'; data: MessageDto }
  | { type: 'receipt'; data: ReceiptDto }
  | { type: 'typing'; data: TypingEvent }
  | { type: 'presence'; data: PresenceEvent }
  | { type: 'conversation.updated'; data: ConversationUpdated }
  | { type: 'resync'; data: { reason: string } }
  | { type: 'error'; data: { code: string; message: string } }

export type ClientEvent =
  | { type: 'heartbeat' }
  | { type: 'typing'; data: { conversation_id: number; active: boolean } }
  | { type: 'presence.subscribe'; data: { user_ids: number[] } }
