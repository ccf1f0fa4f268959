-- The one-time code of a finished OpenID Connect sign-in is bound to the browser that finished
-- it: the callback sets a random value in a cookie and stores its SHA-256 here; completing the
-- code needs that cookie (an attacker's code opened in a victim's browser does nothing).
-- Nullable for a rolling upgrade: a code without a binding (made by an older replica within its
-- 60 seconds) is refused by the newer ones, and the user signs in again.
ALTER TABLE oidc_codes ADD COLUMN binding_hash TEXT;
