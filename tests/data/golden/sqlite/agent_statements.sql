-- zcrmsync SQL kit for sqlite. Review it, then run it as one transaction where the dialect allows.

INSERT INTO "zcrmsync_suppress" (origin) VALUES ('agent');

DELETE FROM "zcrmsync_suppress";

SELECT change_id, mapping, keys_json, op, strftime('%Y-%m-%d %H:%M:%f', changed_at),
       CAST(change_id AS TEXT), key_text
  FROM "zcrmsync_changes"
 WHERE change_id > ?
 ORDER BY change_id
 LIMIT ?;

SELECT NULL, strftime('%Y-%m-%d %H:%M:%f', 'now');

SELECT 1, 1;

INSERT INTO "zcrmsync_changes" (mapping, keys_json, key_text, op, changed_at)
SELECT mapping, keys_json, key_text, op, changed_at FROM "zcrmsync_changes"
 WHERE change_id <= ? AND mapping = ?
 ORDER BY change_id;

DELETE FROM "zcrmsync_changes" WHERE change_id <= ? AND mapping = ?;

UPDATE "zcrmsync_errors"
   SET attempts = attempts + 1, last_failed_at = strftime('%Y-%m-%d %H:%M:%f', 'now'),
       status_code = ?, field = ?, message = ?
 WHERE mapping = ? AND direction = ? AND resolved_at IS NULL
   AND (erp_key = ? OR (erp_key IS NULL AND ? IS NULL))
   AND (zoho_id = ? OR (zoho_id IS NULL AND ? IS NULL));

INSERT INTO "zcrmsync_state" (name, value, updated_at)
VALUES (?, ?, strftime('%Y-%m-%d %H:%M:%f', 'now'))
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;

SELECT value FROM "zcrmsync_state" WHERE name = ?;

SELECT name, type, CASE WHEN "notnull" = 1 OR pk > 0 THEN 'NO' ELSE 'YES' END, 'NO'
  FROM pragma_table_info(?)
 ORDER BY cid;

SELECT 'trigger', name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?;

SELECT il.name, ii.name
  FROM pragma_index_list(?) AS il, pragma_index_info(il.name) AS ii
 WHERE il."unique" = 1 AND il.partial = 0
UNION ALL
SELECT 'primary key', name FROM pragma_table_info(?) WHERE pk > 0;

SELECT erp_key, zoho_id, external_id, base_values, erp_changed_at, crm_modified_at
  FROM "zcrmsync_links"
 WHERE mapping = ? AND erp_key = ?;

SELECT erp_key, zoho_id, external_id, base_values, erp_changed_at, crm_modified_at
  FROM "zcrmsync_links"
 WHERE mapping = ? AND zoho_id = ?;

DELETE FROM "zcrmsync_links" WHERE mapping = ? AND erp_key = ?;

INSERT INTO "zcrmsync_errors" (mapping, erp_key, zoho_id, direction, status_code, field, message)
VALUES (?, ?, ?, ?, ?, ?, ?);

SELECT error_id, mapping, erp_key, zoho_id, direction, status_code, field, message,
       attempts, first_failed_at, last_failed_at
  FROM "zcrmsync_errors"
 WHERE resolved_at IS NULL
 ORDER BY error_id;

UPDATE "zcrmsync_errors" SET resolved_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE error_id = ? AND resolved_at IS NULL;

SELECT mapping, SUM(CASE WHEN keys_json IS NULL OR op = 'K' THEN 1 ELSE json_array_length(keys_json) END)
  FROM "zcrmsync_changes" WHERE change_id > ? GROUP BY mapping;

INSERT INTO "zcrmsync_conflicts" (mapping, erp_key, zoho_id, field, base_value, erp_value, crm_value)
SELECT ?, ?, ?, ?, ?, ?, ?
 WHERE NOT EXISTS (SELECT 1 FROM "zcrmsync_conflicts"
                    WHERE mapping = ? AND erp_key = ? AND field = ? AND resolved_at IS NULL);

SELECT conflict_id, mapping, erp_key, zoho_id, field, base_value, erp_value, crm_value
  FROM "zcrmsync_conflicts"
 WHERE resolved_at IS NULL
 ORDER BY conflict_id;

UPDATE "zcrmsync_conflicts" SET resolved_at = strftime('%Y-%m-%d %H:%M:%f', 'now'), resolution = ? WHERE conflict_id = ? AND resolved_at IS NULL;

SELECT strftime('%Y-%m-%d %H:%M:%f', 'now');

SELECT name, value FROM "zcrmsync_state" WHERE substr(name, 1, length(?)) = ? ORDER BY name;

DELETE FROM "zcrmsync_state" WHERE name = ?;

SELECT keys_json FROM "zcrmsync_changes" WHERE change_id > ? AND mapping = ? AND op = 'K';

DELETE FROM "zcrmsync_changes"
 WHERE change_id IN (SELECT change_id FROM "zcrmsync_changes" WHERE change_id <= ?
                         AND mapping IN (?, ?)
                         AND change_id < (SELECT MAX(change_id) FROM "zcrmsync_changes")
                       ORDER BY change_id LIMIT ?);

SELECT erp_key, zoho_id, external_id, base_values, erp_changed_at, crm_modified_at
  FROM "zcrmsync_links"
 WHERE mapping = ? AND erp_key IN (?, ?, ?);

INSERT INTO "zcrmsync_links" (zoho_id, external_id, base_values, erp_changed_at, crm_modified_at,
                      mapping, erp_key)
VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (mapping, erp_key) DO UPDATE
   SET zoho_id = excluded.zoho_id, external_id = excluded.external_id,
       base_values = excluded.base_values, erp_changed_at = excluded.erp_changed_at,
       crm_modified_at = excluded.crm_modified_at,
       updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now');

SELECT "order", "line no", "qty" FROM "order lines" WHERE "order" = ? AND "line no" = ?;

SELECT "qty", "Unit ""Price""" FROM "order lines" WHERE "order" = ? AND "line no" = ?;

UPDATE "order lines" SET "qty" = ?, "Unit ""Price""" = ? WHERE "order" = ? AND "line no" = ?;

DELETE FROM "order lines" WHERE "order" = ? AND "line no" = ?;

SELECT CAST("order" AS TEXT) AS "zcrmsync_key_1", CAST("line no" AS TEXT) AS "zcrmsync_key_2" FROM "order lines" WHERE "qty" = ? AND "Unit ""Price""" = ? LIMIT 2;

SELECT "id" FROM "Customer List" WHERE "id" IN (?, ?, ?);

INSERT INTO "order lines" ("order", "qty", "Unit ""Price""") VALUES (?, ?, ?);

SELECT CAST("order" AS TEXT) AS "zcrmsync_key_1", CAST("line no" AS TEXT) AS "zcrmsync_key_2" FROM "order lines" WHERE rowid = last_insert_rowid();

SELECT CAST("order" AS TEXT) AS "zcrmsync_key_1", CAST("line no" AS TEXT) AS "zcrmsync_key_2" FROM "order lines" WHERE 1 = 1 ORDER BY "order", "line no" LIMIT ?;

SELECT CAST("order" AS TEXT) AS "zcrmsync_key_1", CAST("line no" AS TEXT) AS "zcrmsync_key_2" FROM "order lines" WHERE (("order" > ?) OR ("order" = ? AND "line no" > ?)) ORDER BY "order", "line no" LIMIT ?;

INSERT INTO "zcrmsync_changes" (mapping, keys_json, op, changed_at)
VALUES (?, ?, 'U', COALESCE(julianday(?), julianday('now')));

SELECT COUNT(*) FROM "order lines";

