-- zcrmsync: closes one parked record (errors retry): later changes to it no
-- longer wait behind it.
-- Tokens: ${errors} (a quoted identifier). Parameters: 1 error_id.
UPDATE ${errors} SET resolved_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE error_id = ? AND resolved_at IS NULL
