// Field value conversions between the ERP (core Value, as odbc reads and binds
// it) and Zoho CRM (crm::JsonValue, as Zoho encodes it), one field at a time,
// driven by a FieldSpec (the ERP column's type, the Zoho field metadata, the
// mapping's picklist maps, time zones and a lookup resolver). Also the
// canonical text of a Zoho-side value that the merge engine compares and
// stores as the merge base.
//
// The rules, per Zoho data_type (ERP NULL <-> JSON null for every type):
//  * text, textarea, email, phone, website, autonumber (text-like):
//    ERP -> Zoho: the ERP value as text (numbers, dates... in their plain
//    form), ASCII whitespace trimmed at both ends, must be valid UTF-8, and at
//    most `length` characters (Unicode code points) when length > 0. Text
//    that is empty after trimming becomes JSON null (Zoho does not keep empty
//    strings apart from empty fields; this keeps a pushed "" from coming back
//    as a change). Zoho -> ERP: the string unchanged (no trim, no length
//    check), parsed into the column's type when the column is not text.
//  * integer: a JSON number of at most 9 digits (Zoho's limit). The ERP side
//    may be an integer, a decimal or double with no fraction, or text.
//  * bigint: a JSON string of digits (optional '-'), fitting int64. Zoho -> ERP
//    accepts a string or a JSON integer.
//  * double, currency, percent, decimal: exact decimals, never rounded.
//    ERP -> Zoho: the value's decimal text (a double column goes through the
//    shortest text that reads back as the same double); a value with more
//    significant fractional digits than `decimal_place` is rejected (trailing
//    zeros do not count: "12.340" fits 2 places), as is one with more than 16
//    integer digits. With DecimalEncoding::kNumber (the default; Zoho and the
//    emulator want a JSON number) the value must also have at most 15
//    significant digits, the most a JSON number carried as a double by
//    crm::JsonValue keeps exactly; larger values are rejected, not rounded.
//    It is also rejected when crm::ToJson would write the double with other
//    digits (RapidJSON's Grisu2 is not always shortest: about 1 in 1,000
//    values with 4+ decimal places, e.g. 7972986220.42205 -> ...4220509).
//    With kString the exact decimal text is sent as a JSON string.
//    Zoho -> ERP: a JSON number (its shortest decimal text), a JSON integer,
//    or a decimal string, into a decimal, double, integer (no fraction
//    allowed) or text column. The canonical form drops trailing zeros.
//  * boolean: JSON true/false. ERP -> Zoho: a bool column; an integer column
//    holding 0 or 1 (anything else is rejected); a text column: through
//    `values` when it is not empty (ERP text -> "true"/"false"), else one of
//    true/false, t/f, yes/no, y/n, 1/0, on/off (any case, trimmed).
//    Zoho -> ERP: bool; integer 1/0; text: through `reverse_values` when not
//    empty ("true"/"false" -> ERP text), else "true"/"false".
//  * date: "YYYY-MM-DD". ERP date column (a timestamp column gives its date
//    part, a text column must hold YYYY-MM-DD). Zoho -> ERP: date, timestamp
//    (midnight) or text.
//  * datetime: Zoho "YYYY-MM-DDTHH:MM:SS+hh:mm". An ERP timestamp (no zone)
//    means local time in `erp_time_zone`; it is sent rendered in
//    `zoho_time_zone` (whole seconds: fractional seconds are dropped, Zoho has
//    none). Zoho -> ERP: any offset (or "Z") is accepted and the instant is
//    converted to `erp_time_zone`. DST rule for ERP local times (the same as
//    java.time, Python's fold=0 and PostgreSQL):
//      - a time in a skipped hour (spring forward) is read with the offset in
//        effect before the change, i.e. moved forward by the gap:
//        Europe/Berlin 2026-03-29 02:30 -> 01:30Z (shown as 03:30+02:00);
//      - a time in a repeated hour (fall back) is the earlier instant, the
//        first occurrence: Europe/Berlin 2026-10-25 02:30 -> 00:30Z (+02:00).
//    So a Zoho time in the second occurrence of a repeated hour (01:30Z) is
//    written to the ERP as 02:30 and, if pushed back, becomes 00:30Z: an ERP
//    column without a zone cannot tell the two apart.
//    A date column maps to midnight ERP time; a text column holds the Zoho
//    form (ERP -> Zoho text may carry an offset; without one it is ERP time).
//  * picklist: a string. ERP -> Zoho: the ERP value as trimmed text, through
//    `values` when it is not empty. Zoho -> ERP: through `reverse_values` when
//    not empty, then parsed into the column's type. With `strict_values` (the
//    default) a value missing from a non-empty map is an error naming the
//    allowed values; without it the value passes unchanged.
//  * multiselectpicklist: a JSON array of strings <-> ERP text joined with
//    ';' (no spaces). ERP -> Zoho: split on ';', each item trimmed, empty
//    items dropped, each mapped as a picklist value; "" is []. Zoho -> ERP:
//    each item reverse-mapped, joined in order; an item containing ';' is
//    rejected.
//  * lookup, ownerlookup, userlookup: Zoho {"id":"<digits>"} (read: also
//    "name", ignored) <-> the ERP key as text, through `lookup`. Errors the
//    resolver returns keep their code, with the field named in front.
//  * formula, rollup_summary and other read-only types convert by json_type
//    (string, integer, double, boolean).
// Every conversion error is INVALID_ARGUMENT, and names the mapping, column
// and field and the offending value, e.g.
//   mapping customers: column credit_limit -> Credit_Limit: 12.345 has 3
//   decimal places, Zoho allows 2
// (Zoho -> ERP messages read "field Credit_Limit -> column credit_limit").
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/value.h"
#include "crm/json.h"
#include "crm/zoho_client.h"
#include "mappings/config.h"

