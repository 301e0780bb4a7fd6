-- zcrmsync: the columns of every primary or unique key of one table, one row
-- per (key, column).
-- Tokens: none. Parameters: 1 the database (NULL: the current one), 2 the table.
SELECT index_name, column_name
  FROM information_schema.statistics
 WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? AND non_unique = 0
