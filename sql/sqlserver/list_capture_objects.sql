-- zcrmsync: the triggers on one table: kind, name, definition (the
-- CREATE TRIGGER text as stored).
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: none. Parameters: 1 the quoted, qualified table name as text.
SELECT 'trigger', t.name, OBJECT_DEFINITION(t.object_id)
  FROM sys.triggers AS t
 WHERE t.parent_id = OBJECT_ID(?)
