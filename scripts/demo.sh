#!/usr/bin/env bash
# The README's run command: installs what is missing (apt-get, as root),
# builds, and runs zcrmsync on its embedded default: a SQLite ERP database in
# ./demo plus the local Zoho CRM emulator on a free loopback port.
# It tells the whole story: a sample ERP (customers, contacts, products; a
# few hundred rows), the SQL kit installed, the first sync, edits on both
# sides including conflicts, a record created in the CRM, a delete, and the
# two sides converging, with plan and status along the way. Each run starts
# from a fresh ./demo.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# shellcheck source=lib/deps.sh
source scripts/lib/deps.sh
deps_install build

cmake --preset linux-gcc -DZCRMSYNC_BUILD_TESTS=OFF >/dev/null
cmake --build --preset linux-gcc --target zcrmsync zoho-emulator
BIN=$ROOT/build/linux-gcc

DEMO=$ROOT/demo
rm -rf "$DEMO"
mkdir -p "$DEMO"
DB=$DEMO/erp.db
sqlite3 "$DB" <<'SQL'
CREATE TABLE customers (
  id integer PRIMARY KEY,
  name text NOT NULL,
  email text,
  credit_limit text,
  tier text
);
CREATE TABLE contacts (
  id integer PRIMARY KEY,
  first_name text,
  last_name text NOT NULL,
  email text,
  customer_id integer REFERENCES customers (id)
);
CREATE TABLE products (
  sku text PRIMARY KEY,
  name text NOT NULL,
  price numeric(12,2),
  active integer
);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
INSERT INTO customers SELECT i, 'Customer ' || i, 'buyer' || i || '@example.com',
  printf('%d.00', i * 500), CASE i % 2 WHEN 0 THEN 'A' ELSE 'B' END FROM n;
UPDATE customers SET name = 'Ærøskøbing Shipping ApS' WHERE id = 1;
UPDATE customers SET name = '東京精密株式会社' WHERE id = 2;
UPDATE customers SET name = 'Zoë''s Bakery 🥐' WHERE id = 3;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
INSERT INTO contacts SELECT i, 'First' || i, 'Last' || i, 'contact' || i || '@example.com',
  1 + (i % 200) FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
INSERT INTO products SELECT printf('P-%04d', i), 'Product ' || i, i * 10 + 0.99, 1 FROM n;
SQL
echo "demo: created the ERP database $DB: 200 customers, 300 contacts, 100 products"

SQLITE_DRIVER=/usr/lib/x86_64-linux-gnu/odbc/libsqlite3odbc.so
echo
echo "== 1. The ERP database over ODBC (sqliteodbc)"
"$BIN/agent/zcrmsync" --log-level warn ping -c "DRIVER=$SQLITE_DRIVER;Database=$DB;"

echo
echo "== 2. The local Zoho CRM emulator"
EMU_OUT=$DEMO/emulator.out
"$BIN/emulator/zoho-emulator" --port 0 --state "$DEMO/zoho-state.json" >"$EMU_OUT" 2>"$DEMO/emulator.log" &
EMU_PID=$!
trap 'kill "$EMU_PID" 2>/dev/null; wait "$EMU_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  URL=$(head -1 "$EMU_OUT" 2>/dev/null | sed -n 's/^listening on //p')
  [ -n "$URL" ] && break
  sleep 0.1
done
[ -n "${URL:-}" ] || { echo "demo: the emulator did not start; see $DEMO/emulator.log" >&2; exit 1; }
echo "emulator listening on $URL (state kept in $DEMO/zoho-state.json)"

