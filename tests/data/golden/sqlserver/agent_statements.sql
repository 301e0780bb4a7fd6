-- zcrmsync SQL kit for sqlserver. Review it, then run it as one transaction where the dialect allows.
-- Not executed on a SQL Server by the zcrmsync project: grammar-checked only.

EXEC sp_set_session_context @key = N'zcrmsync_origin', @value = N'agent'
GO

EXEC sp_set_session_context @key = N'zcrmsync_origin', @value = NULL
GO

SELECT TOP (?) change_id, mapping, key_json, op, changed_at,
       CONVERT(varchar(20), CAST(row_ver AS binary(8)), 1)
  FROM [zcrmsync].[changes]
 WHERE row_ver < MIN_ACTIVE_ROWVERSION() AND row_ver > ?
 ORDER BY row_ver
GO

DELETE TOP (?) FROM [zcrmsync].[changes] WHERE row_ver <= ?
GO

SELECT MIN(transaction_begin_time), SYSDATETIME() FROM sys.dm_tran_active_transactions
GO

