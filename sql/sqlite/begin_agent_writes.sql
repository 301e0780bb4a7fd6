-- zcrmsync: puts the agent's flag row into the suppress table inside the
-- agent's own transaction, so the capture triggers skip its writes. Other
-- connections never see the row: SQLite has one writer at a time.
-- Tokens: ${suppress} (a quoted identifier). No parameters.
INSERT INTO ${suppress} (origin) VALUES ('agent')
