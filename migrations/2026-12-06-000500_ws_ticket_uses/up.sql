-- WebSocket tickets already used: single use, cluster-wide, whatever Memcached does. A ws node
-- inserts a ticket's id when it redeems it (`INSERT ... ON CONFLICT DO NOTHING`, batched); a
-- second redeem finds the row. A row is needed while its ticket can still be verified
-- (`expires_at` plus the verifier's leeway); the ws nodes sweep rows a minute past it.
-- No index beside the key: the table holds about a minute and a half of connects.
CREATE TABLE ws_ticket_uses (
    jti uuid PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
