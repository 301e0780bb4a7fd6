-- zcrmsync: the keys waiting after the push cursor, per mapping, for status
-- (a key change, K, counts once).
-- A row holds one key in key_text or a JSON array of keys in keys_json.
-- Tokens: ${changes} (a quoted identifier). Parameters: 1 cursor change_id.
SELECT mapping, SUM(CASE WHEN keys_json IS NULL OR op = 'K' THEN 1 ELSE JSON_LENGTH(keys_json) END)
  FROM ${changes} WHERE change_id > ? GROUP BY mapping
