ALTER TABLE users DROP COLUMN dnd_until;
