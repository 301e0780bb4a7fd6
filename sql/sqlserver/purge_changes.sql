-- zcrmsync: deletes processed changes (at or before the cursor) of the
-- mappings in the config, a bounded batch at a time. Rows of other mappings
-- (removed from the config) are kept until the mapping is back or the
-- agent's objects are uninstalled.
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${changes} (a quoted identifier), ${placeholders} (one ? per mapping).
-- Parameters: 1 the batch size, 2 cursor rowversion (binary(8)), then the
--   mapping names.
DELETE TOP (?) FROM ${changes} WHERE row_ver <= ? AND mapping IN (${placeholders})
