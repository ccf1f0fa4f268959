// The REST and socket types the code uses, named after the schemas of the API's OpenAPI document.
// They are generated, not written here: ~/types/api.gen.ts comes from web/openapi.json, which
// comes from the api-server's code (web/scripts/api-types.sh; `make test` fails when stale). A
// change of a DTO or an event therefore shows up here as a type error wherever the web depends
// on it. Add a name below when the code needs another schema.

import type { components } from '../types/api.gen'

type Schemas = components['schemas']

// --- users and accounts ---------------------------------------------------------------------
export type UserDto = Schemas['UserDto']
/** The signed-in user (`GET /me`). */
export type MeDto = Schemas['MeDto']
export type AccountRole = Schemas['AccountRole']
export type TokensDto = Schemas['TokensDto']
export type ContactDto = Schemas['ContactDto']
/** `GET /users/{id}/profile`: the profile panel. */
export type ProfileDto = Schemas['ProfileDto']
export type SharedGroupDto = Schemas['SharedGroupDto']
/** Who may see or do something: everyone, the people the user added to their contacts, nobody. */
export type Audience = Schemas['Audience']
/** My privacy settings (`GET`/`PUT /me/privacy`; PUT takes any subset, answers the whole). */
export type PrivacyDto = Schemas['PrivacyDto']
/** One of my signed-in devices (`/sessions`): a refresh-token family. */
export type SessionDto = Schemas['SessionDto']
/** `DELETE /sessions`: how many other devices were signed out. */
export type RevokedOthers = Schemas['RevokedOthers']
/** 202 answer of `POST /auth/login` (and `/auth/oidc/complete`) when two-factor authentication is on. */
export type SecondFactorDto = Schemas['SecondFactorDto']
/** `POST /me/2fa`: the secret of a new (not yet confirmed) enrolment. */
export type EnrolmentDto = Schemas['EnrolmentDto']
/** `POST /me/2fa/confirm`: the recovery codes, shown once. */
export type RecoveryCodesDto = Schemas['RecoveryCodesDto']
/** `GET /auth/oidc/providers` */
export type OidcProviderDto = Schemas['OidcProviderDto']
export type LinkedIdentityDto = Schemas['LinkedIdentityDto']
export type LinkStartDto = Schemas['LinkStartDto']

// --- conversations and messages -------------------------------------------------------------
export type ConversationDto = Schemas['ConversationDto']
export type PeerDto = Schemas['PeerDto']
export type MessageDto = Schemas['MessageDto']
export type MessageKind = Schemas['MessageKind']
/** An upload (`POST /media`): what the server found in the bytes. */
export type AttachmentDto = Schemas['AttachmentDto']
/** What an upload is for (`POST /media`, field `kind`). */
export type MediaKind = Schemas['UploadKind']
/** One emoji on a message; `me` is only set in REST answers, so the UI uses `user_ids`. */
export type ReactionDto = Schemas['ReactionDto']
export type ReceiptDto = Schemas['ReceiptDto']
export type MessagesPage = Schemas['MessagesPage']
export type ConversationsPage = Schemas['Page_ConversationDto']
export type UsersPage = Schemas['Page_UserDto']
export type SearchHit = Schemas['SearchHit']
export type SearchPage = Schemas['SearchPage']

// --- groups ---------------------------------------------------------------------------------
export type GroupDto = Schemas['GroupDto']
export type GroupMemberDto = Schemas['GroupMemberDto']
export type ChannelDto = Schemas['ChannelDto']
export type Role = Schemas['GroupRole']
export type InviteDto = Schemas['InviteDto']
/** A live invite link as admins see it (`GET /groups/{id}/invites`); `token` null for old links. */
export type InviteLinkDto = Schemas['InviteLinkDto']

// --- reports and administration -------------------------------------------------------------
/** A user as administrators see them (`/admin/users`, report senders). */
export type AdminUserDto = Schemas['AdminUserDto']
export type AdminUsersPage = Schemas['AdminUsersPage']
/** What the reporter gets back (`POST /messages/{id}/report`). */
export type ReportReceiptDto = Schemas['ReportReceiptDto']
/** A report in the administrators' queue. */
export type ReportDto = Schemas['ReportDto']
export type ReportsPage = Schemas['ReportsPage']
export type ReportResolution = Schemas['ReportResolution']
/** An account flood control paused (`/admin/flags`), newest first. */
export type AbuseFlagDto = Schemas['AbuseFlagDto']
export type AbuseFlagsPage = Schemas['AbuseFlagsPage']
export type AbuseFlagKind = Schemas['AbuseFlagKind']
/** The admin overview (`/admin/overview`): counts, messages per day, media, node health. */
export type AdminOverview = Schemas['AdminOverview']
export type NodeHealthDto = Schemas['NodeHealthDto']
export type DayCountDto = Schemas['DayCountDto']
/** My uploads against my media quota (`/me/media-usage`). */
export type MediaUsage = Schemas['MediaUsage']

// --- errors ---------------------------------------------------------------------------------
export type ErrorBody = Schemas['ErrorBody']
export type FieldError = Schemas['FieldError']

// --- the socket -----------------------------------------------------------------------------
/**
 * What the server sends on the socket: the document's `Event` without `privacy.updated`, which
 * only travels between the ws nodes (they never forward it).
 */
export type ServerEvent = Exclude<Schemas['Event'], { type: 'privacy.updated' }>
export type ClientEvent = Schemas['ClientEvent']
/** `POST /auth/ws-ticket`: the single-use ticket of the socket's address. */
export type WsTicketDto = Schemas['WsTicketDto']
export type TypingEvent = Schemas['TypingEvent']
/** A user hiding their last seen from me always comes as `online: false, last_seen_at: null`. */
export type PresenceEvent = Schemas['PresenceEvent']
export type ConversationUpdated = Schemas['ConversationUpdated']
/** What others see of a user changed (name, bio, avatar, status). */
export type UserUpdated = Schemas['UserUpdated']
