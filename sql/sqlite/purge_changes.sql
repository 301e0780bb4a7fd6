-- zcrmsync: deletes processed changes (at or before the cursor), a bounded
-- batch at a time. The newest row always stays: change ids are rowids (max +
-- 1), and an empty table would hand out ids again from 1.
-- Tokens: ${changes} (a quoted identifier).
-- Parameters: 1 cursor change_id, 2 the batch size.
DELETE FROM ${changes}
 WHERE change_id IN (SELECT change_id FROM ${changes} WHERE change_id <= ?
                         AND change_id < (SELECT MAX(change_id) FROM ${changes})
                       ORDER BY change_id LIMIT ?)
