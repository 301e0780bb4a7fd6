-- zcrmsync: when the oldest open writing transaction started, and the
-- server's time now (for status and diagnostics; the reader itself relies on
-- the snapshot's xmin).
-- Tokens: none. No parameters.
SELECT MIN(xact_start) AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
  FROM pg_stat_activity WHERE backend_xid IS NOT NULL
