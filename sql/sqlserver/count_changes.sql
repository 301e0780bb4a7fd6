-- zcrmsync: the keys waiting after the push cursor, per mapping, for status
-- (one key per change row on SQL Server).
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${changes} (a quoted identifier). Parameters: 1 cursor rowversion.
SELECT mapping, COUNT_BIG(*) FROM ${changes} WHERE row_ver > ? GROUP BY mapping
