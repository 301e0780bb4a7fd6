-- zcrmsync: the agent's own objects, SQL Server 2016 SP1+ (Express included;
-- no SQL Server Agent, CDC or Change Tracking needed). NOT EXECUTED on a SQL
-- Server here: grammar-checked with sqlfluff only.
-- Tokens: ${schema_version} ${changes} ${links} ${state} ${errors}
--   ${conflicts} (quoted identifiers), ${schema_literal} (the schema name as
--   an N'' literal), ${create_schema_literal} (CREATE SCHEMA as an N''
--   literal), ${schema_version_literal} ${changes_literal} ${links_literal}
--   ${state_literal} ${errors_literal} ${conflicts_literal} (the quoted names
--   as N'' literals, for OBJECT_ID). No parameters. Idempotent.
IF SCHEMA_ID(${schema_literal}) IS NULL EXEC sp_executesql ${create_schema_literal}
GO
IF OBJECT_ID(${schema_version_literal}, N'U') IS NULL
CREATE TABLE ${schema_version} (
  version      int          NOT NULL PRIMARY KEY,
  installed_at datetime2(6) NOT NULL DEFAULT SYSUTCDATETIME()
)
GO
IF NOT EXISTS (SELECT 1 FROM ${schema_version} WHERE version = 1)
INSERT INTO ${schema_version} (version) VALUES (1)
GO
IF OBJECT_ID(${changes_literal}, N'U') IS NULL
CREATE TABLE ${changes} (
  change_id  bigint        IDENTITY(1, 1) NOT NULL PRIMARY KEY,
  mapping    nvarchar(64)  NOT NULL,
  keys_json   nvarchar(900) NOT NULL,
  op         nchar(1)      NOT NULL CONSTRAINT zcrmsync_changes_op CHECK (op IN (N'I', N'U', N'D', N'K')),
  changed_at datetime2(6)  NOT NULL DEFAULT SYSUTCDATETIME(),
  row_ver    rowversion    NOT NULL
)
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes
                WHERE name = N'zcrmsync_changes_row_ver' AND object_id = OBJECT_ID(${changes_literal}))
  CREATE INDEX zcrmsync_changes_row_ver ON ${changes} (row_ver)
GO
-- Installs before key changes were captured as K checked op for I, U, D:
-- that check is replaced.
DECLARE @old_check sysname = (SELECT TOP (1) name FROM sys.check_constraints
                               WHERE parent_object_id = OBJECT_ID(${changes_literal})
                                 AND definition NOT LIKE N'%K%');
IF @old_check IS NOT NULL
BEGIN
  DECLARE @drop nvarchar(400) = N'ALTER TABLE ' + ${changes_literal} + N' DROP CONSTRAINT ' + QUOTENAME(@old_check);
  EXEC sp_executesql @drop;
END
IF NOT EXISTS (SELECT 1 FROM sys.check_constraints
                WHERE parent_object_id = OBJECT_ID(${changes_literal}) AND name = N'zcrmsync_changes_op')
  ALTER TABLE ${changes} ADD CONSTRAINT zcrmsync_changes_op CHECK (op IN (N'I', N'U', N'D', N'K'))
GO
IF OBJECT_ID(${links_literal}, N'U') IS NULL
CREATE TABLE ${links} (
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
                WHERE name = N'zcrmsync_links_zoho_id' AND object_id = OBJECT_ID(${links_literal}))
  CREATE UNIQUE INDEX zcrmsync_links_zoho_id ON ${links} (mapping, zoho_id)
    WHERE zoho_id IS NOT NULL
GO
IF OBJECT_ID(${state_literal}, N'U') IS NULL
CREATE TABLE ${state} (
  name       nvarchar(200) NOT NULL PRIMARY KEY,
  value      nvarchar(max) NULL,
  updated_at datetime2(6)  NOT NULL DEFAULT SYSUTCDATETIME()
)
GO
IF OBJECT_ID(${errors_literal}, N'U') IS NULL
CREATE TABLE ${errors} (
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
IF OBJECT_ID(${conflicts_literal}, N'U') IS NULL
CREATE TABLE ${conflicts} (
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
