-- zcrmsync: initial matching. The keys of at most two rows whose match columns
-- equal a CRM record's values (two are enough to tell an ambiguous match).
-- Tokens: ${table} (the quoted table), ${key_texts} (each key column as text),
--   ${match_predicate} (one "quoted_column = ?" per match column, joined with AND).
-- Parameters: the match values, in match_fields order.
SELECT ${key_texts} FROM ${table} WHERE ${match_predicate} LIMIT 2