# The embedded default config: this SQLite file and the emulator. The secret
# comes from the environment, as it should in production.
CONFIG=$DEMO/zcrmsync.jsonc
cat >"$CONFIG" <<JSON
// zcrmsync demo config: SQLite ERP database + local Zoho CRM emulator.
{
  "database": {
    "dialect": "sqlite",
    "connection_string": "DRIVER=$SQLITE_DRIVER;Database=$DB;",
    "schema": "zcrmsync",
  },
  "zoho": {
    "api_base_url": "$URL",
    "accounts_url": "$URL",
    "client_id": "zcrmsync-demo",
    "client_secret": "\${ZOHO_CLIENT_SECRET}",
    "refresh_token": "zcrmsync-demo-refresh",
  },
  "sync": {"interval_seconds": 2, "conflict_rule": "latest_wins", "clock_skew_tolerance_seconds": 1},
  "mappings": [
    {
      // First: contacts look their customer up through it.
      "name": "customers", "table": "customers", "module": "Accounts",
      "key_columns": ["id"], "external_id_field": "ERP_Id",
      "fields": [
        {"column": "name", "field": "Account_Name"},
        {"column": "email", "field": "Website", "direction": "erp_to_crm"},
        {"column": "tier", "field": "Rating", "values": {"A": "Acquired", "B": "Active"}},
      ],
    },
    {
      "name": "contacts", "table": "contacts", "module": "Contacts",
      "key_columns": ["id"], "external_id_field": "ERP_Id",
      "fields": [
        {"column": "first_name", "field": "First_Name"},
        {"column": "last_name", "field": "Last_Name"},
        {"column": "email", "field": "Email", "conflict_rule": "manual"},
        {"column": "customer_id", "field": "Account_Name"},
      ],
    },
    {
      "name": "products", "table": "products", "module": "Products",
      "key_columns": ["sku"], "external_id_field": "ERP_Id", "direction": "erp_to_crm",
      "fields": [
        {"column": "name", "field": "Product_Name"},
        {"column": "price", "field": "Unit_Price"},
        {"column": "active", "field": "Product_Active"},
      ],
    },
  ],
}
JSON
export ZOHO_CLIENT_SECRET=zcrmsync-demo-secret
export ZCRMSYNC_TOKEN_CACHE_DIR=$DEMO/token-cache
Z=("$BIN/agent/zcrmsync" --log-level warn --config "$CONFIG")
echo "config written to $CONFIG"

# The CRM as a Zoho user would use it: OAuth, then REST calls.
TOKEN=$(curl -fsS -X POST "$URL/oauth/v2/token" -d grant_type=refresh_token -d client_id=zcrmsync-demo \
  -d client_secret=zcrmsync-demo-secret -d refresh_token=zcrmsync-demo-refresh |
  sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
coql() {
  curl -fsS -H "Authorization: Zoho-oauthtoken $TOKEN" -X POST "$URL/crm/v8/coql" \
    -d "{\"select_query\":\"$1\"}"
}
crm_id() {  # module, ERP_Id
  coql "select id from $1 where ERP_Id = '$2'" | sed -n 's/.*"id":"\([0-9]*\)".*/\1/p'
}
crm_put() {  # module, id, JSON fields
  curl -fsS -H "Authorization: Zoho-oauthtoken $TOKEN" -X PUT "$URL/crm/v8/$1/$2" \
    -d "{\"data\":[$3]}" >/dev/null
}
crm_count() {  # up to 2,000 records
  coql "select id from $1 where id is not null limit 2000" | grep -o '"id":"' | wc -l
}

echo
echo "== 3. zcrmsync check: the config against the database and Zoho's field metadata"
"${Z[@]}" check

echo
echo "== 4. zcrmsync sql install: the script a DBA reviews (first lines)"
"${Z[@]}" sql install | sed -n '1,8p'
echo "   ... ($("${Z[@]}" sql install | grep -c 'CREATE') CREATE statements in all)"

echo
echo "== 5. zcrmsync install, then verify"
"${Z[@]}" install
"${Z[@]}" verify

echo
echo "== 6. zcrmsync plan: what the first cycle will do (it writes nothing)"
"${Z[@]}" plan

echo
echo "== 7. zcrmsync run --once: the first sync (600 rows that existed before install)"
"${Z[@]}" run --once
"${Z[@]}" status
echo "CRM now holds $(crm_count Accounts) accounts, $(crm_count Contacts) contacts, $(crm_count Products) products"
echo "contact 7's account in the CRM: $(coql "select Account_Name from Contacts where ERP_Id = '7'" |
  grep -o '"Account_Name":{[^}]*}') (customer 8 of the ERP)"

