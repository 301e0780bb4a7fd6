-- zcrmsync: the keys waiting after the push cursor, per mapping, for status.
-- Tokens: ${changes} (a quoted identifier). Parameters: 1 cursor change_id.
SELECT mapping, SUM(json_array_length(keys_json)) FROM ${changes} WHERE change_id > ? GROUP BY mapping
