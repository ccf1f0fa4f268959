DROP TABLE oidc_codes;
DROP TABLE oidc_identities;
DROP TABLE oidc_logins;
