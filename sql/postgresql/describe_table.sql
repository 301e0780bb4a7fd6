-- zcrmsync: the columns of one table: name, type, nullable (YES/NO), and
-- whether = is looser than the text (YES/NO: citext, an array or domain
-- of it, or a nondeterministic collation; the capture then compares the
-- text), in order. No rows when the table does not exist.
-- Tokens: none. Parameters: 1 the quoted, qualified table name as text.
SELECT a.attname, format_type(a.atttypid, a.atttypmod),
       CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END,
       CASE WHEN NOT COALESCE(co.collisdeterministic, true)
              OR 'citext' IN (t.typname, bt.typname, et.typname) THEN 'YES' ELSE 'NO' END
  FROM pg_attribute a
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
  LEFT JOIN pg_type et ON et.oid = t.typelem
  LEFT JOIN pg_collation co ON co.oid = a.attcollation
 WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum
