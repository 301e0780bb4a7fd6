-- zcrmsync SQL kit for sqlite. Review it, then run it as one transaction where the dialect allows.

INSERT INTO "zcrmsync_state" (name, value, updated_at)
VALUES (?, ?, strftime('%Y-%m-%d %H:%M:%f', 'now'))
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
 WHERE "zcrmsync_state".value = excluded.value OR "zcrmsync_state".value IS NULL
    OR "zcrmsync_state".updated_at < strftime('%Y-%m-%d %H:%M:%f', 'now',
                                      '-' || CAST(? AS integer) || ' seconds');

DELETE FROM "zcrmsync_state" WHERE name = ? AND value = ?;

