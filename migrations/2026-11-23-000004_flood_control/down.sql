DROP TABLE abuse_flags;
ALTER TABLE users DROP COLUMN send_limited_until;
