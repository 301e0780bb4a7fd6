-- zcrmsync: the database server's clock in UTC, as text, to measure the skew
-- between it and Zoho's (latest_wins compares change times from both).
-- Tokens: none. Parameters: none.
SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')
