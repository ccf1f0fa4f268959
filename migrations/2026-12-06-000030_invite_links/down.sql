ALTER TABLE invites DROP COLUMN token_seed;
