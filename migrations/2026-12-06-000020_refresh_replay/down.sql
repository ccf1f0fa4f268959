ALTER TABLE refresh_tokens DROP COLUMN replay_answered_at;
