-- zcrmsync SQL kit for mysql. Review it, then run it as one transaction where the dialect allows.

DELIMITER $$

INSERT INTO `zcrmsync`.`state` (name, value, updated_at) VALUES (?, ?, UTC_TIMESTAMP(6))
ON DUPLICATE KEY UPDATE
  updated_at = IF(value = VALUES(value) OR value IS NULL
                  OR updated_at < UTC_TIMESTAMP(6) - INTERVAL ? SECOND,
                  UTC_TIMESTAMP(6), updated_at),
  value = IF(updated_at = UTC_TIMESTAMP(6), VALUES(value), value) $$

DELETE FROM `zcrmsync`.`state` WHERE name = ? AND value = ? $$

DELIMITER ;
