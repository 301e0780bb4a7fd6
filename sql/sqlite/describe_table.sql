-- zcrmsync: the columns of one table: name, type, nullable (YES/NO), in
-- order. No rows when the table does not exist.
-- Tokens: none. Parameters: 1 the table.
SELECT name, type, CASE WHEN "notnull" = 1 OR pk > 0 THEN 'NO' ELSE 'YES' END
  FROM pragma_table_info(?)
 ORDER BY cid
