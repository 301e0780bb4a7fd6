-- zcrmsync: the columns of one table: name, type, nullable (YES/NO), and
-- whether = is looser than the text (always NO here: the capture compares
-- every column as bytes anyway), in order. No rows when the table does not
-- exist.
-- Tokens: none. Parameters: 1 the database (NULL: the current one), 2 the table.
SELECT column_name, column_type, is_nullable, 'NO'
  FROM information_schema.columns
 WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?
 ORDER BY ordinal_position
