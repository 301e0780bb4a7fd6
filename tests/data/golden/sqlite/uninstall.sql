-- zcrmsync SQL kit for sqlite. Review it, then run it as one transaction where the dialect allows.

DROP TRIGGER IF EXISTS "zcrmsync_customers_insert";

DROP TRIGGER IF EXISTS "zcrmsync_customers_update";

DROP TRIGGER IF EXISTS "zcrmsync_customers_update_key";

DROP TRIGGER IF EXISTS "zcrmsync_customers_delete";

DROP TRIGGER IF EXISTS "zcrmsync_order_lines_insert";

DROP TRIGGER IF EXISTS "zcrmsync_order_lines_update";

DROP TRIGGER IF EXISTS "zcrmsync_order_lines_update_key";

DROP TRIGGER IF EXISTS "zcrmsync_order_lines_delete";

DROP TABLE IF EXISTS "zcrmsync_suppress";

DROP TABLE IF EXISTS "zcrmsync_conflicts";

DROP TABLE IF EXISTS "zcrmsync_errors";

DROP TABLE IF EXISTS "zcrmsync_state";

DROP TABLE IF EXISTS "zcrmsync_links";

DROP TABLE IF EXISTS "zcrmsync_changes";

DROP TABLE IF EXISTS "zcrmsync_schema_version";

