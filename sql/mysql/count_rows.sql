-- zcrmsync: how many rows one mapped table holds (check and plan warn before
-- a first sync without match_fields would duplicate them).
-- Tokens: ${table} (quoted, qualified). No parameters.
SELECT COUNT(*) FROM ${table}
