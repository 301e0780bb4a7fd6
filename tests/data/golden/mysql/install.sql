-- zcrmsync SQL kit for mysql. Review it, then run it as one transaction where the dialect allows.

DELIMITER $$

CREATE DATABASE IF NOT EXISTS `zcrmsync` CHARACTER SET utf8mb4 $$

CREATE TABLE IF NOT EXISTS `zcrmsync`.`schema_version` (
  version      int         NOT NULL PRIMARY KEY,
  installed_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
  COMMENT='zcrmsync: version of the agent''s own objects, for migrations' $$

INSERT IGNORE INTO `zcrmsync`.`schema_version` (version) VALUES (1) $$

CREATE TABLE IF NOT EXISTS `zcrmsync`.`changes` (
  change_id  bigint       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  mapping    varchar(64)  NOT NULL,
  key_text   text         NULL COMMENT 'the key as text, when the key has one column',
  keys_json  mediumtext   NULL COMMENT 'else a JSON array of keys (a composite key; the initial load)',
  op         char(1)      NOT NULL,
  changed_at datetime(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
  COMMENT='zcrmsync: one row per captured change of a mapped row; ids can commit out of order, so the reader waits for gaps' $$

CREATE TABLE IF NOT EXISTS `zcrmsync`.`links` (
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
  COMMENT='zcrmsync: ERP key <-> Zoho id <-> external id, with the merge base and change times' $$

CREATE TABLE IF NOT EXISTS `zcrmsync`.`state` (
  name       varchar(200) NOT NULL PRIMARY KEY,
  value      longtext,
  updated_at datetime(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='zcrmsync: cursors and watermarks' $$

CREATE TABLE IF NOT EXISTS `zcrmsync`.`errors` (
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
  COMMENT='zcrmsync: the dead letter: records parked after a data error' $$

CREATE TABLE IF NOT EXISTS `zcrmsync`.`conflicts` (
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
  COMMENT='zcrmsync: fields both sides changed under the manual rule, held for a person' $$

DROP TRIGGER IF EXISTS `erp`.`zcrmsync_customers_insert` $$

CREATE TRIGGER `erp`.`zcrmsync_customers_insert` AFTER INSERT ON `erp`.`Customer List` FOR EACH ROW
  IF @zcrmsync_origin IS NULL OR @zcrmsync_origin <> 'agent' THEN
    INSERT INTO `zcrmsync`.`changes` (mapping, key_text, op, changed_at)
      VALUES ('customers', CAST(NEW.`id` AS CHAR), 'I', UTC_TIMESTAMP(6));
  END IF $$

DROP TRIGGER IF EXISTS `erp`.`zcrmsync_customers_update` $$

CREATE TRIGGER `erp`.`zcrmsync_customers_update` AFTER UPDATE ON `erp`.`Customer List` FOR EACH ROW
  IF @zcrmsync_origin IS NULL OR @zcrmsync_origin <> 'agent' THEN
    IF NOT (OLD.`id` <=> NEW.`id`) THEN
      INSERT INTO `zcrmsync`.`changes` (mapping, keys_json, op, changed_at)
        VALUES ('customers', JSON_ARRAY(CAST(OLD.`id` AS CHAR), CAST(NEW.`id` AS CHAR)), 'K', UTC_TIMESTAMP(6));
    ELSEIF NOT (CAST(OLD.`email` AS BINARY) <=> CAST(NEW.`email` AS BINARY) AND CAST(OLD.`name` AS BINARY) <=> CAST(NEW.`name` AS BINARY) AND CAST(OLD.`order` AS BINARY) <=> CAST(NEW.`order` AS BINARY)) THEN
      INSERT INTO `zcrmsync`.`changes` (mapping, key_text, op, changed_at)
        VALUES ('customers', CAST(NEW.`id` AS CHAR), 'U', UTC_TIMESTAMP(6));
    END IF;
  END IF $$

DROP TRIGGER IF EXISTS `erp`.`zcrmsync_customers_delete` $$

CREATE TRIGGER `erp`.`zcrmsync_customers_delete` AFTER DELETE ON `erp`.`Customer List` FOR EACH ROW
  IF @zcrmsync_origin IS NULL OR @zcrmsync_origin <> 'agent' THEN
    INSERT INTO `zcrmsync`.`changes` (mapping, key_text, op, changed_at)
      VALUES ('customers', CAST(OLD.`id` AS CHAR), 'D', UTC_TIMESTAMP(6));
  END IF $$

DROP TRIGGER IF EXISTS `erp`.`zcrmsync_order_lines_insert` $$

CREATE TRIGGER `erp`.`zcrmsync_order_lines_insert` AFTER INSERT ON `erp`.`order lines` FOR EACH ROW
  IF @zcrmsync_origin IS NULL OR @zcrmsync_origin <> 'agent' THEN
    INSERT INTO `zcrmsync`.`changes` (mapping, keys_json, op, changed_at)
      VALUES ('order_lines', JSON_ARRAY(JSON_ARRAY(CAST(NEW.`order` AS CHAR), CAST(NEW.`line no` AS CHAR))), 'I', UTC_TIMESTAMP(6));
  END IF $$

DROP TRIGGER IF EXISTS `erp`.`zcrmsync_order_lines_update` $$

CREATE TRIGGER `erp`.`zcrmsync_order_lines_update` AFTER UPDATE ON `erp`.`order lines` FOR EACH ROW
  IF @zcrmsync_origin IS NULL OR @zcrmsync_origin <> 'agent' THEN
    IF NOT (OLD.`order` <=> NEW.`order` AND OLD.`line no` <=> NEW.`line no`) THEN
      INSERT INTO `zcrmsync`.`changes` (mapping, keys_json, op, changed_at)
        VALUES ('order_lines', JSON_ARRAY(JSON_ARRAY(CAST(OLD.`order` AS CHAR), CAST(OLD.`line no` AS CHAR)), JSON_ARRAY(CAST(NEW.`order` AS CHAR), CAST(NEW.`line no` AS CHAR))), 'K', UTC_TIMESTAMP(6));
    ELSEIF NOT (CAST(OLD.`Unit "Price"` AS BINARY) <=> CAST(NEW.`Unit "Price"` AS BINARY) AND CAST(OLD.`qty` AS BINARY) <=> CAST(NEW.`qty` AS BINARY) AND CAST(OLD.`user` AS BINARY) <=> CAST(NEW.`user` AS BINARY)) THEN
      INSERT INTO `zcrmsync`.`changes` (mapping, keys_json, op, changed_at)
        VALUES ('order_lines', JSON_ARRAY(JSON_ARRAY(CAST(NEW.`order` AS CHAR), CAST(NEW.`line no` AS CHAR))), 'U', UTC_TIMESTAMP(6));
    END IF;
  END IF $$

DROP TRIGGER IF EXISTS `erp`.`zcrmsync_order_lines_delete` $$

CREATE TRIGGER `erp`.`zcrmsync_order_lines_delete` AFTER DELETE ON `erp`.`order lines` FOR EACH ROW
  IF @zcrmsync_origin IS NULL OR @zcrmsync_origin <> 'agent' THEN
    INSERT INTO `zcrmsync`.`changes` (mapping, keys_json, op, changed_at)
      VALUES ('order_lines', JSON_ARRAY(JSON_ARRAY(CAST(OLD.`order` AS CHAR), CAST(OLD.`line no` AS CHAR))), 'D', UTC_TIMESTAMP(6));
  END IF $$

DELIMITER ;
