#include "change_capture/kit_manager.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "change_capture/catalog.h"
#include "change_capture/installer.h"
#include "core/status_macros.h"

namespace zcrmsync::change_capture {
namespace {

std::string TableLabel(const CaptureTable& t) {
  return t.schema ? *t.schema + "." + t.table : t.table;
}

std::vector<std::string> CapturedColumns(const CaptureTable& t) {
  std::vector<std::string> cols = t.key_columns;
  for (const auto& c : t.mapped_columns) {
    if (std::find(cols.begin(), cols.end(), c) == cols.end()) cols.push_back(c);
  }
  return cols;
}

std::string SnapshotName(const CaptureTable& t) { return "install/columns/" + t.mapping; }

// "column<TAB>type" lines, sorted, for the captured columns.
std::string Snapshot(const CaptureTable& t, const std::vector<TableColumn>& columns) {
  std::map<std::string, std::string> types;
  for (const auto& c : columns) types[c.name] = c.type;
  std::ostringstream out;
  std::vector<std::string> cols = CapturedColumns(t);
  std::sort(cols.begin(), cols.end());
  for (const auto& c : cols) {
    if (types.contains(c)) out << c << '\t' << types[c] << '\n';
  }
  return out.str();
}

std::map<std::string, std::string> ParseSnapshot(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const size_t tab = line.find('\t');
    if (tab != std::string::npos) out[line.substr(0, tab)] = line.substr(tab + 1);
  }
  return out;
}

}  // namespace

Result<KitOptions> KitOptionsFor(const mappings::Config& config) {
  ZCRMSYNC_ASSIGN_OR_RETURN(Dialect d, ParseDialect(config.database.dialect));
  return KitOptions{d, config.database.schema};
}

std::vector<CaptureTable> CaptureTablesFor(const mappings::Config& config) {
  std::vector<CaptureTable> out;
  for (const mappings::Mapping& m : config.mappings) {
    CaptureTable t{m.name, m.table_schema, m.table_name, m.key_columns, {}};
    for (const mappings::FieldMapping& f : m.fields) {
      if (mappings::FlowsErpToCrm(mappings::EffectiveDirection(m, f))) {
        t.mapped_columns.push_back(f.column);
      }
    }
    if (m.deletes.kind == mappings::DeleteKind::kSoftDelete) {
      t.mapped_columns.push_back(m.deletes.soft_delete_column);
    }
    out.push_back(std::move(t));
  }
  return out;
}

Result<std::vector<std::string>> CheckTables(odbc::Connection& connection, const KitOptions& options,
                                             const std::vector<CaptureTable>& tables) {
  std::vector<std::string> problems;
  for (const CaptureTable& t : tables) {
    ZCRMSYNC_ASSIGN_OR_RETURN(auto columns, DescribeTable(connection, options.dialect, t.schema, t.table));
    const std::string where = "mapping " + t.mapping + ": ";
    if (columns.empty()) {
      problems.push_back(where + "table " + TableLabel(t) + " does not exist (or is not visible to this user)");
      continue;
    }
    std::set<std::string> names;
    for (const auto& c : columns) names.insert(c.name);
    bool keys_present = true;
    for (const auto& k : t.key_columns) {
      if (!names.contains(k)) {
        problems.push_back(where + "key column \"" + k + "\" is missing from table " + TableLabel(t));
        keys_present = false;
      }
      for (const auto& c : columns) {
        if (c.name == k && c.nullable) {
          problems.push_back(where + "key column \"" + k + "\" of table " + TableLabel(t) +
                             " allows NULL; a key must be NOT NULL");
        }
      }
    }
    if (keys_present) {
      ZCRMSYNC_ASSIGN_OR_RETURN(auto unique, UniqueKeys(connection, options.dialect, t.schema, t.table));
      const std::set<std::string> wanted(t.key_columns.begin(), t.key_columns.end());
      const bool found = std::any_of(unique.begin(), unique.end(), [&](const auto& key) {
        return std::set<std::string>(key.begin(), key.end()) == wanted;
      });
      if (!found) {
        std::string cols;
        for (const auto& k : t.key_columns) cols += (cols.empty() ? "" : ", ") + k;
        problems.push_back(where + "key columns (" + cols + ") are not the primary key or a unique "
                           "key of table " + TableLabel(t));
      }
    }
    for (const auto& c : t.mapped_columns) {
      if (!names.contains(c)) {
        problems.push_back(where + "column \"" + c + "\" is missing from table " + TableLabel(t));
      }
    }
  }
  return problems;
}

