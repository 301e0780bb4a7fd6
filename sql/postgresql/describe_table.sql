-- zcrmsync: the columns of one table: name, type, nullable (YES/NO), in
-- order. No rows when the table does not exist.
-- Tokens: none. Parameters: 1 the quoted, qualified table name as text.
SELECT a.attname, format_type(a.atttypid, a.atttypmod),
       CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END
  FROM pg_attribute a
 WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum
