-- zcrmsync SQL kit for postgresql. Review it, then run it as one transaction where the dialect allows.

INSERT INTO "zcrmsync"."state" (name, value, updated_at) VALUES (?, ?, clock_timestamp())
ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
 WHERE "zcrmsync"."state".value = EXCLUDED.value OR "zcrmsync"."state".value IS NULL
    OR "zcrmsync"."state".updated_at < clock_timestamp() - CAST(? AS integer) * INTERVAL '1 second';

DELETE FROM "zcrmsync"."state" WHERE name = ? AND value = ?;

