-- zcrmsync SQL kit for mysql. Review it, then run it as one transaction where the dialect allows.

DELIMITER $$

SET @zcrmsync_origin = 'agent' $$

SET @zcrmsync_origin = NULL $$

SELECT change_id, mapping, keys_json, op, changed_at, CAST(change_id AS CHAR), key_text
  FROM `zcrmsync`.`changes`
 WHERE change_id > ?
 ORDER BY change_id
 LIMIT ? $$

SELECT MIN(trx_started), NOW(6) FROM information_schema.INNODB_TRX $$

SELECT @@auto_increment_increment, @@auto_increment_offset $$

INSERT INTO `zcrmsync`.`changes` (mapping, keys_json, key_text, op, changed_at)
SELECT mapping, keys_json, key_text, op, changed_at FROM `zcrmsync`.`changes`
 WHERE change_id <= ? AND mapping = ?
 ORDER BY change_id $$

DELETE FROM `zcrmsync`.`changes` WHERE change_id <= ? AND mapping = ? $$

UPDATE `zcrmsync`.`errors`
   SET attempts = attempts + 1, last_failed_at = CURRENT_TIMESTAMP(6), status_code = ?, field = ?,
       message = ?
 WHERE mapping = ? AND direction = ? AND resolved_at IS NULL
   AND (erp_key = ? OR (erp_key IS NULL AND ? IS NULL))
   AND (zoho_id = ? OR (zoho_id IS NULL AND ? IS NULL)) $$

INSERT INTO `zcrmsync`.`state` (name, value, updated_at) VALUES (?, ?, CURRENT_TIMESTAMP(6))
ON DUPLICATE KEY UPDATE value = VALUES(value), updated_at = VALUES(updated_at) $$

SELECT value FROM `zcrmsync`.`state` WHERE name = ? $$

SELECT column_name, column_type, is_nullable, 'NO'
  FROM information_schema.columns
 WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?
 ORDER BY ordinal_position $$

SELECT 'trigger', trigger_name, action_statement
  FROM information_schema.triggers
 WHERE event_object_schema = COALESCE(?, DATABASE()) AND event_object_table = ? $$

SELECT index_name, column_name
  FROM information_schema.statistics
 WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? AND non_unique = 0 $$

SELECT erp_key, zoho_id, external_id, base_values, erp_changed_at, crm_modified_at
  FROM `zcrmsync`.`links`
 WHERE mapping = ? AND erp_key = ? $$

SELECT erp_key, zoho_id, external_id, base_values, erp_changed_at, crm_modified_at
  FROM `zcrmsync`.`links`
 WHERE mapping = ? AND zoho_id = ? $$

DELETE FROM `zcrmsync`.`links` WHERE mapping = ? AND erp_key = ? $$

INSERT INTO `zcrmsync`.`errors` (mapping, erp_key, zoho_id, direction, status_code, field, message)
VALUES (?, ?, ?, ?, ?, ?, ?) $$

SELECT error_id, mapping, erp_key, zoho_id, direction, status_code, field, message,
       attempts, first_failed_at, last_failed_at
  FROM `zcrmsync`.`errors`
 WHERE resolved_at IS NULL
 ORDER BY error_id $$

UPDATE `zcrmsync`.`errors` SET resolved_at = CURRENT_TIMESTAMP(6) WHERE error_id = ? AND resolved_at IS NULL $$

SELECT mapping, SUM(CASE WHEN keys_json IS NULL OR op = 'K' THEN 1 ELSE JSON_LENGTH(keys_json) END)
  FROM `zcrmsync`.`changes` WHERE change_id > ? GROUP BY mapping $$

INSERT INTO `zcrmsync`.`conflicts` (mapping, erp_key, zoho_id, field, base_value, erp_value, crm_value)
SELECT ?, ?, ?, ?, ?, ?, ? FROM DUAL
 WHERE NOT EXISTS (SELECT 1 FROM `zcrmsync`.`conflicts`
                    WHERE mapping = ? AND erp_key = ? AND field = ? AND resolved_at IS NULL) $$

