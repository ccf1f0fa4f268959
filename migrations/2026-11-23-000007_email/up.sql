-- An email address per account (optional): verified by a link, used for password resets and
-- for linking an OpenID Connect login to an existing account (verified addresses only).
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMPTZ;
-- One account per address, whatever its case.
CREATE UNIQUE INDEX users_email_lower_idx ON users (lower(email));
