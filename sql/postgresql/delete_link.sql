-- zcrmsync: forgets the link of one ERP row (after a delete on either side).
-- Tokens: ${links} (a quoted identifier). Parameters: 1 mapping, 2 erp_key.
DELETE FROM ${links} WHERE mapping = ? AND erp_key = ?
