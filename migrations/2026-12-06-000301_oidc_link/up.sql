-- A flow started from Settings to link a provider to the signed-in account (not to sign in):
-- the callback links the identity to this user instead of handing out a sign-in code.
ALTER TABLE oidc_logins ADD COLUMN link_user_id bigint REFERENCES users (id) ON DELETE CASCADE;
