-- The relay deletes an outbox row once the broker has confirmed it. Before, it set
-- published_at and a sweep deleted the row a day later: the table then held a day of sends, and
-- every dead entry of the pending index (an UPDATE leaves one behind until VACUUM) was visited
-- again by each read of the pending rows, which cost more CPU than the sends themselves.
-- published_at stays (always NULL from now on) so that older binaries still run during a roll.
DELETE FROM outbox WHERE published_at IS NOT NULL;
DROP INDEX outbox_pending_idx;
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE published_at IS NULL AND failed_at IS NULL;
-- A queue table: vacuum it after a fixed number of dead rows (the default is 20 % of a table
-- that is nearly empty between bursts, i.e. almost never relative to its churn), without the
-- cost-based pauses.
ALTER TABLE outbox SET (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 20000,
    autovacuum_vacuum_cost_delay = 0
);
