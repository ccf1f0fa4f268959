-- Two-factor authentication with TOTP (RFC 6238) and single-use recovery codes.
ALTER TABLE users ADD COLUMN totp_secret TEXT;          -- base32; set while 2FA is on
ALTER TABLE users ADD COLUMN totp_pending_secret TEXT;  -- an enrolment not confirmed yet
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;     -- the last accepted time step: a code works once

CREATE TABLE recovery_codes (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT        NOT NULL UNIQUE,
    used_at    TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);
