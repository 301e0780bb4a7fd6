-- zcrmsync: the database server's clock in UTC, as text, to measure the skew
-- between it and Zoho's (latest_wins compares change times from both).
-- Tokens: none. Parameters: none.
SELECT CAST(UTC_TIMESTAMP(6) AS CHAR)
