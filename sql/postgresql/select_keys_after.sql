-- zcrmsync: the next keys of a mapped table in key order, for the initial
-- load (keyset paging: a delete during the load cannot make it skip a row).
-- Tokens: ${key_columns} (the quoted key columns), ${key_texts} (each cast to
--   text exactly as the capture triggers cast it), ${table} (the quoted
--   table), ${after_predicate} (keys after the last one loaded, or 1 = 1).
-- Parameters: the last key's values as the predicate lists them, then the
--   batch size.
SELECT ${key_texts} FROM ${table} WHERE ${after_predicate} ORDER BY ${key_columns} LIMIT ?
