-- zcrmsync: the columns of one table: name, type, nullable (YES/NO), and
-- whether = is looser than the text (YES/NO: every character type, as
-- SQL Server pads trailing spaces in comparisons and collations are mostly
-- case-insensitive; the capture then compares the bytes), in order. No rows
-- when the table does not exist.
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: none. Parameters: 1 the quoted, qualified table name as text.
SELECT c.name, TYPE_NAME(c.user_type_id), CASE WHEN c.is_nullable = 1 THEN 'YES' ELSE 'NO' END,
       CASE WHEN TYPE_NAME(c.system_type_id) IN (N'char', N'varchar', N'nchar', N'nvarchar',
                                                 N'text', N'ntext') THEN 'YES' ELSE 'NO' END
  FROM sys.columns AS c
 WHERE c.object_id = OBJECT_ID(?)
 ORDER BY c.column_id
