-- zcrmsync SQL kit for sqlserver. Review it, then run it as one transaction where the dialect allows.
-- Not executed on a SQL Server by the zcrmsync project: grammar-checked only.

DROP TRIGGER IF EXISTS [dbo].[zcrmsync_customers_capture]
GO

DROP TRIGGER IF EXISTS [dbo].[zcrmsync_order_lines_capture]
GO

DROP TABLE IF EXISTS [zcrmsync].[conflicts]
GO

DROP TABLE IF EXISTS [zcrmsync].[errors]
GO

DROP TABLE IF EXISTS [zcrmsync].[state]
GO

DROP TABLE IF EXISTS [zcrmsync].[links]
GO

DROP TABLE IF EXISTS [zcrmsync].[changes]
GO

DROP TABLE IF EXISTS [zcrmsync].[schema_version]
GO

IF SCHEMA_ID(N'zcrmsync') IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM sys.objects WHERE schema_id = SCHEMA_ID(N'zcrmsync'))
  EXEC sp_executesql N'DROP SCHEMA [zcrmsync]'
GO

