-- A member removed by an admin: invite links created before `removed_at` no longer let them
-- back in (leaving voluntarily records nothing). An admin adding them again deletes the row.
CREATE TABLE group_removals (
    group_id   BIGINT      NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    removed_by BIGINT      REFERENCES users (id) ON DELETE SET NULL,
    removed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, user_id)
);
