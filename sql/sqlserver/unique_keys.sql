-- zcrmsync: the columns of every primary or unique key of one table, one row
-- per (key, column). Filtered indexes are left out.
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: none. Parameters: 1 the quoted, qualified table name as text.
SELECT i.name, c.name
  FROM sys.indexes AS i
  INNER JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
  INNER JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
 WHERE i.object_id = OBJECT_ID(?) AND i.is_unique = 1 AND ic.is_included_column = 0
   AND i.has_filter = 0
