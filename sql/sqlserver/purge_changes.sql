-- zcrmsync: deletes processed changes (at or before the cursor), a bounded
-- batch at a time.
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 the batch size, 2 cursor rowversion (binary(8)).
DELETE TOP (?) FROM ${changes} WHERE row_ver <= ?
