-- zcrmsync: the triggers on one table and the capture function: kind, name,
-- definition (the function's body; triggers are checked by name).
-- Tokens: none. Parameters: 1 the quoted, qualified table name as text,
--   2 the function's quoted, qualified signature as text.
SELECT 'trigger', t.tgname::text, ''
  FROM pg_trigger t WHERE t.tgrelid = to_regclass(?) AND NOT t.tgisinternal
UNION ALL
SELECT 'function', p.proname::text, p.prosrc
  FROM pg_proc p WHERE p.oid = to_regprocedure(?)
