-- The admin overview counts messages per day over the last 30 days and who sent any lately:
-- without this index both read every message.
CREATE INDEX messages_created_at_idx ON messages (created_at);
