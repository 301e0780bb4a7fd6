// The agent's typed configuration (issue #4): the ERP database, the Zoho
// account, the sync loop and the table <-> module mappings. Plain values of std
// types only. mappings/config_loader.h fills them from the JSON config file and
// guarantees the invariants stated on each member; every key is documented in
// mappings/CONFIG.md.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace zcrmsync::mappings {

// Which way a mapping, or one field of it, flows.
enum class Direction { kBoth, kErpToCrm, kCrmToErp };

// Who wins when both sides changed the same field since the last sync.
enum class ConflictRule { kLatestWins, kErpWins, kCrmWins, kManual };

// What happens to the other side when a row or record is deleted.
enum class DeleteKind { kPropagate, kIgnore, kSoftDelete };

// The names used in the config file. Parse* returns INVALID_ARGUMENT naming the
// allowed values for anything else (exact, case-sensitive match).
Result<Direction> ParseDirection(std::string_view name);  // both erp_to_crm crm_to_erp
std::string_view DirectionName(Direction direction);
Result<ConflictRule> ParseConflictRule(
    std::string_view name);  // latest_wins erp_wins crm_wins manual
std::string_view ConflictRuleName(ConflictRule rule);
Result<DeleteKind> ParseDeleteKind(std::string_view name);  // propagate ignore soft_delete
std::string_view DeleteKindName(DeleteKind kind);

// True when values flow ERP -> CRM (kBoth, kErpToCrm) / CRM -> ERP (kBoth, kCrmToErp).
bool FlowsErpToCrm(Direction direction);
bool FlowsCrmToErp(Direction direction);

// The accepted database.dialect and zoho.data_center names.
std::span<const std::string_view> DialectNames();     // postgresql mysql sqlite sqlserver
std::span<const std::string_view> DataCenterNames();  // us eu in au jp ca sa cn
// False for a dialect without schemas (sqlite), whose table names are never qualified.
bool DialectHasSchemas(std::string_view dialect);

struct DatabaseConfig {
  std::string dialect;              // one of DialectNames()
  std::string connection_string;    // ODBC; holds a password: scrub before showing (core/secrets.h)
  std::string schema = "zcrmsync";  // the agent's own objects; for sqlite a table-name prefix
  std::string time_zone = "UTC";    // IANA zone of timestamp columns without a zone
  int lock_timeout_seconds = 30;    // the agent's longest wait for a row lock
};

struct ZohoConfig {
  std::string data_center = "us";           // one of DataCenterNames()
  std::optional<std::string> api_base_url;  // http(s)://...; overrides the data center's
  std::optional<std::string> accounts_url;  // http(s)://...; overrides the data center's
  std::optional<std::string> proxy;         // http(s):// or socks URL for every Zoho call
  std::optional<std::string> ca_file;       // trusted CAs (PEM); default: the system's
  std::string client_id;
  std::string client_secret;  // secret: never log or echo
  std::string refresh_token;  // secret: never log or echo
  int max_concurrency = 10;   // 1..25 concurrent API calls
};

struct SyncConfig {
  int interval_seconds = 5;  // >= 1
  ConflictRule conflict_rule = ConflictRule::kLatestWins;
  int clock_skew_tolerance_seconds = 2;  // >= 0
  int push_batch_size = 4000;  // change rows per push pass, 1..100000
};

// The agent process (issue #6): health/metrics endpoint and failover lease.
struct AgentConfig {
  // "host:port" ("[::1]:9187" for IPv6); port 0 picks a free one (logged).
  // Absent: no HTTP endpoint at all.
  std::optional<std::string> http_listen;
  int lease_seconds = 30;  // 3..3600: a dead holder's lease is taken over after this
};

struct DeletePolicy {
  DeleteKind kind = DeleteKind::kPropagate;
  std::string soft_delete_column;  // set only for kSoftDelete; never a key column
};

struct FieldMapping {
  std::string column;                         // ERP column, unique within the mapping
  std::string field;                          // Zoho field API name, unique within the mapping
  std::optional<Direction> direction;         // absent: the mapping's (EffectiveDirection)
  std::optional<ConflictRule> conflict_rule;  // absent: the mapping's, else sync's
  // The CRM -> ERP side only fills the column when a CRM record creates a new
  // ERP row; later CRM edits are not written back. Required for a key column
  // that the CRM feeds, so the CRM can never change an existing row's key.
  bool create_only = false;
  // Picklist translation, ERP value -> Zoho value ("values" in the file).
  // One-to-one, so reverse_values is its exact inverse (Zoho value -> ERP
  // value), used on write-back. Empty: values pass through unchanged.
  std::map<std::string, std::string> values;
  std::map<std::string, std::string> reverse_values;
};

struct MatchField {
  std::string column;  // a mapped column ...
  std::string field;   // ... and the Zoho field it is mapped to
};

struct Mapping {
  std::string name;                         // unique among mappings; [A-Za-z0-9_][A-Za-z0-9_-]*
  std::string table;                        // as written: "table" or "schema.table"
  std::optional<std::string> table_schema;  // the part before the dot, if any (never for sqlite)
  std::string table_name;                   // the part after the dot, or the whole name
  std::string module;                       // Zoho module API name
  std::vector<std::string> key_columns;     // non-empty, unique
  std::string external_id_field;            // unique Zoho field holding the ERP key
  Direction direction = Direction::kBoth;
  std::optional<ConflictRule> conflict_rule;  // absent: sync.conflict_rule
  DeletePolicy deletes;
  std::vector<MatchField> match_fields;  // each one a pair also present in `fields`
  std::vector<std::string> zoho_triggers = {"workflow"};  // Zoho's write `trigger` array
  std::vector<FieldMapping> fields;                       // non-empty
};

struct Config {
  DatabaseConfig database;
  ZohoConfig zoho;
  SyncConfig sync;
  AgentConfig agent;
  std::vector<Mapping> mappings;  // non-empty, unique names and tables
  std::string source_path;        // the file (or source name) it was loaded from
};

// The field's direction, else the mapping's.
Direction EffectiveDirection(const Mapping& mapping, const FieldMapping& field);

// The field's rule, else the mapping's, else sync's.
ConflictRule EffectiveConflictRule(const SyncConfig& sync, const Mapping& mapping,
                                   const FieldMapping& field);

// Lookups; nullptr when absent. The pointers live as long as the container.
const Mapping* FindMapping(const Config& config, std::string_view name);
const FieldMapping* FindFieldByColumn(const Mapping& mapping, std::string_view column);
const FieldMapping* FindFieldByZohoField(const Mapping& mapping, std::string_view field);

}  // namespace zcrmsync::mappings
