-- zcrmsync: removes the agent's own objects, SQL Server. The schema is
-- dropped only when nothing else is left in it.
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${schema_version} ${changes} ${links} ${state} ${errors}
--   ${conflicts} (quoted identifiers), ${schema_literal} (the schema name as
--   an N'' literal), ${drop_schema_literal} (DROP SCHEMA as an N'' literal).
--   No parameters. Idempotent.
DROP TABLE IF EXISTS ${conflicts}
GO
DROP TABLE IF EXISTS ${errors}
GO
DROP TABLE IF EXISTS ${state}
GO
DROP TABLE IF EXISTS ${links}
GO
DROP TABLE IF EXISTS ${changes}
GO
DROP TABLE IF EXISTS ${schema_version}
GO
IF SCHEMA_ID(${schema_literal}) IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM sys.objects WHERE schema_id = SCHEMA_ID(${schema_literal}))
  EXEC sp_executesql ${drop_schema_literal}
