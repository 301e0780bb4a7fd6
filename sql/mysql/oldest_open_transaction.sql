-- zcrmsync: when the oldest open transaction started, and the server's time
-- now. A gap in the change ids can only still fill if a transaction that was
-- open when the gap was first seen is still open. Needs the PROCESS privilege
-- (without it the reader falls back to a timeout).
-- Tokens: none. No parameters.
SELECT MIN(trx_started), NOW(6) FROM information_schema.INNODB_TRX
