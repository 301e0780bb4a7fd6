-- zcrmsync: the key changes (K) of one mapping after the push cursor,
-- committed or not yet readable in order: a key whose row is gone is not
-- deleted in Zoho when one of these moves it (its record goes with the move).
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 cursor rowversion, 2 the mapping.
SELECT keys_json FROM ${changes} WHERE row_ver > ? AND mapping = ? AND op = N'K'
