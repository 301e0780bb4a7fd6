-- zcrmsync: parks one record in the dead letter, with the error naming the
-- field. A record parked again adds a row; the open row per record is the
-- newest one without resolved_at.
-- Tokens: ${errors} (a quoted identifier).
-- Parameters: 1 mapping, 2 erp_key, 3 zoho_id, 4 direction, 5 status_code,
--   6 field, 7 message.
INSERT INTO ${errors} (mapping, erp_key, zoho_id, direction, status_code, field, message)
VALUES (?, ?, ?, ?, ?, ?, ?)
