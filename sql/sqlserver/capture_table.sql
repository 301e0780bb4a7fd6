-- zcrmsync: the capture trigger for one mapped table, SQL Server 2016 SP1+.
-- NOT EXECUTED on a SQL Server here: grammar-checked with sqlfluff only.
-- One set-based trigger over inserted/deleted. A statement that changes the
-- key of one row is captured as K ([old key, new key]), several key changes
-- as D (old) + I (new); an UPDATE that changes no mapped column captures
-- nothing.
-- Sessions whose SESSION_CONTEXT(N'zcrmsync_origin') is N'agent' are not
-- captured (echo suppression). DROP + CREATE, because the sqlfluff version
-- used for the grammar check cannot parse CREATE OR ALTER.
-- Tokens: ${table} ${trigger} ${changes} (quoted identifiers), ${mapping} (a
--   string literal), ${key_json_inserted} ${key_json_deleted} (one key as a
--   JSON array from i / d; keys_json holds an array of keys, here one per row), ${key_join} (d = i on the key), ${mapped_changed} (a
--   mapped column of d differs from i). No parameters. Idempotent.
DROP TRIGGER IF EXISTS ${trigger}
GO
CREATE TRIGGER ${trigger} ON ${table} AFTER INSERT, UPDATE, DELETE AS
BEGIN
  SET NOCOUNT ON;
  IF CAST(SESSION_CONTEXT(N'zcrmsync_origin') AS nvarchar(32)) = N'agent' RETURN;
  INSERT INTO ${changes} (mapping, keys_json, op)
    SELECT ${mapping}, N'[' + ${key_json_inserted} + N']', N'U'
      FROM inserted AS i INNER JOIN deleted AS d ON ${key_join}
     WHERE ${mapped_changed};
  -- The key of one row changed (an UPDATE with one old key gone and one new
  -- key come): one K row [old key, new key], so the agent moves the row's
  -- CRM record; several key changes in one statement cannot be paired.
  IF EXISTS (SELECT 1 FROM deleted) AND EXISTS (SELECT 1 FROM inserted)
     AND (SELECT COUNT(*) FROM deleted AS d
           WHERE NOT EXISTS (SELECT 1 FROM inserted AS i WHERE ${key_join})) = 1
     AND (SELECT COUNT(*) FROM inserted AS i
           WHERE NOT EXISTS (SELECT 1 FROM deleted AS d WHERE ${key_join})) = 1
    INSERT INTO ${changes} (mapping, keys_json, op)
      SELECT ${mapping}, N'[' + gone.k + N',' + came.k + N']', N'K'
        FROM (SELECT ${key_json_deleted} AS k FROM deleted AS d
               WHERE NOT EXISTS (SELECT 1 FROM inserted AS i WHERE ${key_join})) AS gone
       CROSS JOIN (SELECT ${key_json_inserted} AS k FROM inserted AS i
               WHERE NOT EXISTS (SELECT 1 FROM deleted AS d WHERE ${key_join})) AS came;
  ELSE
  BEGIN
    INSERT INTO ${changes} (mapping, keys_json, op)
      SELECT ${mapping}, N'[' + ${key_json_deleted} + N']', N'D' FROM deleted AS d
       WHERE NOT EXISTS (SELECT 1 FROM inserted AS i WHERE ${key_join});
    INSERT INTO ${changes} (mapping, keys_json, op)
      SELECT ${mapping}, N'[' + ${key_json_inserted} + N']', N'I' FROM inserted AS i
       WHERE NOT EXISTS (SELECT 1 FROM deleted AS d WHERE ${key_join});
  END
END
