-- zcrmsync SQL kit for postgresql. Review it, then run it as one transaction where the dialect allows.

DROP TRIGGER IF EXISTS "zcrmsync_customers_insert" ON "erp"."Customer List";

DROP TRIGGER IF EXISTS "zcrmsync_customers_update" ON "erp"."Customer List";

DROP TRIGGER IF EXISTS "zcrmsync_customers_update_key" ON "erp"."Customer List";

DROP TRIGGER IF EXISTS "zcrmsync_customers_delete" ON "erp"."Customer List";

DROP FUNCTION IF EXISTS "zcrmsync"."capture_customers"();

DROP TRIGGER IF EXISTS "zcrmsync_order_lines_insert" ON "erp"."order lines";

DROP TRIGGER IF EXISTS "zcrmsync_order_lines_update" ON "erp"."order lines";

DROP TRIGGER IF EXISTS "zcrmsync_order_lines_update_key" ON "erp"."order lines";

DROP TRIGGER IF EXISTS "zcrmsync_order_lines_delete" ON "erp"."order lines";

DROP FUNCTION IF EXISTS "zcrmsync"."capture_order_lines"();

DROP TABLE IF EXISTS "zcrmsync"."conflicts";

DROP TABLE IF EXISTS "zcrmsync"."errors";

DROP TABLE IF EXISTS "zcrmsync"."state";

DROP TABLE IF EXISTS "zcrmsync"."links";

DROP TABLE IF EXISTS "zcrmsync"."changes";

DROP TABLE IF EXISTS "zcrmsync"."schema_version";

DROP SCHEMA IF EXISTS "zcrmsync" RESTRICT;

