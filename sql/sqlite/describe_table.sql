-- zcrmsync: the columns of one table: name, type, nullable (YES/NO), and
-- whether = is looser than the text (always NO here: the catalogue does
-- not show the collation of a column, and the capture compares every
-- column with COLLATE BINARY anyway), in order. No rows when the table does
-- not exist.
-- Tokens: none. Parameters: 1 the table.
SELECT name, type, CASE WHEN "notnull" = 1 OR pk > 0 THEN 'NO' ELSE 'YES' END, 'NO'
  FROM pragma_table_info(?)
 ORDER BY cid
