-- Stored media whose row is gone (its message was deleted and nothing else uses it): the key is
-- written in the transaction that deletes the row, and a sweeper in every api-server deletes the
-- bytes and then the key. A crash between the two only repeats a deletion.
CREATE TABLE media_trash (
    storage_key TEXT        PRIMARY KEY,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