echo
echo "== 8. Both sides edit"
C2=$(crm_id Accounts 2)
C5=$(crm_id Accounts 5)
P1=$(crm_id Contacts 1)
sqlite3 "$DB" "UPDATE customers SET tier = 'A' WHERE id = 5;
  UPDATE customers SET name = 'Tokyo Seimitsu (ERP)' WHERE id = 2;
  UPDATE contacts SET email = 'erp.side@example.com' WHERE id = 1;
  DELETE FROM products WHERE sku = 'P-0100';
  UPDATE products SET price = 1234567.89 WHERE sku = 'P-0001';"
echo "ERP: customer 5 tier -> A; customer 2 name -> 'Tokyo Seimitsu (ERP)'; contact 1 email;"
echo "     product P-0100 deleted; P-0001 price -> 1234567.89"
sleep 1.5  # the CRM edits come later: under latest_wins the later edit of a field wins
crm_put Accounts "$C5" '{"Account_Name":"Customer 5 (renamed in Zoho)"}'
crm_put Accounts "$C2" '{"Account_Name":"東京精密 (CRM, later)"}'
crm_put Contacts "$P1" '{"Email":"crm.side@example.com"}'
curl -fsS -H "Authorization: Zoho-oauthtoken $TOKEN" -X POST "$URL/crm/v8/Accounts" \
  -d '{"data":[{"Account_Name":"Created in Zoho Ltd"}]}' >/dev/null
echo "CRM: account 5 renamed (a different field than the ERP's: both survive);"
echo "     account 2 renamed later than the ERP did (the same field: latest_wins, the CRM wins);"
echo "     contact 1 email (the same field, rule manual: held for a person);"
echo "     a new account 'Created in Zoho Ltd' (it becomes an ERP row)"

echo
echo "== 9. zcrmsync plan: what the next cycle will do"
"${Z[@]}" plan

echo
echo "== 10. zcrmsync run --once: merge, write back, push"
"${Z[@]}" run --once || true
echo "customer 5 in the ERP: $(sqlite3 "$DB" "SELECT name || ' / tier ' || tier FROM customers WHERE id = 5")"
echo "customer 5 in the CRM: $(coql "select Account_Name, Rating from Accounts where ERP_Id = '5'" |
  grep -o '"Account_Name":"[^"]*"\|"Rating":"[^"]*"' | tr '\n' ' ')"
echo "customer 2 in the ERP: $(sqlite3 "$DB" "SELECT name FROM customers WHERE id = 2")"
echo "new ERP row from the CRM: $(sqlite3 "$DB" "SELECT id || ' ' || name FROM customers WHERE name = 'Created in Zoho Ltd'")"
echo "product P-0100 in the CRM: $(coql "select id from Products where ERP_Id = 'P-0100'" | grep -c '"id"' || true) record(s)"
echo "product P-0001 price in the CRM: $(coql "select Unit_Price from Products where ERP_Id = 'P-0001'" |
  grep -o '"Unit_Price":[^,}]*')"

echo
echo "== 11. The held conflict: zcrmsync conflicts list, then resolve it"
"${Z[@]}" conflicts list
ID=$("${Z[@]}" conflicts list | awk -F'\t' '$2 == "contacts" {print $1; exit}')
"${Z[@]}" conflicts resolve "$ID" --take crm
echo "contact 1 email in the ERP: $(sqlite3 "$DB" "SELECT email FROM contacts WHERE id = 1")"

echo
echo "== 12. Converged: one more cycle writes nothing; both sides hold the same rows"
"${Z[@]}" run --once
"${Z[@]}" status
echo "ERP: $(sqlite3 "$DB" "SELECT count(*) FROM customers") customers, $(sqlite3 "$DB" "SELECT count(*) FROM contacts") contacts, $(sqlite3 "$DB" "SELECT count(*) FROM products") products"
echo "CRM: $(crm_count Accounts) accounts, $(crm_count Contacts) contacts, $(crm_count Products) products"

echo
echo "demo: done. The ERP database is $DB, the config $CONFIG."
echo "Run the agent as a service would: ${Z[*]} run   (Ctrl+C stops it after the cycle)"
echo "Remove the SQL kit with: ${Z[*]} uninstall"
