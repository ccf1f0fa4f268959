-- Invite links admins can copy again: the token is HMAC(key derived from JWT_SECRET, seed), so
-- the database keeps only the seed and the token's hash (a database dump gives no usable link).
-- Links made before this migration have no seed: they work, but cannot be shown again.
ALTER TABLE invites ADD COLUMN token_seed TEXT;
