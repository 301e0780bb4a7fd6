-- zcrmsync: removes the agent's own objects, PostgreSQL. The schema itself is
-- dropped only when nothing else is left in it (RESTRICT).
-- Tokens: ${schema} ${schema_version} ${changes} ${links} ${state} ${errors}
--   ${conflicts} (quoted identifiers). No parameters. Idempotent.
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
DROP SCHEMA IF EXISTS ${schema} RESTRICT
