-- zcrmsync: how many rows one mapped table holds (check and plan warn before
-- a first sync without match_fields would duplicate them).
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${table} (quoted, qualified). No parameters.
SELECT COUNT_BIG(*) FROM ${table}
