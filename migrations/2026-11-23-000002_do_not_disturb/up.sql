-- Do-not-disturb per user: no notifications until this time (far future = until turned off).
ALTER TABLE users ADD COLUMN dnd_until TIMESTAMPTZ;
