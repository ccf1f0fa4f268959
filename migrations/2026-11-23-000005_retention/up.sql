-- Disappearing messages: a conversation may keep its messages for N days only.
ALTER TABLE conversations ADD COLUMN retention_days INTEGER CHECK (retention_days BETWEEN 1 AND 365);
CREATE INDEX conversations_retention_idx ON conversations (id) WHERE retention_days IS NOT NULL;
