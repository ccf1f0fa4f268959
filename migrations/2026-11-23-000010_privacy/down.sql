ALTER TABLE users DROP COLUMN status_emoji;
ALTER TABLE users DROP COLUMN status_text;
ALTER TABLE users DROP COLUMN group_adds;
ALTER TABLE users DROP COLUMN direct_messages;
ALTER TABLE users DROP COLUMN read_receipts;
ALTER TABLE users DROP COLUMN last_seen_visibility;
