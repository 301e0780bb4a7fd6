-- zcrmsync SQL kit for sqlite. Review it, then run it as one transaction where the dialect allows.

INSERT INTO "zcrmsync_suppress" (origin) VALUES ('agent');

DELETE FROM "zcrmsync_suppress";

SELECT change_id, mapping, key_json, op, changed_at, CAST(change_id AS TEXT)
  FROM "zcrmsync_changes"
 WHERE change_id > ?
 ORDER BY change_id
 LIMIT ?;

DELETE FROM "zcrmsync_changes"
 WHERE change_id IN (SELECT change_id FROM "zcrmsync_changes" WHERE change_id <= ? ORDER BY change_id LIMIT ?);

SELECT NULL, strftime('%Y-%m-%d %H:%M:%f', 'now');

