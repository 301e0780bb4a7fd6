-- zcrmsync SQL kit for postgresql. Review it, then run it as one transaction where the dialect allows.

SET LOCAL zcrmsync.origin = 'agent';

SELECT 1;

SELECT c.change_id, c.mapping, c.keys_json, c.op, c.changed_at AT TIME ZONE 'UTC',
       c.txid::text AS txid_text, NULL::text
  FROM "zcrmsync"."changes" AS c
 WHERE c.txid < pg_snapshot_xmin(pg_current_snapshot())
   AND (c.txid > CAST(? AS xid8) OR (c.txid = CAST(? AS xid8) AND c.change_id > ?))
 ORDER BY c.txid, c.change_id
 LIMIT ?;

SELECT MIN(xact_start) AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
  FROM pg_stat_activity WHERE backend_xid IS NOT NULL;

SELECT 1, 1;

INSERT INTO "zcrmsync"."changes" (mapping, keys_json, op, changed_at)
SELECT c.mapping, c.keys_json, c.op, c.changed_at FROM "zcrmsync"."changes" AS c
 WHERE (c.txid < CAST(? AS xid8) OR (c.txid = CAST(? AS xid8) AND c.change_id <= ?))
   AND c.mapping = ?
 ORDER BY c.txid, c.change_id;

DELETE FROM "zcrmsync"."changes"
 WHERE (txid < CAST(? AS xid8) OR (txid = CAST(? AS xid8) AND change_id <= ?))
   AND mapping = ?;

UPDATE "zcrmsync"."errors"
   SET attempts = attempts + 1, last_failed_at = now(), status_code = ?, field = ?, message = ?
 WHERE mapping = ? AND direction = ? AND resolved_at IS NULL
   AND (erp_key = CAST(? AS text) OR (erp_key IS NULL AND CAST(? AS text) IS NULL))
   AND (zoho_id = CAST(? AS text) OR (zoho_id IS NULL AND CAST(? AS text) IS NULL));

INSERT INTO "zcrmsync"."state" (name, value, updated_at) VALUES (?, ?, now())
ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at;

SELECT value FROM "zcrmsync"."state" WHERE name = ?;

SELECT a.attname, format_type(a.atttypid, a.atttypmod),
       CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END,
       CASE WHEN NOT COALESCE(co.collisdeterministic, true)
              OR 'citext' IN (t.typname, bt.typname, et.typname) THEN 'YES' ELSE 'NO' END
  FROM pg_attribute a
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
  LEFT JOIN pg_type et ON et.oid = t.typelem
  LEFT JOIN pg_collation co ON co.oid = a.attcollation
 WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum;

SELECT 'trigger', t.tgname::text, ''
  FROM pg_trigger t WHERE t.tgrelid = to_regclass(?) AND NOT t.tgisinternal
UNION ALL
SELECT 'function', p.proname::text, p.prosrc
  FROM pg_proc p WHERE p.oid = to_regprocedure(?);

SELECT c.relname::text, a.attname::text
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
 WHERE i.indrelid = to_regclass(?) AND i.indisunique AND i.indpred IS NULL
   AND i.indexprs IS NULL;

SELECT erp_key, zoho_id, external_id, base_values, erp_changed_at AT TIME ZONE 'UTC',
       crm_modified_at AT TIME ZONE 'UTC'
  FROM "zcrmsync"."links"
 WHERE mapping = ? AND erp_key = ?;

SELECT erp_key, zoho_id, external_id, base_values, erp_changed_at AT TIME ZONE 'UTC',
       crm_modified_at AT TIME ZONE 'UTC'
  FROM "zcrmsync"."links"
 WHERE mapping = ? AND zoho_id = ?;

DELETE FROM "zcrmsync"."links" WHERE mapping = ? AND erp_key = ?;

INSERT INTO "zcrmsync"."errors" (mapping, erp_key, zoho_id, direction, status_code, field, message)
VALUES (?, ?, ?, ?, ?, ?, ?);

SELECT error_id, mapping, erp_key, zoho_id, direction, status_code, field, message,
       attempts, first_failed_at, last_failed_at
  FROM "zcrmsync"."errors"
 WHERE resolved_at IS NULL
 ORDER BY error_id;

UPDATE "zcrmsync"."errors" SET resolved_at = now() WHERE error_id = ? AND resolved_at IS NULL;

SELECT mapping, SUM(CASE WHEN op = 'K' THEN 1 ELSE json_array_length(keys_json::json) END)
  FROM "zcrmsync"."changes"
 WHERE txid > CAST(? AS xid8) OR (txid = CAST(? AS xid8) AND change_id > ?)
 GROUP BY mapping;

INSERT INTO "zcrmsync"."conflicts" (mapping, erp_key, zoho_id, field, base_value, erp_value, crm_value)
SELECT ?, ?, ?, ?, ?, ?, ?
 WHERE NOT EXISTS (SELECT 1 FROM "zcrmsync"."conflicts"
                    WHERE mapping = ? AND erp_key = ? AND field = ? AND resolved_at IS NULL);

