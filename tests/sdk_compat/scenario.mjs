// Zoho's official Node.js SDK (@zohocrm/nodejs-sdk-8.0) against a fresh
// zoho-emulator (issue #3). Usage: node scenario.mjs /path/to/zoho-emulator
// (or ZOHO_EMULATOR=/path). Exits non-zero on the first failed assertion.
//
// The SDK is pointed at the emulator with a custom Environment (API base and
// full token URL both on the emulator) and keeps updateAPIDomain at its
// default (true), so the emulator's api_domain must name itself. Its token
// store, field cache and log live in a temp dir that is removed at the end.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import * as ZOHOCRMSDK from "@zohocrm/nodejs-sdk-8.0";

const { Record: R, Coql, Fields, ParameterMap, HeaderMap } = ZOHOCRMSDK;
const MODULE = "Leads";

let assertions = 0;
// Every check goes through here so the summary can count them.
function check(fn, what) {
  try {
    fn();
  } catch (e) {
    e.message = `${what}: ${e.message}`;
    throw e;
  }
  assertions++;
}
const eq = (actual, expected, what) => check(() => assert.deepEqual(actual, expected), what);
const ok = (value, what) => check(() => assert.ok(value), what);
const isA = (value, cls, what) =>
  check(() => {
    if (!(value instanceof cls)) {
      const detail =
        value && typeof value.getCode === "function"
          ? ` (got ${value.constructor.name} ${value.getCode()?.getValue?.()}: ` +
            `${value.getMessage()?.getValue?.()} ${JSON.stringify(Object.fromEntries(value.getDetails?.() ?? []))})`
          : ` (got ${value?.constructor?.name ?? value})`;
      assert.fail(`expected ${cls.name}${detail}`);
    }
  }, what);

// --- emulator lifecycle --------------------------------------------------

