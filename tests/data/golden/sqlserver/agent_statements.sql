-- zcrmsync SQL kit for sqlserver. Review it, then run it as one transaction where the dialect allows.
-- Not executed on a SQL Server by the zcrmsync project: grammar-checked only.

EXEC sp_set_session_context @key = N'zcrmsync_origin', @value = N'agent'
GO

EXEC sp_set_session_context @key = N'zcrmsync_origin', @value = NULL
GO

SELECT TOP (?) change_id, mapping, keys_json, op, changed_at,
       CONVERT(varchar(20), CAST(row_ver AS binary(8)), 1), CAST(NULL AS nvarchar(1))
  FROM [zcrmsync].[changes]
 WHERE row_ver < MIN_ACTIVE_ROWVERSION() AND row_ver > ?
 ORDER BY row_ver
GO

SELECT MIN(transaction_begin_time), SYSDATETIME() FROM sys.dm_tran_active_transactions
GO

SELECT 1, 1
GO

INSERT INTO [zcrmsync].[changes] (mapping, keys_json, op, changed_at)
SELECT mapping, keys_json, op, changed_at FROM [zcrmsync].[changes]
 WHERE row_ver <= ? AND mapping = ?
 ORDER BY row_ver
GO

DELETE FROM [zcrmsync].[changes] WHERE row_ver <= ? AND mapping = ?
GO

UPDATE [zcrmsync].[errors]
   SET attempts = attempts + 1, last_failed_at = SYSUTCDATETIME(), status_code = ?, field = ?,
       message = ?
 WHERE mapping = ? AND direction = ? AND resolved_at IS NULL
   AND (erp_key = ? OR (erp_key IS NULL AND ? IS NULL))
   AND (zoho_id = ? OR (zoho_id IS NULL AND ? IS NULL))
GO

MERGE INTO [zcrmsync].[state] AS s
USING (SELECT CAST(? AS nvarchar(200)) AS name, CAST(? AS nvarchar(max)) AS value) AS v
   ON s.name = v.name
 WHEN MATCHED THEN UPDATE SET value = v.value, updated_at = SYSUTCDATETIME()
 WHEN NOT MATCHED THEN INSERT (name, value) VALUES (v.name, v.value);
GO

SELECT value FROM [zcrmsync].[state] WHERE name = ?
GO

SELECT c.name, TYPE_NAME(c.user_type_id), CASE WHEN c.is_nullable = 1 THEN 'YES' ELSE 'NO' END,
       CASE WHEN TYPE_NAME(c.system_type_id) IN (N'char', N'varchar', N'nchar', N'nvarchar',
                                                 N'text', N'ntext') THEN 'YES' ELSE 'NO' END
  FROM sys.columns AS c
 WHERE c.object_id = OBJECT_ID(?)
 ORDER BY c.column_id
GO

SELECT 'trigger', t.name, OBJECT_DEFINITION(t.object_id)
  FROM sys.triggers AS t
 WHERE t.parent_id = OBJECT_ID(?)
GO

SELECT i.name, c.name
  FROM sys.indexes AS i
  INNER JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
  INNER JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
 WHERE i.object_id = OBJECT_ID(?) AND i.is_unique = 1 AND ic.is_included_column = 0
   AND i.has_filter = 0
GO

SELECT erp_key, zoho_id, external_id, base_values, erp_changed_at, crm_modified_at
  FROM [zcrmsync].[links]
 WHERE mapping = ? AND erp_key = ?
GO

SELECT erp_key, zoho_id, external_id, base_values, erp_changed_at, crm_modified_at
  FROM [zcrmsync].[links]
 WHERE mapping = ? AND zoho_id = ?
GO

DELETE FROM [zcrmsync].[links] WHERE mapping = ? AND erp_key = ?
GO

INSERT INTO [zcrmsync].[errors] (mapping, erp_key, zoho_id, direction, status_code, field, message)
VALUES (?, ?, ?, ?, ?, ?, ?)
GO

SELECT error_id, mapping, erp_key, zoho_id, direction, status_code, field, message,
       attempts, first_failed_at, last_failed_at
  FROM [zcrmsync].[errors]
 WHERE resolved_at IS NULL
 ORDER BY error_id
GO

UPDATE [zcrmsync].[errors] SET resolved_at = SYSUTCDATETIME() WHERE error_id = ? AND resolved_at IS NULL
GO

SELECT mapping, COUNT_BIG(*) FROM [zcrmsync].[changes] WHERE row_ver > ? GROUP BY mapping
GO

