#include "mappings/config.h"

#include <array>
#include <utility>

namespace zcrmsync::mappings {
namespace {

constexpr std::array<std::pair<Direction, std::string_view>, 3> kDirections = {{
    {Direction::kBoth, "both"},
    {Direction::kErpToCrm, "erp_to_crm"},
    {Direction::kCrmToErp, "crm_to_erp"},
}};

constexpr std::array<std::pair<ConflictRule, std::string_view>, 4> kConflictRules = {{
    {ConflictRule::kLatestWins, "latest_wins"},
    {ConflictRule::kErpWins, "erp_wins"},
    {ConflictRule::kCrmWins, "crm_wins"},
    {ConflictRule::kManual, "manual"},
}};

constexpr std::array<std::pair<DeleteKind, std::string_view>, 3> kDeleteKinds = {{
    {DeleteKind::kPropagate, "propagate"},
    {DeleteKind::kIgnore, "ignore"},
    {DeleteKind::kSoftDelete, "soft_delete"},
}};

constexpr std::array<std::string_view, 4> kDialects = {"postgresql", "mysql", "sqlite",
                                                       "sqlserver"};
constexpr std::array<std::string_view, 8> kDataCenters = {"us", "eu", "in", "au",
                                                          "jp", "ca", "sa", "cn"};

template <typename E, size_t N>
Result<E> ParseName(const std::array<std::pair<E, std::string_view>, N>& table,
                    std::string_view name, std::string_view what) {
  std::string allowed;
  for (const auto& [value, text] : table) {
    if (text == name) return value;
    if (!allowed.empty()) allowed += ", ";
    allowed += text;
  }
  return Error(InvalidArgumentError("unknown " + std::string(what) + " \"" + std::string(name) +
                                    "\"; must be one of: " + allowed));
}

template <typename E, size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [value, text] : table) {
    if (value == e) return text;
  }
  return "?";
}

}  // namespace

Result<Direction> ParseDirection(std::string_view name) {
  return ParseName(kDirections, name, "direction");
}
std::string_view DirectionName(Direction direction) { return NameOf(kDirections, direction); }

Result<ConflictRule> ParseConflictRule(std::string_view name) {
  return ParseName(kConflictRules, name, "conflict rule");
}
std::string_view ConflictRuleName(ConflictRule rule) { return NameOf(kConflictRules, rule); }

Result<DeleteKind> ParseDeleteKind(std::string_view name) {
  return ParseName(kDeleteKinds, name, "delete policy");
}
std::string_view DeleteKindName(DeleteKind kind) { return NameOf(kDeleteKinds, kind); }

bool FlowsErpToCrm(Direction direction) { return direction != Direction::kCrmToErp; }
bool FlowsCrmToErp(Direction direction) { return direction != Direction::kErpToCrm; }

std::span<const std::string_view> DialectNames() { return kDialects; }
std::span<const std::string_view> DataCenterNames() { return kDataCenters; }
bool DialectHasSchemas(std::string_view dialect) { return dialect != "sqlite"; }

Direction EffectiveDirection(const Mapping& mapping, const FieldMapping& field) {
  return field.direction.value_or(mapping.direction);
}

ConflictRule EffectiveConflictRule(const SyncConfig& sync, const Mapping& mapping,
                                   const FieldMapping& field) {
  if (field.conflict_rule) return *field.conflict_rule;
  if (mapping.conflict_rule) return *mapping.conflict_rule;
  return sync.conflict_rule;
}

const Mapping* FindMapping(const Config& config, std::string_view name) {
  for (const Mapping& m : config.mappings) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const FieldMapping* FindFieldByColumn(const Mapping& mapping, std::string_view column) {
  for (const FieldMapping& f : mapping.fields) {
    if (f.column == column) return &f;
  }
  return nullptr;
}

const FieldMapping* FindFieldByZohoField(const Mapping& mapping, std::string_view field) {
  for (const FieldMapping& f : mapping.fields) {
    if (f.field == field) return &f;
  }
  return nullptr;
}

}  // namespace zcrmsync::mappings
