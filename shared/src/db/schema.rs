// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "tsvector", schema = "pg_catalog"))]
    pub struct Tsvector;
}

diesel::table! {
    abuse_flags (id) {
        id -> Int8,
        user_id -> Int8,
        kind -> Text,
        detail -> Text,
        limited_until -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    attachments (id) {
        id -> Int8,
        owner_id -> Int8,
        content_type -> Text,
        size -> Int8,
        file_name -> Nullable<Text>,
        storage_key -> Text,
        thumb_key -> Nullable<Text>,
        width -> Nullable<Int4>,
        height -> Nullable<Int4>,
        duration_ms -> Nullable<Int4>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    blocks (blocker_id, blocked_id) {
        blocker_id -> Int8,
        blocked_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    contacts (owner_id, contact_id) {
        owner_id -> Int8,
        contact_id -> Int8,
        alias -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    conversation_members (conversation_id, user_id) {
        conversation_id -> Int8,
        user_id -> Int8,
        last_delivered_seq -> Int8,
        last_read_seq -> Int8,
        cleared_seq -> Int8,
        pinned_at -> Nullable<Timestamptz>,
        archived_at -> Nullable<Timestamptz>,
        muted_until -> Nullable<Timestamptz>,
        hidden_at -> Nullable<Timestamptz>,
        joined_at -> Timestamptz,
    }
}

diesel::table! {
    conversations (id) {
        id -> Int8,
        kind -> Text,
        group_id -> Nullable<Int8>,
        name -> Nullable<Text>,
        direct_low -> Nullable<Int8>,
        direct_high -> Nullable<Int8>,
        last_seq -> Int8,
        last_message_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        retention_days -> Nullable<Int4>,
        change_version -> Int8,
    }
}

diesel::table! {
    email_tokens (id) {
        id -> Int8,
        user_id -> Int8,
        purpose -> Text,
        email -> Text,
        token_hash -> Text,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    group_members (group_id, user_id) {
        group_id -> Int8,
        user_id -> Int8,
        role -> Text,
        joined_at -> Timestamptz,
    }
}

diesel::table! {
    group_removals (group_id, user_id) {
        group_id -> Int8,
        user_id -> Int8,
        removed_by -> Nullable<Int8>,
        removed_at -> Timestamptz,
    }
}

diesel::table! {
    groups (id) {
        id -> Int8,
        name -> Text,
        description -> Text,
        avatar_id -> Nullable<Int8>,
        created_by -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    invites (id) {
        id -> Int8,
        group_id -> Int8,
        token_hash -> Text,
        created_by -> Int8,
        expires_at -> Nullable<Timestamptz>,
        max_uses -> Nullable<Int4>,
        uses -> Int4,
        revoked_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        token_seed -> Nullable<Text>,
    }
}

diesel::table! {
    media_trash (storage_key) {
        storage_key -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

    messages (id) {
        id -> Int8,
        conversation_id -> Int8,
        seq -> Int8,
        sender_id -> Int8,
        client_id -> Uuid,
        kind -> Text,
        body -> Text,
        attachment_id -> Nullable<Int8>,
        reply_to_id -> Nullable<Int8>,
        edited_at -> Nullable<Timestamptz>,
        deleted_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        search_tsv -> Nullable<Tsvector>,
        change_version -> Int8,
    }
}

diesel::table! {
    oidc_codes (code_hash) {
        code_hash -> Text,
        user_id -> Int8,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
        binding_hash -> Nullable<Text>,
    }
}

diesel::table! {
    oidc_identities (provider, subject) {
        provider -> Text,
        subject -> Text,
        user_id -> Int8,
        email -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    oidc_logins (state_hash) {
        state_hash -> Text,
        provider -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        redirect_after -> Nullable<Text>,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
        link_user_id -> Nullable<Int8>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Int8,
        routing_key -> Text,
        cc -> Array<Nullable<Text>>,
        payload -> Jsonb,
        created_at -> Timestamptz,
        published_at -> Nullable<Timestamptz>,
        failed_at -> Nullable<Timestamptz>,
        failure -> Nullable<Text>,
    }
}

diesel::table! {
    reactions (message_id, user_id, emoji) {
        message_id -> Int8,
        user_id -> Int8,
        emoji -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Int8,
        user_id -> Int8,
        code_hash -> Text,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Int8,
        user_id -> Int8,
        family_id -> Uuid,
        token_hash -> Text,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        replaced_by -> Nullable<Int8>,
        user_agent -> Nullable<Text>,
        ip -> Nullable<Text>,
        created_at -> Timestamptz,
        replay_answered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    reports (id) {
        id -> Int8,
        message_id -> Int8,
        reporter_id -> Int8,
        reason -> Text,
        created_at -> Timestamptz,
        resolved_at -> Nullable<Timestamptz>,
        resolved_by -> Nullable<Int8>,
        resolution -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        bio -> Text,
        avatar_id -> Nullable<Int8>,
        role -> Text,
        created_at -> Timestamptz,
        last_seen_at -> Nullable<Timestamptz>,
        suspended_at -> Nullable<Timestamptz>,
        dnd_until -> Nullable<Timestamptz>,
        token_version -> Int4,
        suspension_reason -> Nullable<Text>,
        send_limited_until -> Nullable<Timestamptz>,
        totp_secret -> Nullable<Text>,
        totp_pending_secret -> Nullable<Text>,
        totp_last_step -> Nullable<Int8>,
        email -> Nullable<Text>,
        email_verified_at -> Nullable<Timestamptz>,
        last_seen_visibility -> Text,
        read_receipts -> Bool,
        direct_messages -> Text,
        group_adds -> Text,
        status_text -> Nullable<Text>,
        status_emoji -> Nullable<Text>,
        theme -> Text,
    }
}

diesel::table! {
    ws_ticket_uses (jti) {
        jti -> Uuid,
        expires_at -> Timestamptz,
    }
}

diesel::joinable!(abuse_flags -> users (user_id));
diesel::joinable!(conversation_members -> conversations (conversation_id));
diesel::joinable!(conversation_members -> users (user_id));
diesel::joinable!(conversations -> groups (group_id));
diesel::joinable!(email_tokens -> users (user_id));
diesel::joinable!(group_members -> groups (group_id));
diesel::joinable!(group_members -> users (user_id));
diesel::joinable!(group_removals -> groups (group_id));
diesel::joinable!(groups -> attachments (avatar_id));
diesel::joinable!(groups -> users (created_by));
diesel::joinable!(invites -> groups (group_id));
diesel::joinable!(invites -> users (created_by));
diesel::joinable!(messages -> attachments (attachment_id));
diesel::joinable!(messages -> conversations (conversation_id));
diesel::joinable!(messages -> users (sender_id));
diesel::joinable!(oidc_codes -> users (user_id));
diesel::joinable!(oidc_identities -> users (user_id));
diesel::joinable!(reactions -> messages (message_id));
diesel::joinable!(reactions -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(reports -> messages (message_id));

diesel::allow_tables_to_appear_in_same_query!(
    abuse_flags,
    attachments,
    blocks,
    contacts,
    conversation_members,
    conversations,
    email_tokens,
    group_members,
    group_removals,
    groups,
    invites,
    media_trash,
    messages,
    oidc_codes,
    oidc_identities,
    oidc_logins,
    outbox,
    reactions,
    recovery_codes,
    reports,
    refresh_tokens,
    users,
    ws_ticket_uses,
);
