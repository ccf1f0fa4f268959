-- Every statement that writes outbox rows sends `NOTIFY chat_outbox` (delivered at commit; the
-- leading relay of any replica listens: api-server/src/outbox/listen.rs). Before, the insert
-- itself carried the NOTIFY (`WITH row AS (INSERT …) SELECT pg_notify(…)`), a raw statement
-- that was parsed and planned on every send; the insert is now a plain one, prepared once per
-- connection (shared::db::prepared), and no writer can forget the wake-up. PostgreSQL folds the
-- notifications of one transaction with the same channel and payload into one.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('chat_outbox', '');
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
