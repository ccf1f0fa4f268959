-- Flood control: a temporary send limit per account, and the record admins review.
ALTER TABLE users ADD COLUMN send_limited_until TIMESTAMPTZ;

CREATE TABLE abuse_flags (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- repeated_messages | new_chats
    kind          TEXT        NOT NULL CHECK (kind IN ('repeated_messages', 'new_chats')),
    detail        TEXT        NOT NULL,
    limited_until TIMESTAMPTZ NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX abuse_flags_user_idx ON abuse_flags (user_id);
