-- zcrmsync: takes or renews the agent lease (a row of the state table) in one
-- atomic statement: when the row is missing, ours, released, or not renewed
-- for the lease's seconds by the DATABASE's clock (UTC). Otherwise changes
-- nothing; the caller then reads the row (load_state.sql) to see who holds it.
-- Two agents inserting the missing row at once: the primary key refuses the
-- second (sqlfluff 1.4.5 cannot parse a HOLDLOCK hint on MERGE), and the
-- agent counts that error as "not acquired" and reads the row.
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- Tokens: ${state} (a quoted identifier). Parameters: 1 name, 2 holder id,
--   3 lease seconds (integer).
MERGE INTO ${state} AS s
USING (SELECT CAST(? AS nvarchar(200)) AS name, CAST(? AS nvarchar(max)) AS value,
              CAST(? AS int) AS seconds) AS v
   ON s.name = v.name
 WHEN MATCHED AND (s.value = v.value OR s.value IS NULL
                   OR s.updated_at < DATEADD(second, -v.seconds, SYSUTCDATETIME()))
   THEN UPDATE SET value = v.value, updated_at = SYSUTCDATETIME()
 WHEN NOT MATCHED THEN INSERT (name, value, updated_at)
   VALUES (v.name, v.value, SYSUTCDATETIME());
