-- zcrmsync: the next keys of a mapped table in key order, for the initial
-- load (keyset paging: a delete during the load cannot make it skip a row).
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${key_columns} (the quoted key columns), ${key_texts} (each cast to
--   text exactly as the capture triggers cast it), ${table} (the quoted
--   table), ${after_predicate} (keys after the last one loaded, or 1 = 1).
-- Parameters: the batch size, then the last key's values as the predicate
--   lists them.
SELECT TOP (?) ${key_texts} FROM ${table} WHERE ${after_predicate} ORDER BY ${key_columns}
