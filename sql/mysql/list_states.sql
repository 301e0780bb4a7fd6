-- zcrmsync: the sync state entries whose names start with a prefix, e.g.
-- the CRM records `errors retry` asked the next pull to fetch again.
-- Compared as bytes: a prefix is not a pattern, and case counts.
-- Tokens: ${state} (a quoted identifier). Parameters: 1 prefix, 2 prefix.
SELECT name, value FROM ${state}
 WHERE CAST(LEFT(name, CHAR_LENGTH(?)) AS BINARY) = CAST(? AS BINARY) ORDER BY name
