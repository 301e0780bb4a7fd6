// Small shared pieces of the sync engine: UTC time conversions, Zoho's
// Modified_Time, the merge base as JSON, external ids.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/value.h"

namespace zcrmsync::sync {

Clock::TimePoint ToTimePoint(const Timestamp& utc);
Timestamp FromTimePoint(Clock::TimePoint tp);

// "2026-11-30T10:15:00+05:30" (Zoho's rendering) -> UTC; nullopt if malformed.
std::optional<Timestamp> ParseZohoTime(const std::string& text);

// The merge base: a JSON object of Zoho field -> canonical value.
std::map<std::string, std::string> ParseBase(const std::string& json);
std::string BaseToJson(const std::map<std::string, std::string>& base);

// The value of the external id field for an ERP key: the key itself for one
// column, the compact JSON array for several.
std::string ExternalId(const std::vector<std::string>& key);

}  // namespace zcrmsync::sync
