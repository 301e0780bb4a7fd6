-- zcrmsync: the step between change ids and the first of them. Read only by
-- the MySQL reader, which waits at gaps in the ids; SQLite has one writer at a
-- time, so its ids commit in order.
-- Tokens: none. No parameters.
SELECT 1, 1