namespace zcrmsync::sync {

// How decimals (double, currency, percent) are sent to Zoho.
enum class DecimalEncoding {
  kNumber,  // a JSON number, when a double holds the decimal exactly (all of 15 digits)
  kString,  // the exact decimal text as a JSON string (no digit limit)
};

// Resolves a lookup field's value: the referenced row's ERP key (as text) <->
// the referenced Zoho record's id. Either may fail; its Status is returned
// with the field named in front (the code is kept, so "not linked yet" can be
// told apart from bad data by the caller's choice of code).
struct LookupResolver {
  std::function<Result<std::string>(std::string_view erp_key)> to_zoho_id;
  std::function<Result<std::string>(std::string_view zoho_id)> to_erp_key;
};

// Everything one field's conversion needs.
struct FieldSpec {
  // For messages.
  std::string mapping;  // mapping name
  std::string column;   // ERP column
  std::string field;    // Zoho field api_name

  // How odbc reads and binds the column.
  ValueType erp_type = ValueType::kText;

  // Zoho field metadata (crm::FieldInfo, plus decimal_place).
  std::string data_type;  // text, integer, bigint, currency, datetime, picklist, ...
  std::string json_type;  // string, integer, double, boolean, jsonarray, jsonobject
  int64_t length = 0;     // max characters of text fields; 0: unchecked
  std::optional<int> decimal_place;  // max fraction digits of decimals; nullopt: unchecked

  // Picklist maps (mappings::FieldMapping): ERP value -> Zoho value and back.
  // Empty: values pass unchanged.
  std::map<std::string, std::string> values;
  std::map<std::string, std::string> reverse_values;
  // A value missing from a non-empty map: true, an error naming the allowed
  // values; false, passed unchanged (mappings/CONFIG.md's wording).
  bool strict_values = true;

  // IANA name ("Europe/Berlin"), "UTC", or a fixed offset ("+05:30", "-08:00",
  // "Z"). ERP timestamps without a zone are local times in erp_time_zone;
  // Zoho datetimes are rendered in zoho_time_zone (the API user's zone).
  std::string erp_time_zone = "UTC";
  std::string zoho_time_zone = "UTC";

