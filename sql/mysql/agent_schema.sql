-- zcrmsync: the agent's own objects, MySQL 8 / MariaDB 10.5+. The "schema" is
-- a database of its own; the sync user needs CREATE there.
-- Tokens: ${schema} ${schema_version} ${changes} ${links} ${state} ${errors}
--   ${conflicts} (quoted identifiers). No parameters. Idempotent.
CREATE DATABASE IF NOT EXISTS ${schema} CHARACTER SET utf8mb4
GO
CREATE TABLE IF NOT EXISTS ${schema_version} (
  version      int         NOT NULL PRIMARY KEY,
  installed_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
  COMMENT='zcrmsync: version of the agent''s own objects, for migrations'
GO
INSERT IGNORE INTO ${schema_version} (version) VALUES (1)
GO
CREATE TABLE IF NOT EXISTS ${changes} (
  change_id  bigint       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  mapping    varchar(64)  NOT NULL,
  key_text   text         NULL COMMENT 'the key as text, when the key has one column',
  keys_json  mediumtext   NULL COMMENT 'else a JSON array of keys (a composite key; the initial load)',
  op         char(1)      NOT NULL,
  changed_at datetime(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
  COMMENT='zcrmsync: one row per captured change of a mapped row; ids can commit out of order, so the reader waits for gaps'
GO
CREATE TABLE IF NOT EXISTS ${links} (
  mapping         varchar(64)   NOT NULL,
  erp_key         varchar(700)  NOT NULL,
  zoho_id         varchar(32),
  external_id     varchar(255),
  base_values     longtext,
  erp_changed_at  datetime(6),
  crm_modified_at datetime(6),
  updated_at      datetime(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (mapping, erp_key),
  UNIQUE KEY zcrmsync_links_zoho_id (mapping, zoho_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
  COMMENT='zcrmsync: ERP key <-> Zoho id <-> external id, with the merge base and change times'
GO
CREATE TABLE IF NOT EXISTS ${state} (
  name       varchar(200) NOT NULL PRIMARY KEY,
  value      longtext,
  updated_at datetime(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='zcrmsync: cursors and watermarks'
GO
CREATE TABLE IF NOT EXISTS ${errors} (
  error_id        bigint       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  mapping         varchar(64)  NOT NULL,
  erp_key         varchar(700),
  zoho_id         varchar(32),
  direction       varchar(16)  NOT NULL,
  status_code     varchar(32)  NOT NULL,
  field           varchar(200),
  message         longtext     NOT NULL,
  attempts        int          NOT NULL DEFAULT 1,
  first_failed_at datetime(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  last_failed_at  datetime(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  resolved_at     datetime(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
  COMMENT='zcrmsync: the dead letter: records parked after a data error'
GO
CREATE TABLE IF NOT EXISTS ${conflicts} (
  conflict_id    bigint       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  mapping        varchar(64)  NOT NULL,
  erp_key        varchar(700) NOT NULL,
  zoho_id        varchar(32),
  field          varchar(200) NOT NULL,
  base_value     longtext,
  erp_value      longtext,
  crm_value      longtext,
  erp_changed_at datetime(6),
  crm_changed_at datetime(6),
  detected_at    datetime(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  resolved_at    datetime(6),
  resolution     varchar(8)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
  COMMENT='zcrmsync: fields both sides changed under the manual rule, held for a person'
