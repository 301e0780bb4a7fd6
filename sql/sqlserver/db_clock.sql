-- zcrmsync: the database server's clock in UTC, as text, to measure the skew
-- between it and Zoho's (latest_wins compares change times from both).
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: none. Parameters: none.
SELECT CONVERT(varchar(27), SYSUTCDATETIME(), 121)
