-- zcrmsync: removes the agent's own objects, SQLite.
-- Tokens: ${schema_version} ${changes} ${links} ${state} ${errors}
--   ${conflicts} ${suppress} (quoted identifiers). No parameters. Idempotent.
DROP TABLE IF EXISTS ${suppress}
GO
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
