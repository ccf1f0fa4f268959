ALTER TABLE oidc_codes DROP COLUMN binding_hash;
