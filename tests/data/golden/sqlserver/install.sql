-- zcrmsync SQL kit for sqlserver. Review it, then run it as one transaction where the dialect allows.
-- Not executed on a SQL Server by the zcrmsync project: grammar-checked only.

IF SCHEMA_ID(N'zcrmsync') IS NULL EXEC sp_executesql N'CREATE SCHEMA [zcrmsync]'
GO

IF OBJECT_ID(N'[zcrmsync].[schema_version]', N'U') IS NULL
CREATE TABLE [zcrmsync].[schema_version] (
  version      int          NOT NULL PRIMARY KEY,
  installed_at datetime2(6) NOT NULL DEFAULT SYSUTCDATETIME()
)
GO

IF NOT EXISTS (SELECT 1 FROM [zcrmsync].[schema_version] WHERE version = 1)
INSERT INTO [zcrmsync].[schema_version] (version) VALUES (1)
GO

IF OBJECT_ID(N'[zcrmsync].[changes]', N'U') IS NULL
CREATE TABLE [zcrmsync].[changes] (
  change_id  bigint        IDENTITY(1, 1) NOT NULL PRIMARY KEY,
  mapping    nvarchar(64)  NOT NULL,
  keys_json   nvarchar(900) NOT NULL,
  op         nchar(1)      NOT NULL CONSTRAINT zcrmsync_changes_op CHECK (op IN (N'I', N'U', N'D', N'K')),
  changed_at datetime2(6)  NOT NULL DEFAULT SYSUTCDATETIME(),
  row_ver    rowversion    NOT NULL
)
GO

IF NOT EXISTS (SELECT 1 FROM sys.indexes
                WHERE name = N'zcrmsync_changes_row_ver' AND object_id = OBJECT_ID(N'[zcrmsync].[changes]'))
  CREATE INDEX zcrmsync_changes_row_ver ON [zcrmsync].[changes] (row_ver)
GO

-- Installs before key changes were captured as K checked op for I, U, D:
-- that check is replaced.
DECLARE @old_check sysname = (SELECT TOP (1) name FROM sys.check_constraints
                               WHERE parent_object_id = OBJECT_ID(N'[zcrmsync].[changes]')
                                 AND definition NOT LIKE N'%K%');
IF @old_check IS NOT NULL
BEGIN
  DECLARE @drop nvarchar(400) = N'ALTER TABLE ' + N'[zcrmsync].[changes]' + N' DROP CONSTRAINT ' + QUOTENAME(@old_check);
  EXEC sp_executesql @drop;
END
IF NOT EXISTS (SELECT 1 FROM sys.check_constraints
                WHERE parent_object_id = OBJECT_ID(N'[zcrmsync].[changes]') AND name = N'zcrmsync_changes_op')
  ALTER TABLE [zcrmsync].[changes] ADD CONSTRAINT zcrmsync_changes_op CHECK (op IN (N'I', N'U', N'D', N'K'))
GO

IF OBJECT_ID(N'[zcrmsync].[links]', N'U') IS NULL
CREATE TABLE [zcrmsync].[links] (
  mapping         nvarchar(64)  NOT NULL,
  erp_key         nvarchar(450) NOT NULL,
  zoho_id         nvarchar(32)  NULL,
  external_id     nvarchar(255) NULL,
  base_values     nvarchar(max) NULL,
  erp_changed_at  datetime2(6)  NULL,
  crm_modified_at datetime2(6)  NULL,
  updated_at      datetime2(6)  NOT NULL DEFAULT SYSUTCDATETIME(),
  PRIMARY KEY (mapping, erp_key)
)
GO

IF NOT EXISTS (SELECT 1 FROM sys.indexes
                WHERE name = N'zcrmsync_links_zoho_id' AND object_id = OBJECT_ID(N'[zcrmsync].[links]'))
  CREATE UNIQUE INDEX zcrmsync_links_zoho_id ON [zcrmsync].[links] (mapping, zoho_id)
    WHERE zoho_id IS NOT NULL
GO

IF OBJECT_ID(N'[zcrmsync].[state]', N'U') IS NULL
CREATE TABLE [zcrmsync].[state] (
  name       nvarchar(200) NOT NULL PRIMARY KEY,
  value      nvarchar(max) NULL,
  updated_at datetime2(6)  NOT NULL DEFAULT SYSUTCDATETIME()
)
GO

