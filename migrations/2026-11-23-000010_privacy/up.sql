-- Privacy settings and a custom status. Audiences: 'everyone', 'contacts' (the people this user
-- added to their contacts) or 'nobody'.
ALTER TABLE users ADD COLUMN last_seen_visibility TEXT NOT NULL DEFAULT 'everyone'
    CHECK (last_seen_visibility IN ('everyone', 'contacts', 'nobody'));   -- online and last seen
ALTER TABLE users ADD COLUMN read_receipts BOOLEAN NOT NULL DEFAULT true; -- off: hidden both ways
ALTER TABLE users ADD COLUMN direct_messages TEXT NOT NULL DEFAULT 'everyone'
    CHECK (direct_messages IN ('everyone', 'contacts', 'nobody'));        -- who may start a chat
ALTER TABLE users ADD COLUMN group_adds TEXT NOT NULL DEFAULT 'everyone'
    CHECK (group_adds IN ('everyone', 'contacts', 'nobody'));             -- who may add me
ALTER TABLE users ADD COLUMN status_text TEXT;
ALTER TABLE users ADD COLUMN status_emoji TEXT;
