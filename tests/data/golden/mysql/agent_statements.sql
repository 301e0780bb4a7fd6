-- zcrmsync SQL kit for mysql. Review it, then run it as one transaction where the dialect allows.

DELIMITER $$

SET @zcrmsync_origin = 'agent' $$

SET @zcrmsync_origin = NULL $$

SELECT change_id, mapping, key_json, op, changed_at, CAST(change_id AS CHAR)
  FROM `zcrmsync`.`changes`
 WHERE change_id > ?
 ORDER BY change_id
 LIMIT ? $$

DELETE FROM `zcrmsync`.`changes` WHERE change_id <= ? ORDER BY change_id LIMIT ? $$

SELECT MIN(trx_started), NOW(6) FROM information_schema.INNODB_TRX $$

DELIMITER ;
