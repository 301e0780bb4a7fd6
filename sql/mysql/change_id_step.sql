-- zcrmsync: how AUTO_INCREMENT hands out change ids: every
-- auto_increment_increment-th value from auto_increment_offset (both 1 on a
-- plain server; a Galera or multi-master node steps by the cluster size). The
-- reader expects the next id after n at the next such value, not at n + 1.
-- Tokens: none. No parameters.
SELECT @@auto_increment_increment, @@auto_increment_offset
