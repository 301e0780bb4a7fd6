-- zcrmsync: SQLite has one writer at a time and no catalogue of open
-- transactions: NULL, and the time now.
-- Tokens: none. No parameters.
SELECT NULL, strftime('%Y-%m-%d %H:%M:%f', 'now')