SELECT conflict_id, mapping, erp_key, zoho_id, field, base_value, erp_value, crm_value
  FROM `zcrmsync`.`conflicts`
 WHERE resolved_at IS NULL
 ORDER BY conflict_id $$

UPDATE `zcrmsync`.`conflicts` SET resolved_at = CURRENT_TIMESTAMP(6), resolution = ? WHERE conflict_id = ? AND resolved_at IS NULL $$

SELECT CAST(UTC_TIMESTAMP(6) AS CHAR) $$

SELECT name, value FROM `zcrmsync`.`state`
 WHERE CAST(LEFT(name, CHAR_LENGTH(?)) AS BINARY) = CAST(? AS BINARY) ORDER BY name $$

DELETE FROM `zcrmsync`.`state` WHERE name = ? $$

SELECT keys_json FROM `zcrmsync`.`changes` WHERE change_id > ? AND mapping = ? AND op = 'K' $$

DELETE FROM `zcrmsync`.`changes` WHERE change_id <= ? AND mapping IN (?, ?)
 ORDER BY change_id LIMIT ? $$

SELECT erp_key, zoho_id, external_id, base_values, erp_changed_at, crm_modified_at
  FROM `zcrmsync`.`links`
 WHERE mapping = ? AND erp_key IN (?, ?, ?) $$

INSERT INTO `zcrmsync`.`links` (zoho_id, external_id, base_values, erp_changed_at, crm_modified_at,
                      mapping, erp_key)
VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)
    ON DUPLICATE KEY UPDATE
       erp_key = IF(erp_key = VALUES(erp_key), erp_key, (SELECT 1 UNION ALL SELECT 2)),
       zoho_id = VALUES(zoho_id), external_id = VALUES(external_id),
       base_values = VALUES(base_values), erp_changed_at = VALUES(erp_changed_at),
       crm_modified_at = VALUES(crm_modified_at), updated_at = CURRENT_TIMESTAMP(6) $$

SELECT `order`, `line no`, `qty` FROM `erp`.`order lines` WHERE `order` = ? AND `line no` = ? $$

SELECT `qty`, `Unit "Price"` FROM `erp`.`order lines` WHERE `order` = ? AND `line no` = ? FOR UPDATE $$

UPDATE `erp`.`order lines` SET `qty` = ?, `Unit "Price"` = ? WHERE `order` = ? AND `line no` = ? $$

DELETE FROM `erp`.`order lines` WHERE `order` = ? AND `line no` = ? $$

SELECT CAST(`order` AS CHAR) AS `zcrmsync_key_1`, CAST(`line no` AS CHAR) AS `zcrmsync_key_2` FROM `erp`.`order lines` WHERE `qty` = ? AND `Unit "Price"` = ? LIMIT 2 $$

SELECT `id` FROM `erp`.`Customer List` WHERE `id` IN (?, ?, ?) $$

INSERT INTO `erp`.`order lines` (`order`, `qty`, `Unit "Price"`) VALUES (?, ?, ?) RETURNING CAST(`order` AS CHAR) AS `zcrmsync_key_1`, CAST(`line no` AS CHAR) AS `zcrmsync_key_2` $$

SELECT CAST(`order` AS CHAR) AS `zcrmsync_key_1`, CAST(`line no` AS CHAR) AS `zcrmsync_key_2` FROM `erp`.`order lines` WHERE 1 = 1 ORDER BY `order`, `line no` LIMIT ? $$

SELECT CAST(`order` AS CHAR) AS `zcrmsync_key_1`, CAST(`line no` AS CHAR) AS `zcrmsync_key_2` FROM `erp`.`order lines` WHERE ((`order` > ?) OR (`order` = ? AND `line no` > ?)) ORDER BY `order`, `line no` LIMIT ? $$

INSERT INTO `zcrmsync`.`changes` (mapping, keys_json, op, changed_at)
VALUES (?, ?, 'U', COALESCE(?, UTC_TIMESTAMP(6))) $$

SELECT COUNT(*) FROM `erp`.`order lines` $$

DELIMITER ;
