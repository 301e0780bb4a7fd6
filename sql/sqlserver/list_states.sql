-- zcrmsync: the sync state entries whose names start with a prefix, e.g.
-- the CRM records `errors retry` asked the next pull to fetch again.
-- DATALENGTH, not LEN, which ignores trailing spaces.
-- Tokens: ${state} (a quoted identifier). Parameters: 1 prefix, 2 prefix.
SELECT name, value FROM ${state} WHERE LEFT(name, DATALENGTH(CAST(? AS nvarchar(200))) / 2) = ? ORDER BY name
