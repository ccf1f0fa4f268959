-- Administration: suspensions end sessions at once, users report messages to admins.

-- Access tokens carry the version current when they were issued; bumping it refuses every
-- older token at once (suspension; later password reset, "log out everywhere"). Refresh
-- tokens are revoked in their own table.
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN suspension_reason TEXT;

CREATE TABLE reports (
    id           BIGSERIAL PRIMARY KEY,
    message_id   BIGINT      NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    reporter_id  BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason       TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    resolved_at  TIMESTAMPTZ,
    resolved_by  BIGINT      REFERENCES users (id) ON DELETE SET NULL,
    -- dismissed | message_deleted | user_suspended
    resolution   TEXT        CHECK (resolution IN ('dismissed', 'message_deleted', 'user_suspended')),
    CONSTRAINT reports_once_per_reporter UNIQUE (message_id, reporter_id),
    CONSTRAINT reports_resolved_together CHECK ((resolved_at IS NULL) = (resolution IS NULL))
);
-- The admins' queue: open reports, oldest first.
CREATE INDEX reports_open_idx ON reports (id) WHERE resolved_at IS NULL;