SELECT conflict_id, mapping, erp_key, zoho_id, field, base_value, erp_value, crm_value
  FROM "zcrmsync"."conflicts"
 WHERE resolved_at IS NULL
 ORDER BY conflict_id;

UPDATE "zcrmsync"."conflicts" SET resolved_at = now(), resolution = ? WHERE conflict_id = ? AND resolved_at IS NULL;

SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US');

SELECT name, value FROM "zcrmsync"."state" WHERE substr(name, 1, length(CAST(? AS text))) = ? ORDER BY name;

DELETE FROM "zcrmsync"."state" WHERE name = ?;

SELECT c.keys_json
  FROM "zcrmsync"."changes" AS c
 WHERE (c.txid > CAST(? AS xid8) OR (c.txid = CAST(? AS xid8) AND c.change_id > ?))
   AND c.mapping = ? AND c.op = 'K';

DELETE FROM "zcrmsync"."changes"
 WHERE change_id IN (
   SELECT c.change_id FROM "zcrmsync"."changes" AS c
    WHERE (c.txid < CAST(? AS xid8) OR (c.txid = CAST(? AS xid8) AND c.change_id <= ?))
      AND c.mapping IN (?, ?)
    ORDER BY c.txid, c.change_id
    LIMIT ?);

SELECT l.erp_key, l.zoho_id, l.external_id, l.base_values,
       l.erp_changed_at AT TIME ZONE 'UTC', l.crm_modified_at AT TIME ZONE 'UTC'
  FROM (SELECT CAST(? AS text) AS mapping) m
 CROSS JOIN (VALUES (?), (?), (?)) AS k (erp_key)
 CROSS JOIN LATERAL (SELECT * FROM "zcrmsync"."links"
                      WHERE mapping = m.mapping AND erp_key = k.erp_key LIMIT 1) l;

INSERT INTO "zcrmsync"."links" (zoho_id, external_id, base_values, erp_changed_at, crm_modified_at,
                      mapping, erp_key)
SELECT v.zoho_id, v.external_id, v.base_values,
       CAST(v.erp_changed_at AS timestamp) AT TIME ZONE 'UTC',
       CAST(v.crm_modified_at AS timestamp) AT TIME ZONE 'UTC', v.mapping, v.erp_key
  FROM (VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)) AS v (zoho_id, external_id, base_values, erp_changed_at, crm_modified_at,
                              mapping, erp_key)
    ON CONFLICT (mapping, erp_key) DO UPDATE
   SET zoho_id = EXCLUDED.zoho_id, external_id = EXCLUDED.external_id,
       base_values = EXCLUDED.base_values, erp_changed_at = EXCLUDED.erp_changed_at,
       crm_modified_at = EXCLUDED.crm_modified_at, updated_at = clock_timestamp();

SELECT "order", "line no", "qty" FROM "erp"."order lines" WHERE "order" = ? AND "line no" = ?;

SELECT "qty", "Unit ""Price""" FROM "erp"."order lines" WHERE "order" = ? AND "line no" = ? FOR UPDATE;

UPDATE "erp"."order lines" SET "qty" = ?, "Unit ""Price""" = ? WHERE "order" = ? AND "line no" = ?;

DELETE FROM "erp"."order lines" WHERE "order" = ? AND "line no" = ?;

SELECT "order"::text AS "zcrmsync_key_1", "line no"::text AS "zcrmsync_key_2" FROM "erp"."order lines" WHERE "qty" = ? AND "Unit ""Price""" = ? LIMIT 2;

SELECT "id" FROM "erp"."Customer List" WHERE "id" IN (?, ?, ?);

INSERT INTO "erp"."order lines" ("order", "qty", "Unit ""Price""") VALUES (?, ?, ?) RETURNING "order"::text AS "zcrmsync_key_1", "line no"::text AS "zcrmsync_key_2";

SELECT "order"::text AS "zcrmsync_key_1", "line no"::text AS "zcrmsync_key_2" FROM "erp"."order lines" WHERE 1 = 1 ORDER BY "order", "line no" LIMIT ?;

SELECT "order"::text AS "zcrmsync_key_1", "line no"::text AS "zcrmsync_key_2" FROM "erp"."order lines" WHERE (("order" > CAST(? AS integer)) OR ("order" = CAST(? AS integer) AND "line no" > CAST(? AS character varying(10)))) ORDER BY "order", "line no" LIMIT ?;

INSERT INTO "zcrmsync"."changes" (mapping, keys_json, op, changed_at)
VALUES (?, ?, 'U', COALESCE(CAST(? AS timestamp) AT TIME ZONE 'UTC', clock_timestamp()));

SELECT COUNT(*) FROM "erp"."order lines";