Status Install(odbc::Connection& connection, const KitOptions& options,
               const std::vector<CaptureTable>& tables) {
  ZCRMSYNC_ASSIGN_OR_RETURN(auto problems, CheckTables(connection, options, tables));
  if (!problems.empty()) {
    std::string msg = "install refused:";
    for (const auto& p : problems) msg += "\n  " + p;
    return FailedPreconditionError(msg);
  }
  // Rendered with the columns' catalogue types, as `sql install` shows it.
  std::vector<CaptureTable> described = tables;
  for (CaptureTable& t : described) {
    ZCRMSYNC_RETURN_IF_ERROR(DescribeCaptureColumns(connection, options.dialect, t));
  }
  ZCRMSYNC_ASSIGN_OR_RETURN(Script script, RenderInstall(options, described));
  ZCRMSYNC_RETURN_IF_ERROR(ApplyScript(connection, script));
  for (const CaptureTable& t : tables) {
    ZCRMSYNC_ASSIGN_OR_RETURN(auto columns, DescribeTable(connection, options.dialect, t.schema, t.table));
    ZCRMSYNC_RETURN_IF_ERROR(SaveState(connection, options, SnapshotName(t), Snapshot(t, columns)));
  }
  return Status();
}

Status Uninstall(odbc::Connection& connection, const KitOptions& options,
                 const std::vector<CaptureTable>& tables) {
  ZCRMSYNC_ASSIGN_OR_RETURN(Script script, RenderUninstall(options, tables));
  return ApplyScript(connection, script);
}

Result<std::vector<std::string>> Verify(odbc::Connection& connection, const KitOptions& options,
                                        const std::vector<CaptureTable>& tables) {
  std::vector<std::string> problems;
  ZCRMSYNC_ASSIGN_OR_RETURN(auto agent_tables, AgentTableNames(options));
  static const char* kAgentTables[] = {"schema_version", "changes", "links",
                                       "state",          "errors",  "conflicts"};
  bool agent_ok = true;
  for (size_t i = 0; i < agent_tables.size(); ++i) {
    std::optional<std::string> schema;
    std::string name = std::string(kAgentTables[i]);
    if (options.dialect == Dialect::kSQLite) {
      name = options.agent_schema + "_" + name;
    } else {
      schema = options.agent_schema;
    }
    ZCRMSYNC_ASSIGN_OR_RETURN(auto cols, DescribeTable(connection, options.dialect, schema, name));
    if (cols.empty()) {
      problems.push_back("agent table " + agent_tables[i] + " is missing");
      agent_ok = false;
    }
  }
  for (const CaptureTable& t : tables) {
    const std::string where = "mapping " + t.mapping + ": ";
    ZCRMSYNC_ASSIGN_OR_RETURN(auto columns, DescribeTable(connection, options.dialect, t.schema, t.table));
    if (columns.empty()) {
      problems.push_back(where + "table " + TableLabel(t) + " does not exist");
      continue;
    }
    std::map<std::string, std::string> now;
    for (const auto& c : columns) now[c.name] = c.type;
    for (const auto& c : CapturedColumns(t)) {
      if (!now.contains(c)) problems.push_back(where + "column \"" + c + "\" was dropped from " + TableLabel(t));
    }
    if (agent_ok) {
      ZCRMSYNC_ASSIGN_OR_RETURN(auto snapshot, LoadState(connection, options, SnapshotName(t)));
      if (!snapshot) {
        problems.push_back(where + "no install record (run zcrmsync install)");
      } else {
        for (const auto& [col, type] : ParseSnapshot(*snapshot)) {
          if (now.contains(col) && now[col] != type) {
            problems.push_back(where + "column \"" + col + "\" changed type from " + type + " to " +
                               now[col] + " since install");
          }
        }
      }
    }
    CaptureTable described = t;
    ZCRMSYNC_RETURN_IF_ERROR(DescribeCaptureColumns(connection, options.dialect, described));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto expected, ExpectedCaptureObjects(options, described));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto installed, ListCaptureObjects(connection, options, t));
    for (const DbObject& e : expected) {
      auto it = std::find_if(installed.begin(), installed.end(), [&](const DbObject& o) {
        return o.kind == e.kind && o.name == e.name;
      });
      if (it == installed.end()) {
        problems.push_back(where + e.kind + " " + e.name + " is missing (run zcrmsync install)");
      } else if (NormalizeSql(it->definition) != e.definition) {
        problems.push_back(where + e.kind + " " + e.name +
                           " differs from what the config implies (run zcrmsync install)");
      }
    }
  }
  return problems;
}

}  // namespace zcrmsync::change_capture
