-- zcrmsync: removes the agent's own objects, MySQL/MariaDB. The agent's
-- database is left in place (MySQL cannot drop it only when empty); drop it
-- by hand once it is empty.
-- Tokens: ${schema_version} ${changes} ${links} ${state} ${errors}
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
