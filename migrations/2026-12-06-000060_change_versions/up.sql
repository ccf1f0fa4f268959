-- Change versions: a client back from a disconnect asks for the messages changed since the
-- version it holds (`GET /conversations/{id}/messages?changed_since=`). Every edit, deletion
-- (the author's, a group admin's or a moderator's) and reaction change bumps its conversation's
-- counter (an UPDATE of the row, so versions of one conversation commit in order) and stamps the
-- changed message with the new value. 0: never changed. Nothing is backfilled: no client holds
-- a version from before this migration (the first page a client loads gives it one).
ALTER TABLE conversations ADD COLUMN change_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN change_version BIGINT NOT NULL DEFAULT 0;
-- One message per version of a conversation (each bump stamps one message); serves
-- `change_version > $since ORDER BY change_version` per conversation.
CREATE UNIQUE INDEX messages_change_version_key ON messages (conversation_id, change_version) WHERE change_version > 0;
