-- zcrmsync: the triggers on one table: kind, name, definition (the body
-- after FOR EACH ROW, as stored).
-- Tokens: none. Parameters: 1 the database (NULL: the current one), 2 the table.
SELECT 'trigger', trigger_name, action_statement
  FROM information_schema.triggers
 WHERE event_object_schema = COALESCE(?, DATABASE()) AND event_object_table = ?
