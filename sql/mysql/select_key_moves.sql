-- zcrmsync: the key changes (K) of one mapping after the push cursor, past
-- any gap: a key whose row is gone is not deleted in Zoho when one of these
-- moves it (its record goes with the move).
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 cursor change_id, 2 the mapping.
SELECT keys_json FROM ${changes} WHERE change_id > ? AND mapping = ? AND op = 'K'
