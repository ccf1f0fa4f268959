//! Every error code the API and the socket refusals answer with. The code is the contract
//! (`{"error":{"code":"…"}}`): clients switch on these strings, so a variant's string never
//! changes; compare codes as values of this enum, never as strings.

macro_rules! codes {
    ($($variant:ident => $text:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($variant,)*
        }

        impl ErrorCode {
            /// Every code, for tests and documentation.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as clients see it (snake_case).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)*
                }
            }
        }
    };
}

codes! {
    AccountSuspended => "account_suspended",
    AdminOnly => "admin_only",
    BadBody => "bad_body",
    BadMultipart => "bad_multipart",
    BadRequest => "bad_request",
    Blocked => "blocked",
    BrokerUnavailable => "broker_unavailable",
    CannotSuspendSelf => "cannot_suspend_self",
    ChannelNameTaken => "channel_name_taken",
    ChannelNotFound => "channel_not_found",
    ClientIdRace => "client_id_race",
    ClientIdReused => "client_id_reused",
    CodeExchangeFailed => "code_exchange_failed",
    ConflictRetry => "conflict_retry",
    ContactNotFound => "contact_not_found",
    ConversationNotFound => "conversation_not_found",
    DatabaseUnavailable => "database_unavailable",
    DirectMessagesNotAllowed => "direct_messages_not_allowed",
    EmailAlreadyVerified => "email_already_verified",
    EmailTaken => "email_taken",
    GroupAddNotAllowed => "group_add_not_allowed",
    GroupFull => "group_full",
    GroupNotFound => "group_not_found",
    IdTokenExpired => "id_token_expired",
    IdentityInUse => "identity_in_use",
    IdentityNotFound => "identity_not_found",
    InsufficientRole => "insufficient_role",
    Internal => "internal",
    InvalidCode => "invalid_code",
    InvalidCredentials => "invalid_credentials",
    InvalidIdToken => "invalid_id_token",
    InvalidMedia => "invalid_media",
    InvalidMfaToken => "invalid_mfa_token",
    InvalidOidcCode => "invalid_oidc_code",
    InvalidPassword => "invalid_password",
    InvalidQuery => "invalid_query",
    InvalidRefreshToken => "invalid_refresh_token",
    InvalidTicket => "invalid_ticket",
    InvalidToken => "invalid_token",
    InviteExpired => "invite_expired",
    InviteNotFound => "invite_not_found",
    InviteRevoked => "invite_revoked",
    LastChannel => "last_channel",
    LastSignInMethod => "last_sign_in_method",
    MalformedJson => "malformed_json",
    MediaNotFound => "media_not_found",
    MediaQuotaExceeded => "media_quota_exceeded",
    MediaTooLarge => "media_too_large",
    MemberNotFound => "member_not_found",
    MessageDeleted => "message_deleted",
    MessageNotFound => "message_not_found",
    MethodNotAllowed => "method_not_allowed",
    MfaTokenExpired => "mfa_token_expired",
    MissingFile => "missing_file",
    MissingToken => "missing_token",
    NoEmail => "no_email",
    NoEnrolment => "no_enrolment",
    NonceMismatch => "nonce_mismatch",
    NotFound => "not_found",
    NotMessageAuthor => "not_message_author",
    OidcBrowserMismatch => "oidc_browser_mismatch",
    OidcCodeExpired => "oidc_code_expired",
    OriginNotAllowed => "origin_not_allowed",
    Overloaded => "overloaded",
    OwnerMustTransfer => "owner_must_transfer",
    PayloadTooLarge => "payload_too_large",
    ProviderError => "provider_error",
    ProviderUnavailable => "provider_unavailable",
    RateLimited => "rate_limited",
    RecentSignInRequired => "recent_sign_in_required",
    RefreshTokenReused => "refresh_token_reused",
    RemovedFromGroup => "removed_from_group",
    ReportNotFound => "report_not_found",
    RouteNotFound => "route_not_found",
    SendLimited => "send_limited",
    SessionNotFound => "session_not_found",
    SessionRevoked => "session_revoked",
    ShuttingDown => "shutting_down",
    StateExpired => "state_expired",
    StateMismatch => "state_mismatch",
    StateUnknown => "state_unknown",
    TokenExpired => "token_expired",
    TooManyChannels => "too_many_channels",
    TooManySockets => "too_many_sockets",
    TwoFactorOff => "two_factor_off",
    TwoFactorOn => "two_factor_on",
    UnknownProvider => "unknown_provider",
    UnsupportedMedia => "unsupported_media",
    UnsupportedMediaType => "unsupported_media_type",
    UploadsBusy => "uploads_busy",
    UserNotFound => "user_not_found",
    UsernameTaken => "username_taken",
    ValidationFailed => "validation_failed",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_snake_case_strings() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(s.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{s}");
            assert!(seen.insert(s), "{s} twice");
            assert_eq!(serde_json::to_value(code).expect("serializes"), serde_json::json!(s));
        }
    }
}
