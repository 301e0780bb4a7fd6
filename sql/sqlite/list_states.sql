-- zcrmsync: the sync state entries whose names start with a prefix, e.g.
-- the CRM records `errors retry` asked the next pull to fetch again.
-- Tokens: ${state} (a quoted identifier). Parameters: 1 prefix, 2 prefix.
SELECT name, value FROM ${state} WHERE substr(name, 1, length(?)) = ? ORDER BY name
