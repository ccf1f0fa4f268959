DROP TABLE recovery_codes;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_pending_secret;
ALTER TABLE users DROP COLUMN totp_secret;
