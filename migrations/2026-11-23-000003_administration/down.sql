DROP TABLE reports;
ALTER TABLE users DROP COLUMN suspension_reason;
ALTER TABLE users DROP COLUMN token_version;