INSERT INTO [zcrmsync].[conflicts] (mapping, erp_key, zoho_id, field, base_value, erp_value, crm_value)
SELECT ?, ?, ?, ?, ?, ?, ?
 WHERE NOT EXISTS (SELECT 1 FROM [zcrmsync].[conflicts]
                    WHERE mapping = ? AND erp_key = ? AND field = ? AND resolved_at IS NULL)
GO

SELECT conflict_id, mapping, erp_key, zoho_id, field, base_value, erp_value, crm_value
  FROM [zcrmsync].[conflicts]
 WHERE resolved_at IS NULL
 ORDER BY conflict_id
GO

UPDATE [zcrmsync].[conflicts] SET resolved_at = SYSUTCDATETIME(), resolution = ? WHERE conflict_id = ? AND resolved_at IS NULL
GO

SELECT CONVERT(varchar(27), SYSUTCDATETIME(), 121)
GO

SELECT name, value FROM [zcrmsync].[state] WHERE LEFT(name, DATALENGTH(CAST(? AS nvarchar(200))) / 2) = ? ORDER BY name
GO

DELETE FROM [zcrmsync].[state] WHERE name = ?
GO

SELECT keys_json FROM [zcrmsync].[changes] WHERE row_ver > ? AND mapping = ? AND op = N'K'
GO

DELETE TOP (?) FROM [zcrmsync].[changes] WHERE row_ver <= ? AND mapping IN (?, ?)
GO

SELECT erp_key, zoho_id, external_id, base_values, erp_changed_at, crm_modified_at
  FROM [zcrmsync].[links]
 WHERE mapping = ? AND erp_key IN (?, ?, ?)
GO

MERGE INTO [zcrmsync].[links] AS t
USING (VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)) AS v (zoho_id, external_id, base_values, erp_changed_at,
                             crm_modified_at, mapping, erp_key)
   ON t.mapping = v.mapping AND t.erp_key = v.erp_key
 WHEN MATCHED THEN
      UPDATE SET zoho_id = v.zoho_id, external_id = v.external_id, base_values = v.base_values,
                 erp_changed_at = v.erp_changed_at, crm_modified_at = v.crm_modified_at,
                 updated_at = SYSUTCDATETIME()
 WHEN NOT MATCHED THEN
      INSERT (zoho_id, external_id, base_values, erp_changed_at, crm_modified_at, mapping,
              erp_key)
      VALUES (v.zoho_id, v.external_id, v.base_values, v.erp_changed_at, v.crm_modified_at,
              v.mapping, v.erp_key);
GO

SELECT [order], [line no], [qty] FROM [dbo].[order lines] WHERE [order] = ? AND [line no] = ?
GO

SELECT [qty], [Unit "Price"] FROM [dbo].[order lines] WITH (UPDLOCK, HOLDLOCK, ROWLOCK) WHERE [order] = ? AND [line no] = ?
GO

UPDATE [dbo].[order lines] SET [qty] = ?, [Unit "Price"] = ? WHERE [order] = ? AND [line no] = ?
GO

DELETE FROM [dbo].[order lines] WHERE [order] = ? AND [line no] = ?
GO

SELECT TOP (2) CONVERT(nvarchar(4000), [order], 3) AS [zcrmsync_key_1], CONVERT(nvarchar(4000), [line no], 2) AS [zcrmsync_key_2] FROM [dbo].[order lines] WHERE [qty] = ? AND [Unit "Price"] = ?
GO

SELECT [id] FROM [dbo].[Customer List] WHERE [id] IN (?, ?, ?)
GO

INSERT INTO [dbo].[order lines] ([order], [qty], [Unit "Price"]) OUTPUT CONVERT(nvarchar(4000), inserted.[order], 3) AS [zcrmsync_key_1], CONVERT(nvarchar(4000), inserted.[line no], 2) AS [zcrmsync_key_2] VALUES (?, ?, ?)
GO

SELECT TOP (?) CONVERT(nvarchar(4000), [order], 3) AS [zcrmsync_key_1], CONVERT(nvarchar(4000), [line no], 2) AS [zcrmsync_key_2] FROM [dbo].[order lines] WHERE 1 = 1 ORDER BY [order], [line no]
GO

SELECT TOP (?) CONVERT(nvarchar(4000), [order]) AS [zcrmsync_key_1], CONVERT(nvarchar(4000), [line no]) AS [zcrmsync_key_2] FROM [dbo].[order lines] WHERE (([order] > ?) OR ([order] = ? AND [line no] > ?)) ORDER BY [order], [line no]
GO

INSERT INTO [zcrmsync].[changes] (mapping, keys_json, op, changed_at)
VALUES (?, ?, N'U', COALESCE(?, SYSUTCDATETIME()))
GO

SELECT COUNT_BIG(*) FROM [dbo].[order lines]
GO