IF OBJECT_ID(N'[zcrmsync].[errors]', N'U') IS NULL
CREATE TABLE [zcrmsync].[errors] (
  error_id        bigint        IDENTITY(1, 1) NOT NULL PRIMARY KEY,
  mapping         nvarchar(64)  NOT NULL,
  erp_key         nvarchar(450) NULL,
  zoho_id         nvarchar(32)  NULL,
  direction       nvarchar(16)  NOT NULL,
  status_code     nvarchar(32)  NOT NULL,
  field           nvarchar(200) NULL,
  message         nvarchar(max) NOT NULL,
  attempts        int           NOT NULL DEFAULT 1,
  first_failed_at datetime2(6)  NOT NULL DEFAULT SYSUTCDATETIME(),
  last_failed_at  datetime2(6)  NOT NULL DEFAULT SYSUTCDATETIME(),
  resolved_at     datetime2(6)  NULL
)
GO

IF OBJECT_ID(N'[zcrmsync].[conflicts]', N'U') IS NULL
CREATE TABLE [zcrmsync].[conflicts] (
  conflict_id    bigint        IDENTITY(1, 1) NOT NULL PRIMARY KEY,
  mapping        nvarchar(64)  NOT NULL,
  erp_key        nvarchar(450) NOT NULL,
  zoho_id        nvarchar(32)  NULL,
  field          nvarchar(200) NOT NULL,
  base_value     nvarchar(max) NULL,
  erp_value      nvarchar(max) NULL,
  crm_value      nvarchar(max) NULL,
  erp_changed_at datetime2(6)  NULL,
  crm_changed_at datetime2(6)  NULL,
  detected_at    datetime2(6)  NOT NULL DEFAULT SYSUTCDATETIME(),
  resolved_at    datetime2(6)  NULL,
  resolution     nvarchar(8)   NULL
)
GO

DROP TRIGGER IF EXISTS [dbo].[zcrmsync_customers_capture]
GO

CREATE TRIGGER [dbo].[zcrmsync_customers_capture] ON [dbo].[Customer List] AFTER INSERT, UPDATE, DELETE AS
BEGIN
  SET NOCOUNT ON;
  IF CAST(SESSION_CONTEXT(N'zcrmsync_origin') AS nvarchar(32)) = N'agent' RETURN;
  INSERT INTO [zcrmsync].[changes] (mapping, keys_json, op)
    SELECT N'customers', N'[' + N'[' + N'"' + STRING_ESCAPE(CONVERT(nvarchar(4000), i.[id], 126), 'json') + N'"' + N']' + N']', N'U'
      FROM inserted AS i INNER JOIN deleted AS d ON d.[id] = i.[id]
     WHERE EXISTS (SELECT CAST(d.[email] AS varbinary(max)), DATALENGTH(d.[email]), d.[name], d.[order] EXCEPT SELECT CAST(i.[email] AS varbinary(max)), DATALENGTH(i.[email]), i.[name], i.[order]);
  -- The key of one row changed (an UPDATE with one old key gone and one new
  -- key come): one K row [old key, new key], so the agent moves the row's
  -- CRM record; several key changes in one statement cannot be paired.
  IF EXISTS (SELECT 1 FROM deleted) AND EXISTS (SELECT 1 FROM inserted)
     AND (SELECT COUNT(*) FROM deleted AS d
           WHERE NOT EXISTS (SELECT 1 FROM inserted AS i WHERE d.[id] = i.[id])) = 1
     AND (SELECT COUNT(*) FROM inserted AS i
           WHERE NOT EXISTS (SELECT 1 FROM deleted AS d WHERE d.[id] = i.[id])) = 1
    INSERT INTO [zcrmsync].[changes] (mapping, keys_json, op)
      SELECT N'customers', N'[' + gone.k + N',' + came.k + N']', N'K'
        FROM (SELECT N'[' + N'"' + STRING_ESCAPE(CONVERT(nvarchar(4000), d.[id], 126), 'json') + N'"' + N']' AS k FROM deleted AS d
               WHERE NOT EXISTS (SELECT 1 FROM inserted AS i WHERE d.[id] = i.[id])) AS gone
       CROSS JOIN (SELECT N'[' + N'"' + STRING_ESCAPE(CONVERT(nvarchar(4000), i.[id], 126), 'json') + N'"' + N']' AS k FROM inserted AS i
               WHERE NOT EXISTS (SELECT 1 FROM deleted AS d WHERE d.[id] = i.[id])) AS came;
  ELSE
  BEGIN
    INSERT INTO [zcrmsync].[changes] (mapping, keys_json, op)
      SELECT N'customers', N'[' + N'[' + N'"' + STRING_ESCAPE(CONVERT(nvarchar(4000), d.[id], 126), 'json') + N'"' + N']' + N']', N'D' FROM deleted AS d
       WHERE NOT EXISTS (SELECT 1 FROM inserted AS i WHERE d.[id] = i.[id]);
    INSERT INTO [zcrmsync].[changes] (mapping, keys_json, op)
      SELECT N'customers', N'[' + N'[' + N'"' + STRING_ESCAPE(CONVERT(nvarchar(4000), i.[id], 126), 'json') + N'"' + N']' + N']', N'I' FROM inserted AS i
       WHERE NOT EXISTS (SELECT 1 FROM deleted AS d WHERE d.[id] = i.[id]);
  END
