-- zcrmsync SQL kit for sqlserver. Review it, then run it as one transaction where the dialect allows.
-- Not executed on a SQL Server by the zcrmsync project: grammar-checked only.

MERGE INTO [zcrmsync].[state] AS s
USING (SELECT CAST(? AS nvarchar(200)) AS name, CAST(? AS nvarchar(max)) AS value,
              CAST(? AS int) AS seconds) AS v
   ON s.name = v.name
 WHEN MATCHED AND (s.value = v.value OR s.value IS NULL
                   OR s.updated_at < DATEADD(second, -v.seconds, SYSUTCDATETIME()))
   THEN UPDATE SET value = v.value, updated_at = SYSUTCDATETIME()
 WHEN NOT MATCHED THEN INSERT (name, value, updated_at)
   VALUES (v.name, v.value, SYSUTCDATETIME());
GO

DELETE FROM [zcrmsync].[state] WHERE name = ? AND value = ?;
GO

