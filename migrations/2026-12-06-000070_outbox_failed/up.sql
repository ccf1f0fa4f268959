-- An outbox row that does not decode (a routing key or payload no node could read) is set aside
-- by the relay instead of being published: `failed_at` and why. Such rows are no longer pending
-- (the rows behind them go on) and are kept for an operator (never pruned).
ALTER TABLE outbox ADD COLUMN failed_at timestamptz, ADD COLUMN failure text;