END
GO

DROP TRIGGER IF EXISTS [dbo].[zcrmsync_order_lines_capture]
GO

CREATE TRIGGER [dbo].[zcrmsync_order_lines_capture] ON [dbo].[order lines] AFTER INSERT, UPDATE, DELETE AS
BEGIN
  SET NOCOUNT ON;
  IF CAST(SESSION_CONTEXT(N'zcrmsync_origin') AS nvarchar(32)) = N'agent' RETURN;
  INSERT INTO [zcrmsync].[changes] (mapping, keys_json, op)
    SELECT N'order_lines', N'[' + N'[' + N'"' + STRING_ESCAPE(CONVERT(nvarchar(4000), i.[order], 3), 'json') + N'"' + N',' + N'"' + STRING_ESCAPE(CONVERT(nvarchar(4000), i.[line no], 2), 'json') + N'"' + N']' + N']', N'U'
      FROM inserted AS i INNER JOIN deleted AS d ON d.[order] = i.[order] AND d.[line no] = i.[line no]
     WHERE EXISTS (SELECT d.[Unit "Price"], d.[qty], CAST(d.[user] AS varbinary(max)), DATALENGTH(d.[user]) EXCEPT SELECT i.[Unit "Price"], i.[qty], CAST(i.[user] AS varbinary(max)), DATALENGTH(i.[user]));
  -- The key of one row changed (an UPDATE with one old key gone and one new
  -- key come): one K row [old key, new key], so the agent moves the row's
  -- CRM record; several key changes in one statement cannot be paired.
  IF EXISTS (SELECT 1 FROM deleted) AND EXISTS (SELECT 1 FROM inserted)
     AND (SELECT COUNT(*) FROM deleted AS d
           WHERE NOT EXISTS (SELECT 1 FROM inserted AS i WHERE d.[order] = i.[order] AND d.[line no] = i.[line no])) = 1
     AND (SELECT COUNT(*) FROM inserted AS i
           WHERE NOT EXISTS (SELECT 1 FROM deleted AS d WHERE d.[order] = i.[order] AND d.[line no] = i.[line no])) = 1
    INSERT INTO [zcrmsync].[changes] (mapping, keys_json, op)
      SELECT N'order_lines', N'[' + gone.k + N',' + came.k + N']', N'K'
        FROM (SELECT N'[' + N'"' + STRING_ESCAPE(CONVERT(nvarchar(4000), d.[order], 3), 'json') + N'"' + N',' + N'"' + STRING_ESCAPE(CONVERT(nvarchar(4000), d.[line no], 2), 'json') + N'"' + N']' AS k FROM deleted AS d
               WHERE NOT EXISTS (SELECT 1 FROM inserted AS i WHERE d.[order] = i.[order] AND d.[line no] = i.[line no])) AS gone
       CROSS JOIN (SELECT N'[' + N'"' + STRING_ESCAPE(CONVERT(nvarchar(4000), i.[order], 3), 'json') + N'"' + N',' + N'"' + STRING_ESCAPE(CONVERT(nvarchar(4000), i.[line no], 2), 'json') + N'"' + N']' AS k FROM inserted AS i
               WHERE NOT EXISTS (SELECT 1 FROM deleted AS d WHERE d.[order] = i.[order] AND d.[line no] = i.[line no])) AS came;
  ELSE
  BEGIN
    INSERT INTO [zcrmsync].[changes] (mapping, keys_json, op)
      SELECT N'order_lines', N'[' + N'[' + N'"' + STRING_ESCAPE(CONVERT(nvarchar(4000), d.[order], 3), 'json') + N'"' + N',' + N'"' + STRING_ESCAPE(CONVERT(nvarchar(4000), d.[line no], 2), 'json') + N'"' + N']' + N']', N'D' FROM deleted AS d
       WHERE NOT EXISTS (SELECT 1 FROM inserted AS i WHERE d.[order] = i.[order] AND d.[line no] = i.[line no]);
    INSERT INTO [zcrmsync].[changes] (mapping, keys_json, op)
      SELECT N'order_lines', N'[' + N'[' + N'"' + STRING_ESCAPE(CONVERT(nvarchar(4000), i.[order], 3), 'json') + N'"' + N',' + N'"' + STRING_ESCAPE(CONVERT(nvarchar(4000), i.[line no], 2), 'json') + N'"' + N']' + N']', N'I' FROM inserted AS i
       WHERE NOT EXISTS (SELECT 1 FROM deleted AS d WHERE d.[order] = i.[order] AND d.[line no] = i.[line no]);
  END
END
GO

