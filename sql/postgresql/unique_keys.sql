-- zcrmsync: the columns of every primary or unique key of one table, one row
-- per (key, column). Partial and expression indexes are left out: they do
-- not make a column set unique for every row.
-- Tokens: none. Parameters: 1 the quoted, qualified table name as text.
SELECT c.relname::text, a.attname::text
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
 WHERE i.indrelid = to_regclass(?) AND i.indisunique AND i.indpred IS NULL
   AND i.indexprs IS NULL
