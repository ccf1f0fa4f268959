-- OpenID Connect sign-in.
-- A started flow, until its callback: found by the hash of `state` (the state itself only lives
-- in the browser's redirect), used once, 10 minutes at most.
CREATE TABLE oidc_logins (
    state_hash TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    redirect_after TEXT,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX oidc_logins_expires_idx ON oidc_logins (expires_at);

-- Who a provider's subject is here. Linked once; later sign-ins find the account by (provider, sub).
CREATE TABLE oidc_identities (
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, subject)
);
CREATE INDEX oidc_identities_user_idx ON oidc_identities (user_id);

-- The one-time code the callback hands to the web client (`/oidc?code=`): exchanged once for the
-- login answer by POST /api/auth/oidc/complete, within 60 seconds. Stored hashed.
CREATE TABLE oidc_codes (
    code_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
