#include "sync/initial_load.h"

#include "change_capture/catalog.h"
#include "change_capture/change_reader.h"
#include "core/log.h"
#include "core/status_macros.h"
#include "odbc/statement.h"
#include "odbc/transaction.h"
#include "sync/sync_util.h"

namespace zcrmsync::sync {

InitialLoader::InitialLoader(odbc::Connection& db, const mappings::Config& config,
                             change_capture::KitOptions kit, int64_t chunk,
                             std::function<bool()> should_stop)
    : db_(db),
      config_(config),
      kit_(std::move(kit)),
      chunk_(chunk),
      should_stop_(std::move(should_stop)) {}

Result<LoadProgress> InitialLoader::QueueAll() {
  LoadProgress progress;
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string enqueue_sql,
                            change_capture::RenderAgentStatement(kit_, "enqueue_keys.sql"));
  for (const mappings::Mapping& m : config_.mappings) {
    if (!mappings::FlowsErpToCrm(m.direction)) continue;
    const std::string done_name = "load/" + m.name + "/done";
    const std::string after_name = "load/" + m.name + "/after";
    ZCRMSYNC_ASSIGN_OR_RETURN(auto done, change_capture::LoadState(db_, kit_, done_name));
    if (done.value_or("") == "1") {
      progress.done[m.name] = true;
      continue;
    }
    const change_capture::CaptureTable table = RowTable(m);
    ZCRMSYNC_ASSIGN_OR_RETURN(auto columns, change_capture::DescribeTable(db_, kit_.dialect,
                                                                          m.table_schema, m.table_name));
    std::vector<std::string> key_types;
    for (const auto& k : m.key_columns) {
      for (const auto& c : columns) {
        if (c.name == k) key_types.push_back(c.type);
      }
    }
    if (key_types.size() != m.key_columns.size()) {
      return Error(FailedPreconditionError("initial load of " + m.table +
                                           ": a key column is missing (run zcrmsync check)"));
    }
    ZCRMSYNC_ASSIGN_OR_RETURN(auto saved_after, change_capture::LoadState(db_, kit_, after_name));
    std::optional<std::vector<std::string>> after;
    if (saved_after) {
      ZCRMSYNC_ASSIGN_OR_RETURN(auto keys, change_capture::ParseKeys("[" + *saved_after + "]"));
      if (keys.size() == 1) after = keys.front();
    }
    for (;;) {
      // A big table takes a while: the service's watchdog and lease are
      // looked after between chunks, and a stop ends the load here.
      if (should_stop_ && should_stop_()) return progress;
      std::vector<Value> params;
      ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, change_capture::RenderSelectKeysAfter(
                                                     kit_, table, after, chunk_, params, key_types));
      ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement select, db_.Prepare(sql));
      ZCRMSYNC_RETURN_IF_ERROR(select.BindAll(std::move(params)));
      ZCRMSYNC_RETURN_IF_ERROR(StatusOf(select.Execute()).WithContext("initial load of " + m.table));
      std::vector<std::vector<std::string>> keys;
      for (;;) {
        ZCRMSYNC_ASSIGN_OR_RETURN(bool row, select.Fetch());
        if (!row) break;
        std::vector<std::string> key;
        for (size_t c = 1; c <= m.key_columns.size(); ++c) {
          ZCRMSYNC_ASSIGN_OR_RETURN(auto v, select.GetText(c));
          key.push_back(v.value_or(""));
        }
        keys.push_back(std::move(key));
      }
      ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Transaction tx, odbc::Transaction::Begin(db_));
      if (keys.empty()) {
        ZCRMSYNC_RETURN_IF_ERROR(change_capture::SaveState(db_, kit_, done_name, "1"));
        ZCRMSYNC_RETURN_IF_ERROR(tx.Commit());
        progress.done[m.name] = true;
        log::Logger("load").Info("initial load queued", {{"mapping", m.name}});
        break;
      }
      std::string keys_json = "[";
      for (size_t i = 0; i < keys.size(); ++i) {
        keys_json += (i > 0 ? "," : "") + change_capture::KeyToJson(keys[i]);
      }
      keys_json += "]";
      ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement enqueue, db_.Prepare(enqueue_sql));
      ZCRMSYNC_RETURN_IF_ERROR(enqueue.BindAll({Value::Text(m.name), Value::Text(keys_json),
                                                   Value::Null(ValueType::kTimestamp)}));
      ZCRMSYNC_RETURN_IF_ERROR(StatusOf(enqueue.Execute()).WithContext("queue initial load"));
      ZCRMSYNC_RETURN_IF_ERROR(change_capture::SaveState(db_, kit_, after_name,
                                                        change_capture::KeyToJson(keys.back())));
      ZCRMSYNC_RETURN_IF_ERROR(tx.Commit());
      progress.queued += static_cast<int64_t>(keys.size());
      after = keys.back();
    }
  }
  return progress;
}

}  // namespace zcrmsync::sync
