-- zcrmsync: the step between change ids and the first of them. Read only by
-- the MySQL reader, which waits at gaps in the ids; PostgreSQL reads in txid
-- order below the snapshot's xmin, so any step will do.
-- Tokens: none. No parameters.
SELECT 1, 1
