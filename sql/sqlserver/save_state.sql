-- zcrmsync: sets one row of the agent's state (a cursor, a watermark, an
-- install snapshot). Only the agent writes these rows, one connection at a
-- time, so MERGE needs no HOLDLOCK hint here.
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${state} (a quoted identifier). Parameters: 1 name, 2 value.
MERGE INTO ${state} AS s
USING (SELECT CAST(? AS nvarchar(200)) AS name, CAST(? AS nvarchar(max)) AS value) AS v
   ON s.name = v.name
 WHEN MATCHED THEN UPDATE SET value = v.value, updated_at = SYSUTCDATETIME()
 WHEN NOT MATCHED THEN INSERT (name, value) VALUES (v.name, v.value);
