-- A refresh token presented again within seconds of its rotation (its answer was lost, or a
-- second tab raced the first) is answered once more with the same successor, which is derived
-- from it (HMAC under the server's secret) and never stored. This records that the one extra
-- answer was given: another reuse revokes the family. Nullable: older replicas never set it.
ALTER TABLE refresh_tokens ADD COLUMN replay_answered_at TIMESTAMPTZ;