function startEmulator(binary) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ["--port", "0", "--admin", "--log-level", "warn"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const timer = setTimeout(() => reject(new Error("emulator did not start in 10 s")), 10_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited early (code ${code})`));
    });
    const lines = readline.createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      clearTimeout(timer);
      const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (!m) {
        child.kill("SIGKILL");
        reject(new Error(`unexpected first line from emulator: ${line}`));
        return;
      }
      resolve({ child, url: m[1] });
    });
  });
}

async function adminStats(url) {
  const res = await fetch(`${url}/__admin/stats`);
  return res.json();
}

// --- SDK helpers ---------------------------------------------------------

function record(fields) {
  const r = new R.Record();
  for (const [k, v] of Object.entries(fields)) r.addKeyValue(k, v);
  return r;
}

function body(records, extra = {}) {
  const b = new R.BodyWrapper();
  b.setData(records);
  if (extra.duplicateCheckFields) b.setDuplicateCheckFields(extra.duplicateCheckFields);
  return b;
}

// ActionWrapper -> its items, each a SuccessResponse (asserted).
function successItems(response, status, what) {
  eq(response.getStatusCode(), status, `${what}: HTTP status`);
  const wrapper = response.getObject();
  isA(wrapper, R.ActionWrapper, `${what}: body type`);
  const items = wrapper.getData();
  for (const [i, item] of items.entries()) {
    isA(item, R.SuccessResponse, `${what}: item ${i}`);
    eq(item.getCode().getValue(), "SUCCESS", `${what}: item ${i} code`);
    eq(item.getStatus().getValue(), "success", `${what}: item ${i} status`);
  }
  return items;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- the scenario --------------------------------------------------------

async function scenario(url, dir) {
  const environment = new ZOHOCRMSDK.Environment(url, `${url}/oauth/v2/token`, url);
  const token = new ZOHOCRMSDK.OAuthBuilder()
    .clientId("zcrmsync-demo")
    .clientSecret("zcrmsync-demo-secret")
    .refreshToken("zcrmsync-demo-refresh")
    .build();
  const logger = new ZOHOCRMSDK.LogBuilder()
    .level(ZOHOCRMSDK.Levels.INFO)
    .filePath(path.join(dir, "sdk.log"))
    .build();
  const store = new ZOHOCRMSDK.FileStore(path.join(dir, "tokens.txt"));
  const sdkConfig = new ZOHOCRMSDK.SDKConfigBuilder()
    .autoRefreshFields(false)
    .pickListValidation(false)
    .timeout(10_000)
    .build();
  await (await new ZOHOCRMSDK.InitializeBuilder())
    .environment(environment)
    .token(token)
    .store(store)
    .SDKConfig(sdkConfig)
    .resourcePath(dir)
    .logger(logger)
    .initialize();

  // 1. Token refresh and field metadata.
  const fieldsParams = new ParameterMap();
  await fieldsParams.add(Fields.GetFieldsParam.MODULE, MODULE);
  const fieldsResponse = await new Fields.FieldsOperations().getFields(fieldsParams);
  eq(fieldsResponse.getStatusCode(), 200, "fields: HTTP status");
  const fieldsWrapper = fieldsResponse.getObject();
  isA(fieldsWrapper, Fields.ResponseWrapper, "fields: body type");
  const fields = new Map(fieldsWrapper.getFields().map((f) => [f.getAPIName(), f]));
  ok(fields.has("Last_Name") && fields.has("Company") && fields.has("ERP_Id"), "fields: Leads basics");
  eq(fields.get("Last_Name").getDataType(), "text", "fields: Last_Name data_type");
  eq(fields.get("Last_Name").getSystemMandatory(), true, "fields: Last_Name system_mandatory");
  eq(fields.get("ERP_Id").getUnique()?.getCasesensitive(), "0", "fields: ERP_Id unique");
  eq(fields.get("Email").getDataType(), "email", "fields: Email data_type");
  let stats = await adminStats(url);
  ok((stats.calls["POST /oauth/v2/token"] ?? 0) >= 1, "token: refreshed through the emulator");
  // The stored token must be the emulator's (api_domain pointed back at it).
  const tokens = fs.readFileSync(path.join(dir, "tokens.txt"), "utf8");
  ok(tokens.includes(url), "token store: api_domain is the emulator");

  // 2. Insert 3 records.
  const ops = new R.RecordOperations(MODULE);
  const inserted = successItems(
    await ops.createRecords(
      body([
        record({ Last_Name: "Ada", First_Name: "Lovelace", Company: "Analytical", ERP_Id: "ERP-1", Email: "ada@example.com" }),
        record({ Last_Name: "Grace", Company: "Navy", ERP_Id: "ERP-2", No_of_Employees: 12 }),
        record({ Last_Name: "Edsger", Company: "THE", ERP_Id: "ERP-3", Annual_Revenue: 1234.5 }),
      ]),
    ),
    201,
    "insert",
  );
  eq(inserted.length, 3, "insert: three results");
  const ids = inserted.map((i) => i.getDetails().get("id"));
  for (const [i, item] of inserted.entries()) {
    eq(item.getMessage().getValue(), "record added", `insert: item ${i} message`);
    ok(/^\d{1,19}$/.test(String(ids[i])), `insert: item ${i} id is numeric`);
  }
  eq(new Set(ids.map(String)).size, 3, "insert: distinct ids");

  // 3. Get one by id.
  const getParams = new ParameterMap();
  await getParams.add(R.GetRecordParam.FIELDS, "Last_Name,First_Name,Company,ERP_Id,Email");
  const got = await ops.getRecord(BigInt(ids[0]), getParams);
  eq(got.getStatusCode(), 200, "get: HTTP status");
  isA(got.getObject(), R.ResponseWrapper, "get: body type");
  const [one] = got.getObject().getData();
  eq(String(one.getId()), String(ids[0]), "get: id");
  eq(one.getKeyValue("Last_Name"), "Ada", "get: Last_Name");
  eq(one.getKeyValue("Company"), "Analytical", "get: Company");
  eq(one.getKeyValue("ERP_Id"), "ERP-1", "get: ERP_Id");
  eq(one.getKeyValue("Email"), "ada@example.com", "get: Email");

  // 4. Update one (PUT /{module}/{id}).
  const [updated] = successItems(
    await ops.updateRecord(BigInt(ids[1]), body([record({ Company: "US Navy" })])),
    200,
    "update",
  );
  eq(updated.getMessage().getValue(), "record updated", "update: message");
  eq(String(updated.getDetails().get("id")), String(ids[1]), "update: id");
  const afterUpdate = await ops.getRecord(BigInt(ids[1]), getParams);
  eq(afterUpdate.getObject().getData()[0].getKeyValue("Company"), "US Navy", "update: stored");

  // Everything after this instant counts for If-Modified-Since. Zoho times
  // have whole seconds, so step past the current second first.
  await sleep(1100);
  const since = new Date();
  await sleep(1100);

  // 5. Upsert by ERP_Id: one existing (ERP-3), one new (ERP-4).
  const upserted = successItems(
    await ops.upsertRecords(
      body(
        [
          record({ Last_Name: "Dijkstra", Company: "TU/e", ERP_Id: "ERP-3" }),
          record({ Last_Name: "Hopper", Company: "Remington", ERP_Id: "ERP-4" }),
        ],
        { duplicateCheckFields: ["ERP_Id"] },
      ),
    ),
    200,
    "upsert",
  );
  eq(upserted[0].getAction().getValue(), "update", "upsert: existing -> update");
  eq(upserted[0].getDuplicateField(), "ERP_Id", "upsert: matched on ERP_Id");
  eq(String(upserted[0].getDetails().get("id")), String(ids[2]), "upsert: same id as inserted");
  eq(upserted[0].getMessage().getValue(), "record updated", "upsert: update message");
  eq(upserted[1].getAction().getValue(), "insert", "upsert: new -> insert");
  eq(upserted[1].getMessage().getValue(), "record added", "upsert: insert message");
  const newId = String(upserted[1].getDetails().get("id"));
  ok(!ids.map(String).includes(newId), "upsert: new id");

  // 6. List with If-Modified-Since: only the two upserted records.
  const listParams = new ParameterMap();
  await listParams.add(R.GetRecordsParam.FIELDS, "Last_Name,Company,ERP_Id");
  await listParams.add(R.GetRecordsParam.SORT_BY, "id");
  await listParams.add(R.GetRecordsParam.SORT_ORDER, "asc");
  const listHeaders = new HeaderMap();
  await listHeaders.add(R.GetRecordsHeader.IF_MODIFIED_SINCE, since);
  const listed = await ops.getRecords(listParams, listHeaders);
  eq(listed.getStatusCode(), 200, "list: HTTP status");
  isA(listed.getObject(), R.ResponseWrapper, "list: body type");
  const rows = listed.getObject().getData();
  eq(rows.map((r) => r.getKeyValue("ERP_Id")), ["ERP-3", "ERP-4"], "list: modified since");
  eq(rows[0].getKeyValue("Last_Name"), "Dijkstra", "list: upsert updated the record");
  const info = listed.getObject().getInfo();
  eq(info.getCount(), 2, "list: info.count");
  eq(info.getMoreRecords(), false, "list: info.more_records");
  // Nothing changed since now: 304, which the SDK gives as a null object.
  await sleep(1100);
  const later = new HeaderMap();
  await later.add(R.GetRecordsHeader.IF_MODIFIED_SINCE, new Date());
  const unchanged = await ops.getRecords(listParams, later);
  eq(unchanged.getStatusCode(), 304, "list: 304 when nothing changed");
  eq(unchanged.getObject(), null, "list: 304 has no object");

  // 7. COQL with a where clause.
  const coqlBody = new Coql.BodyWrapper();
  coqlBody.setSelectQuery(
    "select Last_Name, Company, ERP_Id from Leads where ERP_Id in ('ERP-1', 'ERP-4') order by ERP_Id asc",
  );
  const coql = await new Coql.CoqlOperations().getRecords(coqlBody);
  eq(coql.getStatusCode(), 200, "coql: HTTP status");
  isA(coql.getObject(), Coql.ResponseWrapper, "coql: body type");
  const coqlRows = coql.getObject().getData();
  eq(coqlRows.map((r) => r.getKeyValue("ERP_Id")), ["ERP-1", "ERP-4"], "coql: where + order by");
  eq(coqlRows.map((r) => r.getKeyValue("Last_Name")), ["Ada", "Hopper"], "coql: selected field");
  eq(String(coqlRows[1].getId()), newId, "coql: id");
  eq(coql.getObject().getInfo().getCount(), 2, "coql: info.count");
  eq(coql.getObject().getInfo().getMoreRecords(), false, "coql: info.more_records");

  // Per-item errors parse into APIException: a duplicate ERP_Id (400, every
  // item failed) and a missing mandatory field.
  const dup = await ops.createRecords(
    body([record({ Last_Name: "Dup", Company: "X", ERP_Id: "erp-1" }), record({ First_Name: "NoLast" })]),
  );
  eq(dup.getStatusCode(), 400, "insert errors: HTTP status");
  const [dupItem, mandItem] = dup.getObject().getData();
  isA(dupItem, R.APIException, "insert errors: duplicate item type");
  eq(dupItem.getCode().getValue(), "DUPLICATE_DATA", "insert errors: duplicate code");
  eq(dupItem.getDetails().get("api_name"), "ERP_Id", "insert errors: duplicate api_name");
  eq(
    String(dupItem.getDetails().get("duplicate_record").id),
    String(ids[0]),
    "insert errors: duplicate_record.id",
  );
  isA(mandItem, R.APIException, "insert errors: mandatory item type");
  eq(mandItem.getCode().getValue(), "MANDATORY_NOT_FOUND", "insert errors: mandatory code");
  eq(mandItem.getDetails().get("api_name"), "Last_Name", "insert errors: mandatory api_name");

  // Record count (the SDK reads count as a Long sent as a JSON string).
  const count = await ops.recordCount();
  eq(count.getStatusCode(), 200, "count: HTTP status");
  isA(count.getObject(), R.CountWrapper, "count: body type");
  eq(Number(count.getObject().getCount()), 4, "count: value");

  // 8. Delete (one by id, one through ?ids=), then list deleted records.
  const [deleted] = successItems(await ops.deleteRecord(BigInt(ids[0])), 200, "delete one");
  eq(deleted.getMessage().getValue(), "record deleted", "delete one: message");
  eq(String(deleted.getDetails().get("id")), String(ids[0]), "delete one: id");
  const delParams = new ParameterMap();
  await delParams.add(R.DeleteRecordsParam.IDS, newId);
  const [deleted2] = successItems(await ops.deleteRecords(delParams), 200, "delete many");
  eq(String(deleted2.getDetails().get("id")), newId, "delete many: id");
  const gone = await ops.getRecord(BigInt(ids[0]), getParams);
  eq(gone.getObject(), null, "delete: record no longer readable");

  const deletedParams = new ParameterMap();
  await deletedParams.add(R.GetDeletedRecordsParam.TYPE, "recycle");
  const bin = await ops.getDeletedRecords(deletedParams);
  eq(bin.getStatusCode(), 200, "deleted: HTTP status");
  isA(bin.getObject(), R.DeletedRecordsWrapper, "deleted: body type");
  const binRows = bin.getObject().getData();
  eq(binRows.map((d) => String(d.getId())).sort(), [String(ids[0]), newId].sort(), "deleted: ids");
  for (const d of binRows) {
    eq(d.getType(), "recycle", `deleted ${d.getId()}: type`);
    ok(d.getDeletedTime() instanceof Date, `deleted ${d.getId()}: deleted_time parsed`);
  }
  eq(
    binRows.find((d) => String(d.getId()) === newId).getDisplayName(),
    "Hopper",
    "deleted: display_name",
  );
  eq(bin.getObject().getInfo().getCount(), 2, "deleted: info.count");

  // The SDK looked up the user and org (findUser default) and read the
  // field metadata before the record calls.
  stats = await adminStats(url);
  ok((stats.calls["GET /crm/v8/users"] ?? 0) >= 1, "SDK called /users");
  ok((stats.calls["GET /crm/v8/org"] ?? 0) >= 1, "SDK called /org");
  ok((stats.calls["GET /crm/v8/settings/fields"] ?? 0) >= 1, "SDK called /settings/fields");
  eq(stats.records.Leads, 2, "emulator holds two Leads");
}

// --- main ----------------------------------------------------------------

async function main() {
  const binary = process.argv[2] ?? process.env.ZOHO_EMULATOR;
  if (!binary) {
    console.error("usage: node scenario.mjs /path/to/zoho-emulator (or set ZOHO_EMULATOR)");
    return 2;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zcrmsync-sdk-"));
  let emulator = null;
  const stop = () => {
    if (emulator && emulator.child.exitCode === null) emulator.child.kill("SIGTERM");
  };
  process.on("exit", stop);
  const started = Date.now();
  try {
    emulator = await startEmulator(binary);
    await scenario(emulator.url, dir);
    console.log(`sdk_compat: ${assertions} passed, 0 failed (${Date.now() - started} ms)`);
    return 0;
  } catch (e) {
    console.error(`sdk_compat: FAILED after ${assertions} assertions: ${e.stack ?? e}`);
    const log = path.join(dir, "sdk.log");
    if (fs.existsSync(log)) {
      console.error("--- SDK log (last 40 lines) ---");
      console.error(fs.readFileSync(log, "utf8").split("\n").slice(-40).join("\n"));
    }
    console.log(`sdk_compat: ${assertions} passed, 1 failed`);
    return 1;
  } finally {
    stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
// The SDK keeps sockets/timers alive; do not wait for them.
process.exit(process.exitCode);
