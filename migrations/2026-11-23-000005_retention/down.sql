DROP INDEX conversations_retention_idx;
ALTER TABLE conversations DROP COLUMN retention_days;
