-- zcrmsync: the columns of every primary or unique key of one table, one row
-- per (key, column). An INTEGER PRIMARY KEY has no index entry: it comes
-- from pragma_table_info.
-- Tokens: none. Parameters: 1 the table, 2 the table again.
SELECT il.name, ii.name
  FROM pragma_index_list(?) AS il, pragma_index_info(il.name) AS ii
 WHERE il."unique" = 1 AND il.partial = 0
UNION ALL
SELECT 'primary key', name FROM pragma_table_info(?) WHERE pk > 0
