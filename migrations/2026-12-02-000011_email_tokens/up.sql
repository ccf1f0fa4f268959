-- Single-use tokens sent by email: 'verify' proves an address (24 h), 'reset' sets a new
-- password (1 h). Only the SHA-256 of the random token is stored; the token itself exists only
-- in the mail. `email` is the address the token was sent to: a verify token proves that address
-- only, so changing the address makes older verify tokens useless.
CREATE TABLE email_tokens (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT        NOT NULL CHECK (purpose IN ('verify', 'reset')),
    email      TEXT        NOT NULL,
    token_hash TEXT        NOT NULL UNIQUE,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX email_tokens_user_purpose_idx ON email_tokens (user_id, purpose);
