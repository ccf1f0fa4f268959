-- Initial schema of the chat cluster (see ARCHITECTURE.md, "Data model").
-- Ids are bigserial; times are timestamptz (UTC). Per-conversation `seq` is assigned by
-- `UPDATE conversations SET last_seq = last_seq + 1 ... RETURNING last_seq` in the send transaction.

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT        NOT NULL CHECK (username ~ '^[a-z0-9_.]{3,32}$'),
    display_name  TEXT        NOT NULL,
    password_hash TEXT        NOT NULL,
    bio           TEXT        NOT NULL DEFAULT '',
    avatar_id     BIGINT,
    role          TEXT        NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at  TIMESTAMPTZ,
    suspended_at  TIMESTAMPTZ
);
-- Case-insensitive uniqueness, and the prefix search of GET /users?q=.
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE INDEX users_username_prefix_idx ON users (lower(username) text_pattern_ops);
CREATE INDEX users_display_name_prefix_idx ON users (lower(display_name) text_pattern_ops);

-- Opaque refresh tokens, stored as SHA-256. A family is one login; every refresh rotates the
-- token inside the family; presenting a rotated one revokes the whole family.
CREATE TABLE refresh_tokens (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id    UUID        NOT NULL,
    token_hash   TEXT        NOT NULL UNIQUE,
    expires_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ,
    replaced_by  BIGINT      REFERENCES refresh_tokens (id) ON DELETE SET NULL,
    user_agent   TEXT,
    ip           TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE contacts (
    owner_id   BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    contact_id BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    alias      TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (owner_id, contact_id),
    CHECK (owner_id <> contact_id)
);

CREATE TABLE blocks (
    blocker_id BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
);
CREATE INDEX blocks_blocked_idx ON blocks (blocked_id);

CREATE TABLE attachments (
    id           BIGSERIAL PRIMARY KEY,
    owner_id     BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content_type TEXT        NOT NULL,
    size         BIGINT      NOT NULL CHECK (size >= 0),
    file_name    TEXT,
    storage_key  TEXT        NOT NULL UNIQUE,
    thumb_key    TEXT,
    width        INTEGER,
    height       INTEGER,
    duration_ms  INTEGER,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX attachments_owner_idx ON attachments (owner_id);
ALTER TABLE users ADD CONSTRAINT users_avatar_fk FOREIGN KEY (avatar_id) REFERENCES attachments (id) ON DELETE SET NULL;

CREATE TABLE groups (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT        NOT NULL,
    description TEXT        NOT NULL DEFAULT '',
    avatar_id   BIGINT      REFERENCES attachments (id) ON DELETE SET NULL,
    created_by  BIGINT      NOT NULL REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE group_members (
    group_id  BIGINT      NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id   BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role      TEXT        NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
    joined_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user_idx ON group_members (user_id);
-- Exactly one owner per group.
CREATE UNIQUE INDEX group_members_one_owner ON group_members (group_id) WHERE role = 'owner';

CREATE TABLE invites (
    id          BIGSERIAL PRIMARY KEY,
    group_id    BIGINT      NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    token_hash  TEXT        NOT NULL UNIQUE,
    created_by  BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  TIMESTAMPTZ,
    max_uses    INTEGER     CHECK (max_uses IS NULL OR max_uses > 0),
    uses        INTEGER     NOT NULL DEFAULT 0,
    revoked_at  TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX invites_group_idx ON invites (group_id);

-- A direct chat is one conversation with two members; (direct_low, direct_high) is the ordered
-- pair and unique, so get-or-create cannot make two. Every channel of a group is a conversation.
CREATE TABLE conversations (
    id              BIGSERIAL PRIMARY KEY,
    kind            TEXT        NOT NULL CHECK (kind IN ('direct', 'channel')),
    group_id        BIGINT      REFERENCES groups (id) ON DELETE CASCADE,
    name            TEXT,
    direct_low      BIGINT      REFERENCES users (id) ON DELETE CASCADE,
    direct_high     BIGINT      REFERENCES users (id) ON DELETE CASCADE,
    last_seq        BIGINT      NOT NULL DEFAULT 0,
    last_message_at TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((kind = 'direct' AND group_id IS NULL AND direct_low < direct_high AND name IS NULL)
        OR (kind = 'channel' AND group_id IS NOT NULL AND name IS NOT NULL AND direct_low IS NULL AND direct_high IS NULL))
);
CREATE UNIQUE INDEX conversations_direct_pair_key ON conversations (direct_low, direct_high) WHERE kind = 'direct';
CREATE UNIQUE INDEX conversations_channel_name_key ON conversations (group_id, lower(name)) WHERE kind = 'channel';
CREATE INDEX conversations_group_idx ON conversations (group_id);

-- Per-member state of a conversation: receipts watermarks and "for me" chat management.
CREATE TABLE conversation_members (
    conversation_id    BIGINT      NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id            BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_delivered_seq BIGINT      NOT NULL DEFAULT 0,
    last_read_seq      BIGINT      NOT NULL DEFAULT 0,
    cleared_seq        BIGINT      NOT NULL DEFAULT 0,
    pinned_at          TIMESTAMPTZ,
    archived_at        TIMESTAMPTZ,
    muted_until        TIMESTAMPTZ,
    hidden_at          TIMESTAMPTZ,
    joined_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, user_id),
    CHECK (last_read_seq <= last_delivered_seq)
);
CREATE INDEX conversation_members_user_idx ON conversation_members (user_id);

CREATE TABLE messages (
    id              BIGSERIAL PRIMARY KEY,
    conversation_id BIGINT      NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             BIGINT      NOT NULL,
    sender_id       BIGINT      NOT NULL REFERENCES users (id),
    client_id       UUID        NOT NULL,
    kind            TEXT        NOT NULL CHECK (kind IN ('text', 'image', 'file', 'voice', 'system')),
    body            TEXT        NOT NULL DEFAULT '',
    attachment_id   BIGINT      REFERENCES attachments (id) ON DELETE SET NULL,
    reply_to_id     BIGINT      REFERENCES messages (id) ON DELETE SET NULL,
    edited_at       TIMESTAMPTZ,
    deleted_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    search_tsv      TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED,
    CONSTRAINT messages_conversation_seq_key UNIQUE (conversation_id, seq),
    CONSTRAINT messages_sender_client_key UNIQUE (sender_id, client_id)
);
CREATE INDEX messages_search_idx ON messages USING GIN (search_tsv);
CREATE INDEX messages_attachment_idx ON messages (attachment_id) WHERE attachment_id IS NOT NULL;

CREATE TABLE reactions (
    message_id BIGINT      NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji      TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, user_id, emoji)
);

-- Transactional outbox: written in the same transaction as the change it announces; the relay
-- publishes pending rows (FOR UPDATE SKIP LOCKED) and sets published_at after the broker confirm.
CREATE TABLE outbox (
    id           BIGSERIAL PRIMARY KEY,
    routing_key  TEXT        NOT NULL,
    cc           TEXT[]      NOT NULL DEFAULT '{}',
    payload      JSONB       NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ
);
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE published_at IS NULL;
