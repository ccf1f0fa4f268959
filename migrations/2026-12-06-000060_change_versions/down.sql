DROP INDEX messages_change_version_key;
ALTER TABLE messages DROP COLUMN change_version;
ALTER TABLE conversations DROP COLUMN change_version;
