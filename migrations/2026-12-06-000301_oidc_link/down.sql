ALTER TABLE oidc_logins DROP COLUMN link_user_id;
