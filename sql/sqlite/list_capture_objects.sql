-- zcrmsync: the triggers on one table: kind, name, definition (the
-- CREATE TRIGGER text exactly as it was run).
-- Tokens: none. Parameters: 1 the table.
SELECT 'trigger', name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?
