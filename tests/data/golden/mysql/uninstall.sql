-- zcrmsync SQL kit for mysql. Review it, then run it as one transaction where the dialect allows.

DELIMITER $$

DROP TRIGGER IF EXISTS `erp`.`zcrmsync_customers_insert` $$

DROP TRIGGER IF EXISTS `erp`.`zcrmsync_customers_update` $$

DROP TRIGGER IF EXISTS `erp`.`zcrmsync_customers_delete` $$

DROP TRIGGER IF EXISTS `erp`.`zcrmsync_order_lines_insert` $$

DROP TRIGGER IF EXISTS `erp`.`zcrmsync_order_lines_update` $$

DROP TRIGGER IF EXISTS `erp`.`zcrmsync_order_lines_delete` $$

DROP TABLE IF EXISTS `zcrmsync`.`conflicts` $$

DROP TABLE IF EXISTS `zcrmsync`.`errors` $$

DROP TABLE IF EXISTS `zcrmsync`.`state` $$

DROP TABLE IF EXISTS `zcrmsync`.`links` $$

DROP TABLE IF EXISTS `zcrmsync`.`changes` $$

DROP TABLE IF EXISTS `zcrmsync`.`schema_version` $$

DELIMITER ;