  DecimalEncoding decimal_encoding = DecimalEncoding::kNumber;

  // Only for lookup fields.
  LookupResolver lookup;
};

// A FieldSpec from the configuration and the field metadata. Time zones,
// decimal_place, decimal_encoding and the resolver keep their defaults; set
// them afterwards.
FieldSpec MakeFieldSpec(std::string_view mapping_name, const mappings::FieldMapping& field,
                        const crm::FieldInfo& info, ValueType erp_type);

// Checks a spec once before use: a supported Zoho data type, a column type
// that can hold it, time zones that exist (looked up in the system's tz
// database), a resolver for lookups. INVALID_ARGUMENT naming the problem.
Status ValidateFieldSpec(const FieldSpec& spec);

// ERP -> Zoho. INVALID_ARGUMENT for a value that cannot be converted (see the
// rules above); a lookup resolver's error as it returned it. Thread-safe.
Result<crm::JsonValue> ToZoho(const Value& erp, const FieldSpec& spec);

// A datetime column's wall time that occurs twice (the hour repeated when
// clocks go back) has two instants; ToZoho takes the earlier. This is the
// other one, in Zoho's form; nullopt when the time is not ambiguous or the
// field is not a datetime. A value equal to the base under either reading is
// unchanged, so a value that came from Zoho is not moved by an hour.
std::optional<crm::JsonValue> AmbiguousAlternative(const Value& erp, const FieldSpec& spec);

// The canonical form of `erp` (`zoho` is ToZoho's answer for it), to compare
// with the merge base `base` (nullptr: none): the base itself when the two
// differ only because `erp` is an ambiguous wall time that is the base under
// its other reading.
std::string CanonicalAgainstBase(const Value& erp, const crm::JsonValue& zoho, const FieldSpec& spec,
                                 const std::string* base);

// Zoho -> ERP: a Value of type spec.erp_type (NULL for JSON null).
// INVALID_ARGUMENT for a value that cannot be converted; a lookup resolver's
// error as it returned it. Thread-safe.
Result<Value> ToErp(const crm::JsonValue& zoho, const FieldSpec& spec);

// The canonical text of a Zoho-side value, to compare values and to store the
// merge base: equal texts mean equal values. It is compact JSON with:
//  - null -> null, booleans -> true / false;
//  - numbers (integers and doubles alike) as their exact shortest decimal,
//    without exponent, trailing fraction zeros or "-0": 1.50 and 1.5 -> 1.5,
//    2.0 and 2 -> 2;
//  - strings JSON-quoted with their exact text (no trimming, no case folding),
//    so the string "null" ("\"null\"") differs from null;
//  - arrays in order; objects with keys sorted, except that an object with an
//    "id" member (a lookup, owner or user) is reduced to {"id":"<id>"}: Zoho
//    reads lookups back with a "name" we never send.
// The typed overload additionally normalizes by the field's data type, so the
// different encodings Zoho and ToZoho may use for one value compare equal:
//  - decimals (double, currency, percent): a number or a decimal string -> the
//    number form, "1.50" -> 1.5;
//  - integer: 7, 7.0 or "7" -> 7; bigint: "007", 7 -> "7" (a string);
//  - datetime: any offset -> the UTC instant, "2026-11-30T10:15:00+05:30" ->
//    "2026-11-30T04:45:00Z" (fractional seconds kept when not zero);
//  - lookups: {"id":...} with a string id, also from a bare id string.
// A value that does not fit its type falls back to the untyped form. Never
// fails.
std::string CanonicalValue(const crm::JsonValue& zoho);
std::string CanonicalValue(const crm::JsonValue& zoho, const FieldSpec& spec);

// The wall time in `erp_time_zone` (named as in FieldSpec) at the instant
// `when`: what an ERP timestamp column without a zone holds for it.
// INVALID_ARGUMENT for an unknown zone.
Result<Timestamp> ErpLocalTime(Clock::TimePoint when, std::string_view erp_time_zone);

}  // namespace zcrmsync::sync
