#include "sync/convert.h"

#include <cstdint>
#include <random>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace zcrmsync::sync {
namespace {

using ::testing::HasSubstr;
using ::zcrmsync::testing::IsOk;
using ::zcrmsync::testing::IsOkAndHolds;
using ::zcrmsync::testing::StatusIs;
using Json = crm::JsonValue;

FieldSpec Spec(std::string data_type, ValueType erp_type, std::string column = "col",
               std::string field = "Field") {
  FieldSpec spec;
  spec.mapping = "customers";
  spec.column = std::move(column);
  spec.field = std::move(field);
  spec.erp_type = erp_type;
  spec.data_type = std::move(data_type);
  return spec;
}

// The error message of a failed Result, or "OK".
template <typename T>
std::string Message(const Result<T>& r) {
  return r.has_value() ? "OK" : r.error().message();
}

Timestamp Ts(int y, int mo, int d, int h, int mi, int s = 0, int us = 0) {
  return Timestamp{y, mo, d, h, mi, s, us};
}

// ---------------------------------------------------------------------------
// Time zones and spec validation.

TEST(ConvertTest, TimeZoneDatabaseIsFound) {
  FieldSpec spec = Spec("datetime", ValueType::kTimestamp);
  spec.erp_time_zone = "Europe/Berlin";
  spec.zoho_time_zone = "Asia/Kolkata";
  EXPECT_THAT(ValidateFieldSpec(spec), IsOk());
  spec.zoho_time_zone = "+05:30";
  EXPECT_THAT(ValidateFieldSpec(spec), IsOk());
  spec.erp_time_zone = "Mars/Olympus_Mons";
  EXPECT_THAT(ValidateFieldSpec(spec), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(ValidateFieldSpec(spec).message(),
            "mapping customers: column col -> Field: erp_time_zone: unknown time zone "
            "\"Mars/Olympus_Mons\" (use an IANA name such as Europe/Berlin, UTC, or an offset "
            "such as +05:30)");
}

TEST(ConvertTest, ValidateFieldSpecChecksTypes) {
  EXPECT_THAT(ValidateFieldSpec(Spec("currency", ValueType::kDecimal)), IsOk());
  EXPECT_THAT(ValidateFieldSpec(Spec("subform", ValueType::kText)),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(ValidateFieldSpec(Spec("date", ValueType::kBool)).message(),
            "mapping customers: column col -> Field: a bool column cannot be sent to a Zoho "
            "date field");
  EXPECT_THAT(ValidateFieldSpec(Spec("lookup", ValueType::kText)),
              StatusIs(StatusCode::kInvalidArgument));
  FieldSpec formula = Spec("formula", ValueType::kDecimal);
  formula.json_type = "double";
  EXPECT_THAT(ValidateFieldSpec(formula), IsOk());
}

TEST(ConvertTest, MakeFieldSpecCopiesConfigAndMetadata) {
  mappings::FieldMapping fm;
  fm.column = "tier";
  fm.field = "Rating";
  fm.values = {{"A", "Acquired"}};
  fm.reverse_values = {{"Acquired", "A"}};
  crm::FieldInfo info;
  info.api_name = "Rating";
  info.data_type = "picklist";
  info.json_type = "string";
  info.length = 120;
  FieldSpec spec = MakeFieldSpec("customers", fm, info, ValueType::kText);
  EXPECT_EQ(spec.mapping, "customers");
  EXPECT_EQ(spec.column, "tier");
  EXPECT_EQ(spec.field, "Rating");
  EXPECT_EQ(spec.data_type, "picklist");
  EXPECT_EQ(spec.length, 120);
  EXPECT_EQ(spec.values.at("A"), "Acquired");
  EXPECT_EQ(spec.reverse_values.at("Acquired"), "A");
  EXPECT_THAT(ToZoho(Value::Text("A"), spec), IsOkAndHolds(Json("Acquired")));
}

// ---------------------------------------------------------------------------
// NULL.

TEST(ConvertTest, NullBothWaysForEveryType) {
  for (const char* type : {"text", "integer", "bigint", "currency", "double", "boolean", "date",
                           "datetime", "picklist", "multiselectpicklist", "lookup"}) {
    SCOPED_TRACE(type);
    ValueType erp = ValueType::kText;
    if (std::string(type) == "currency" || std::string(type) == "double") erp = ValueType::kDecimal;
    if (std::string(type) == "integer" || std::string(type) == "bigint") erp = ValueType::kInt64;
    if (std::string(type) == "boolean") erp = ValueType::kBool;
    if (std::string(type) == "date") erp = ValueType::kDate;
    if (std::string(type) == "datetime") erp = ValueType::kTimestamp;
    const FieldSpec spec = Spec(type, erp);
    EXPECT_THAT(ToZoho(Value::Null(erp), spec), IsOkAndHolds(Json()));
    EXPECT_THAT(ToErp(Json(), spec), IsOkAndHolds(Value::Null(erp)));
    EXPECT_EQ(CanonicalValue(Json(), spec), "null");
  }
}

// ---------------------------------------------------------------------------
// Text.

TEST(ConvertTest, TextIsTrimmedAndLengthChecked) {
  FieldSpec spec = Spec("text", ValueType::kText, "name", "Account_Name");
  spec.length = 6;
  EXPECT_THAT(ToZoho(Value::Text("  Müller \t"), spec), IsOkAndHolds(Json("Müller")));
  // Six code points (but 18 bytes) fit a length of 6.
  EXPECT_THAT(ToZoho(Value::Text("日本語テキス"), spec), IsOkAndHolds(Json("日本語テキス")));
  auto r = ToZoho(Value::Text("日本語テキスト"), spec);
  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(Message(r),
            "mapping customers: column name -> Account_Name: \"日本語テキスト\" is 7 characters, "
            "Zoho allows 6");
  // Empty after trimming: null.
  EXPECT_THAT(ToZoho(Value::Text("   "), spec), IsOkAndHolds(Json()));
  EXPECT_THAT(ToZoho(Value::Text(""), spec), IsOkAndHolds(Json()));
}

TEST(ConvertTest, TextMustBeUtf8) {
  const FieldSpec spec = Spec("textarea", ValueType::kText, "notes", "Description");
  auto r = ToZoho(Value::Text(" ab\xC3("), spec);
  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(Message(r),
            "mapping customers: column notes -> Description: the text is not valid UTF-8 (byte 2 "
            "of the trimmed value)");
  EXPECT_THAT(ToZoho(Value::Text("\xED\xA0\x80"), spec), StatusIs(StatusCode::kInvalidArgument));
}

TEST(ConvertTest, LongValuesAreShortenedInMessages) {
  FieldSpec spec = Spec("text", ValueType::kText, "name", "Last_Name");
  spec.length = 10;
  auto r = ToZoho(Value::Text(std::string(100, 'x')), spec);
  EXPECT_EQ(Message(r), "mapping customers: column name -> Last_Name: \"" + std::string(60, 'x') +
                            "...\" (100 bytes) is 100 characters, Zoho allows 10");
}

TEST(ConvertTest, TextFromZohoIsKeptExactly) {
  FieldSpec spec = Spec("text", ValueType::kText);
  spec.length = 3;  // checked ERP -> CRM only
  EXPECT_THAT(ToErp(Json("  Grüße, 東京 "), spec), IsOkAndHolds(Value::Text("  Grüße, 東京 ")));
}

TEST(ConvertTest, TextFieldWithOtherColumnTypes) {
  const FieldSpec as_int = Spec("text", ValueType::kInt64);
  EXPECT_THAT(ToZoho(Value::Int64(-42), as_int), IsOkAndHolds(Json("-42")));
  EXPECT_THAT(ToErp(Json("17"), as_int), IsOkAndHolds(Value::Int64(17)));
  EXPECT_EQ(Message(ToErp(Json("seventeen"), as_int)),
            "mapping customers: field Field -> column col: \"seventeen\" is not a number");
  const FieldSpec as_date = Spec("text", ValueType::kDate);
  EXPECT_THAT(ToZoho(Value::FromDate(Date{2026, 3, 1}), as_date), IsOkAndHolds(Json("2026-03-01")));
  EXPECT_THAT(ToErp(Json("2026-03-01"), as_date), IsOkAndHolds(Value::FromDate(Date{2026, 3, 1})));
  const FieldSpec as_bytes = Spec("text", ValueType::kBytes);
  EXPECT_THAT(ToZoho(Value::Binary({1, 2}), as_bytes), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ToErp(Json("x"), as_bytes), StatusIs(StatusCode::kInvalidArgument));
}

// ---------------------------------------------------------------------------
// Integers.

TEST(ConvertTest, Integer) {
  const FieldSpec spec = Spec("integer", ValueType::kInt64, "employees", "Employees");
  EXPECT_THAT(ToZoho(Value::Int64(42), spec), IsOkAndHolds(Json(int64_t{42})));
  EXPECT_THAT(ToZoho(Value::Int64(-999'999'999), spec), IsOkAndHolds(Json(int64_t{-999'999'999})));
  EXPECT_THAT(ToZoho(Value::Decimal("42.000"), spec), IsOkAndHolds(Json(int64_t{42})));
  EXPECT_THAT(ToZoho(Value::Text(" 17 "), spec), IsOkAndHolds(Json(int64_t{17})));
  EXPECT_THAT(ToZoho(Value::Double(3.0), spec), IsOkAndHolds(Json(int64_t{3})));
  EXPECT_EQ(Message(ToZoho(Value::Int64(1'000'000'000), spec)),
            "mapping customers: column employees -> Employees: 1000000000 has more than 9 "
            "digits, Zoho integer fields allow 9");
  EXPECT_EQ(Message(ToZoho(Value::Decimal("42.5"), spec)),
            "mapping customers: column employees -> Employees: 42.5 is not a whole number");
  EXPECT_EQ(Message(ToZoho(Value::Text("many"), spec)),
            "mapping customers: column employees -> Employees: \"many\" is not a number");

  EXPECT_THAT(ToErp(Json(int64_t{42}), spec), IsOkAndHolds(Value::Int64(42)));
  EXPECT_THAT(ToErp(Json(7.0), spec), IsOkAndHolds(Value::Int64(7)));
  EXPECT_THAT(ToErp(Json(7.5), spec), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(Message(ToErp(Json("7"), spec)),
            "mapping customers: field Employees -> column employees: \"7\" is a string, expected "
            "an integer");
  EXPECT_THAT(ToErp(Json(int64_t{42}), Spec("integer", ValueType::kDecimal)),
              IsOkAndHolds(Value::Decimal("42")));
  EXPECT_THAT(ToErp(Json(int64_t{42}), Spec("integer", ValueType::kText)),
              IsOkAndHolds(Value::Text("42")));
}

TEST(ConvertTest, BigintIsAStringInZoho) {
  const FieldSpec spec = Spec("bigint", ValueType::kInt64, "erp_id", "ERP_Id");
  // 2^53 + 1 would not survive a double.
  EXPECT_THAT(ToZoho(Value::Int64(9007199254740993), spec), IsOkAndHolds(Json("9007199254740993")));
  EXPECT_THAT(ToZoho(Value::Int64(INT64_MIN), spec), IsOkAndHolds(Json("-9223372036854775808")));
  EXPECT_THAT(ToZoho(Value::Decimal("9223372036854775807"), spec),
              IsOkAndHolds(Json("9223372036854775807")));
  EXPECT_EQ(Message(ToZoho(Value::Decimal("9223372036854775808"), spec)),
            "mapping customers: column erp_id -> ERP_Id: 9223372036854775808 does not fit a "
            "64-bit integer");
  EXPECT_THAT(ToErp(Json("9007199254740993"), spec), IsOkAndHolds(Value::Int64(9007199254740993)));
  EXPECT_THAT(ToErp(Json(int64_t{12}), spec), IsOkAndHolds(Value::Int64(12)));
  EXPECT_THAT(ToErp(Json("9223372036854775807"), Spec("bigint", ValueType::kDecimal)),
              IsOkAndHolds(Value::Decimal("9223372036854775807")));
  EXPECT_EQ(Message(ToErp(Json("12a"), spec)),
            "mapping customers: field ERP_Id -> column erp_id: \"12a\" is a string, expected a "
            "string of digits");
  EXPECT_EQ(Message(ToErp(Json("99999999999999999999"), spec)),
            "mapping customers: field ERP_Id -> column erp_id: \"99999999999999999999\" is not a "
            "64-bit integer");
}

// ---------------------------------------------------------------------------
// Exact decimals.

TEST(ConvertTest, DecimalToZohoIsExact) {
  FieldSpec spec = Spec("currency", ValueType::kDecimal, "credit_limit", "Credit_Limit");
  spec.decimal_place = 2;
  EXPECT_THAT(ToZoho(Value::Decimal("1234.50"), spec), IsOkAndHolds(Json(1234.5)));
  EXPECT_EQ(crm::ToJson(*ToZoho(Value::Decimal("1234.50"), spec)), "1234.5");
  EXPECT_THAT(ToZoho(Value::Decimal("100.00"), spec), IsOkAndHolds(Json(int64_t{100})));
  EXPECT_THAT(ToZoho(Value::Decimal("-0.05"), spec), IsOkAndHolds(Json(-0.05)));
  EXPECT_THAT(ToZoho(Value::Decimal("+007.10"), spec), IsOkAndHolds(Json(7.1)));
  EXPECT_THAT(ToZoho(Value::Decimal("-0.00"), spec), IsOkAndHolds(Json(int64_t{0})));
  // Trailing zeros are not decimal places.
  EXPECT_THAT(ToZoho(Value::Decimal("12.340"), spec), IsOkAndHolds(Json(12.34)));
  // The largest 15-digit amount survives the JSON number exactly.
  auto big = ToZoho(Value::Decimal("-9999999999999.99"), spec);
  ASSERT_THAT(big, IsOk());
  EXPECT_EQ(crm::ToJson(*big), "-9999999999999.99");
  EXPECT_EQ(CanonicalValue(*crm::ParseJson(crm::ToJson(*big))), "-9999999999999.99");
  EXPECT_THAT(ToZoho(Value::Int64(250), spec), IsOkAndHolds(Json(int64_t{250})));
  EXPECT_THAT(ToZoho(Value::Double(0.25), spec), IsOkAndHolds(Json(0.25)));
  EXPECT_THAT(ToZoho(Value::Text(" 19.99 "), spec), IsOkAndHolds(Json(19.99)));
}

TEST(ConvertTest, DecimalErrorsAreNotRounded) {
  FieldSpec spec = Spec("currency", ValueType::kDecimal, "credit_limit", "Credit_Limit");
  spec.decimal_place = 2;
  auto r = ToZoho(Value::Decimal("12.345"), spec);
  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(Message(r),
            "mapping customers: column credit_limit -> Credit_Limit: 12.345 has 3 decimal "
            "places, Zoho allows 2");
  // A double column: 0.1 + 0.2 is not 0.3, and is not rounded to it.
  EXPECT_EQ(Message(ToZoho(Value::Double(0.1 + 0.2), spec)),
            "mapping customers: column credit_limit -> Credit_Limit: 0.30000000000000004 has 17 "
            "decimal places, Zoho allows 2");
  // 16 significant digits that a double holds exactly go as they are; 17
  // that it cannot hold are refused, never rounded.
  auto exact = ToZoho(Value::Decimal("12345678901234.56"), spec);
  ASSERT_THAT(exact, IsOk());
  EXPECT_EQ(crm::ToJson(*exact), "12345678901234.56");
  spec.decimal_place = 1;
  EXPECT_THAT(Message(ToZoho(Value::Decimal("1234567890123456.7"), spec)),
              ::testing::HasSubstr("1234567890123456.7 cannot be written exactly as a JSON number"));
  spec.decimal_place = 2;
  EXPECT_EQ(Message(ToZoho(Value::Decimal("12345678901234567"), spec)),
            "mapping customers: column credit_limit -> Credit_Limit: 12345678901234567 has 17 "
            "integer digits, Zoho allows 16");
  EXPECT_EQ(Message(ToZoho(Value::Decimal("1e5"), spec)),
            "mapping customers: column credit_limit -> Credit_Limit: 1e5 is not a decimal number");
  EXPECT_EQ(Message(ToZoho(Value::Text("12,50"), spec)),
            "mapping customers: column credit_limit -> Credit_Limit: \"12,50\" is not a decimal "
            "number");
  spec.decimal_place = 0;
  EXPECT_EQ(Message(ToZoho(Value::Decimal("3.5"), spec)),
            "mapping customers: column credit_limit -> Credit_Limit: 3.5 has 1 decimal places, "
            "Zoho allows 0");
}

TEST(ConvertTest, DecimalAsStringKeepsEveryDigit) {
  FieldSpec spec = Spec("double", ValueType::kDecimal, "rate", "Rate");
  spec.decimal_encoding = DecimalEncoding::kString;
  spec.decimal_place = 9;
  EXPECT_THAT(ToZoho(Value::Decimal("-1234567890123456.123456789"), spec),
              IsOkAndHolds(Json("-1234567890123456.123456789")));
  EXPECT_THAT(ToZoho(Value::Decimal("1.50"), spec), IsOkAndHolds(Json("1.5")));
  EXPECT_THAT(ToErp(Json("-1234567890123456.123456789"), spec),
              IsOkAndHolds(Value::Decimal("-1234567890123456.123456789")));
}

TEST(ConvertTest, DecimalFromZoho) {
  const FieldSpec spec = Spec("currency", ValueType::kDecimal, "credit_limit", "Credit_Limit");
  EXPECT_THAT(ToErp(Json(0.1), spec), IsOkAndHolds(Value::Decimal("0.1")));
  EXPECT_THAT(ToErp(Json(1234.5), spec), IsOkAndHolds(Value::Decimal("1234.5")));
  EXPECT_THAT(ToErp(Json(-9999999999999.99), spec), IsOkAndHolds(Value::Decimal("-9999999999999.99")));
  EXPECT_THAT(ToErp(Json(int64_t{100}), spec), IsOkAndHolds(Value::Decimal("100")));
  EXPECT_THAT(ToErp(Json("1.50"), spec), IsOkAndHolds(Value::Decimal("1.5")));
  EXPECT_THAT(ToErp(*crm::ParseJson("12.30"), spec), IsOkAndHolds(Value::Decimal("12.3")));
  EXPECT_THAT(ToErp(Json(2.5), Spec("currency", ValueType::kDouble)),
              IsOkAndHolds(Value::Double(2.5)));
  EXPECT_THAT(ToErp(Json(2.5), Spec("currency", ValueType::kText)), IsOkAndHolds(Value::Text("2.5")));
  EXPECT_THAT(ToErp(Json(2.0), Spec("currency", ValueType::kInt64)), IsOkAndHolds(Value::Int64(2)));
  EXPECT_EQ(Message(ToErp(Json(2.5), Spec("currency", ValueType::kInt64, "qty", "Qty"))),
            "mapping customers: field Qty -> column qty: 2.5 has 1 decimal places, the column "
            "holds whole numbers");
  EXPECT_EQ(Message(ToErp(Json(true), spec)),
            "mapping customers: field Credit_Limit -> column credit_limit: true is a boolean, "
            "expected a decimal number");
}

// Every 15-digit value goes through crm::ToJson and crm::ParseJson exactly.
TEST(ConvertTest, DecimalsSurviveTheJsonLayer) {
  FieldSpec spec = Spec("currency", ValueType::kDecimal);
  std::mt19937_64 rng(12345);
  int refused = 0;
  for (int i = 0; i < 20000; ++i) {
    const int places = static_cast<int>(rng() % 10);
    spec.decimal_place = places;
    std::string digits = std::to_string(rng() % 1'000'000'000'000'000ULL);  // up to 15 digits
    if (static_cast<int>(digits.size()) <= places) {
      digits.insert(0, static_cast<size_t>(places) - digits.size() + 1, '0');
    }
    std::string text = digits;
    if (places > 0) text.insert(text.size() - static_cast<size_t>(places), ".");
    if (rng() % 2 == 0) text.insert(0, "-");
    auto json = ToZoho(Value::Decimal(text), spec);
    if (!json.has_value() &&
        json.error().message().find("cannot be written exactly") != std::string::npos) {
      ++refused;  // crm::ToJson would change it: refused, not sent
      continue;
    }
    ASSERT_THAT(json, IsOk()) << text;
    auto back = crm::ParseJson(crm::ToJson(*json));
    ASSERT_TRUE(back.has_value()) << text;
    auto erp = ToErp(*back, spec);
    ASSERT_THAT(erp, IsOk()) << text;
    // Same value as the input, in canonical form.
    EXPECT_EQ(CanonicalValue(Json(erp->decimal_value()), spec), CanonicalValue(Json(text), spec))
        << text << " -> " << crm::ToJson(*json);
  }
  EXPECT_EQ(refused, 0);  // crm::ToJson writes the shortest exact text
}

// A value RapidJSON's own double writer used to change (…4220509) is sent
// exactly; the guard in ToZoho stays for any writer that would change digits.
TEST(ConvertTest, DecimalsGoThroughTheJsonWriterExactly) {
  FieldSpec spec = Spec("double", ValueType::kDecimal, "rate", "Rate");
  spec.decimal_place = 9;
  auto sent = ToZoho(Value::Decimal("7972986220.42205"), spec);
  ASSERT_THAT(sent, IsOk());
  EXPECT_EQ(crm::ToJson(*sent), "7972986220.42205");
  // Exponent forms are fine: the text still means the same value.
  auto tiny = ToZoho(Value::Decimal("0.000000001"), spec);
  ASSERT_THAT(tiny, IsOk());
  EXPECT_EQ(CanonicalValue(*crm::ParseJson(crm::ToJson(*tiny))), "0.000000001");
  spec.decimal_encoding = DecimalEncoding::kString;
  EXPECT_THAT(ToZoho(Value::Decimal("7972986220.42205"), spec),
              IsOkAndHolds(Json("7972986220.42205")));
}

// ---------------------------------------------------------------------------
// Booleans.

TEST(ConvertTest, Boolean) {
  const FieldSpec spec = Spec("boolean", ValueType::kBool, "active", "Active");
  EXPECT_THAT(ToZoho(Value::Bool(true), spec), IsOkAndHolds(Json(true)));
  EXPECT_THAT(ToZoho(Value::Int64(0), spec), IsOkAndHolds(Json(false)));
  EXPECT_THAT(ToZoho(Value::Int64(1), spec), IsOkAndHolds(Json(true)));
  EXPECT_EQ(Message(ToZoho(Value::Int64(2), spec)),
            "mapping customers: column active -> Active: 2 is not a boolean (0 or 1)");
  for (const char* yes : {"Y", "yes", " TRUE ", "t", "1", "On"}) {
    EXPECT_THAT(ToZoho(Value::Text(yes), spec), IsOkAndHolds(Json(true))) << yes;
  }
  for (const char* no : {"n", "No", "false", "F", "0", "off"}) {
    EXPECT_THAT(ToZoho(Value::Text(no), spec), IsOkAndHolds(Json(false))) << no;
  }
  EXPECT_EQ(Message(ToZoho(Value::Text("maybe"), spec)),
            "mapping customers: column active -> Active: \"maybe\" is not a boolean (true/false, "
            "t/f, yes/no, y/n, 1/0, on/off)");

  EXPECT_THAT(ToErp(Json(true), spec), IsOkAndHolds(Value::Bool(true)));
  EXPECT_THAT(ToErp(Json(false), Spec("boolean", ValueType::kInt64)), IsOkAndHolds(Value::Int64(0)));
  EXPECT_THAT(ToErp(Json(true), Spec("boolean", ValueType::kText)), IsOkAndHolds(Value::Text("true")));
  EXPECT_EQ(Message(ToErp(Json("true"), spec)),
            "mapping customers: field Active -> column active: \"true\" is a string, expected "
            "true or false");
}

TEST(ConvertTest, BooleanTextThroughValues) {
  FieldSpec spec = Spec("boolean", ValueType::kText, "aktiv", "Active");
  spec.values = {{"J", "true"}, {"N", "false"}};
  spec.reverse_values = {{"true", "J"}, {"false", "N"}};
  EXPECT_THAT(ToZoho(Value::Text("J "), spec), IsOkAndHolds(Json(true)));
  EXPECT_THAT(ToZoho(Value::Text("N"), spec), IsOkAndHolds(Json(false)));
  EXPECT_EQ(Message(ToZoho(Value::Text("Y"), spec)),
            "mapping customers: column aktiv -> Active: \"Y\" is not a mapped ERP value; "
            "allowed: \"J\", \"N\"");
  EXPECT_THAT(ToErp(Json(true), spec), IsOkAndHolds(Value::Text("J")));
  EXPECT_THAT(ToErp(Json(false), spec), IsOkAndHolds(Value::Text("N")));
}

// ---------------------------------------------------------------------------
// Dates.

TEST(ConvertTest, Date) {
  const FieldSpec spec = Spec("date", ValueType::kDate, "founded", "Founded");
  EXPECT_THAT(ToZoho(Value::FromDate(Date{2024, 2, 29}), spec), IsOkAndHolds(Json("2024-02-29")));
  EXPECT_THAT(ToZoho(Value::FromTimestamp(Ts(2026, 3, 29, 2, 30)), spec),
              IsOkAndHolds(Json("2026-03-29")));
  EXPECT_THAT(ToZoho(Value::Text("2026-11-30"), spec), IsOkAndHolds(Json("2026-11-30")));
  EXPECT_EQ(Message(ToZoho(Value::Text("2026-02-30"), spec)),
            "mapping customers: column founded -> Founded: \"2026-02-30\" is not a date "
            "(YYYY-MM-DD)");
  EXPECT_EQ(Message(ToZoho(Value::FromDate(Date{2026, 13, 1}), spec)),
            "mapping customers: column founded -> Founded: 2026-13-01 is not a valid date");

  EXPECT_THAT(ToErp(Json("2024-02-29"), spec), IsOkAndHolds(Value::FromDate(Date{2024, 2, 29})));
  EXPECT_THAT(ToErp(Json("2024-02-29"), Spec("date", ValueType::kTimestamp)),
              IsOkAndHolds(Value::FromTimestamp(Ts(2024, 2, 29, 0, 0))));
  EXPECT_THAT(ToErp(Json("2024-02-29"), Spec("date", ValueType::kText)),
              IsOkAndHolds(Value::Text("2024-02-29")));
  EXPECT_EQ(Message(ToErp(Json("29.02.2024"), spec)),
            "mapping customers: field Founded -> column founded: \"29.02.2024\" is not a date "
            "(YYYY-MM-DD)");
}

// ---------------------------------------------------------------------------
// Date-times and DST.

FieldSpec Berlin(std::string zoho_zone = "UTC") {
  FieldSpec spec = Spec("datetime", ValueType::kTimestamp, "changed_at", "Last_Visit");
  spec.erp_time_zone = "Europe/Berlin";
  spec.zoho_time_zone = std::move(zoho_zone);
  return spec;
}

TEST(ConvertTest, DateTimeToZohoRendersTheOrgOffset) {
  // Winter (CET, +01:00) and summer (CEST, +02:00).
  EXPECT_THAT(ToZoho(Value::FromTimestamp(Ts(2026, 1, 15, 12, 0)), Berlin()),
              IsOkAndHolds(Json("2026-01-15T11:00:00+00:00")));
  EXPECT_THAT(ToZoho(Value::FromTimestamp(Ts(2026, 7, 1, 12, 0)), Berlin()),
              IsOkAndHolds(Json("2026-07-01T10:00:00+00:00")));
  EXPECT_THAT(ToZoho(Value::FromTimestamp(Ts(2026, 11, 30, 5, 45)), Berlin("+05:30")),
              IsOkAndHolds(Json("2026-11-30T10:15:00+05:30")));
  EXPECT_THAT(ToZoho(Value::FromTimestamp(Ts(2026, 11, 30, 5, 45)), Berlin("Asia/Kolkata")),
              IsOkAndHolds(Json("2026-11-30T10:15:00+05:30")));
  EXPECT_THAT(ToZoho(Value::FromTimestamp(Ts(2026, 7, 1, 12, 0)), Berlin("America/New_York")),
              IsOkAndHolds(Json("2026-07-01T06:00:00-04:00")));
  // Fractional seconds are dropped (Zoho has whole seconds).
  EXPECT_THAT(ToZoho(Value::FromTimestamp(Ts(2026, 1, 15, 12, 0, 59, 999999)), Berlin()),
              IsOkAndHolds(Json("2026-01-15T11:00:59+00:00")));
  // A date column means midnight ERP time.
  EXPECT_THAT(ToZoho(Value::FromDate(Date{2026, 7, 1}), Berlin()),
              IsOkAndHolds(Json("2026-06-30T22:00:00+00:00")));
  // Text: with an offset it is that instant, without one ERP time.
  EXPECT_THAT(ToZoho(Value::Text("2026-07-01T12:00:00Z"), Berlin()),
              IsOkAndHolds(Json("2026-07-01T12:00:00+00:00")));
  EXPECT_THAT(ToZoho(Value::Text("2026-07-01 12:00:00"), Berlin()),
              IsOkAndHolds(Json("2026-07-01T10:00:00+00:00")));
  EXPECT_EQ(Message(ToZoho(Value::Text("yesterday"), Berlin())),
            "mapping customers: column changed_at -> Last_Visit: \"yesterday\" is not a "
            "date-time (YYYY-MM-DD HH:MM:SS, optional offset)");
  EXPECT_EQ(Message(ToZoho(Value::FromTimestamp(Ts(2026, 1, 15, 24, 0)), Berlin())),
            "mapping customers: column changed_at -> Last_Visit: 2026-01-15 24:00:00 is not a "
            "valid timestamp");
}

TEST(ConvertTest, DateTimeInTheSkippedHourMovesForward) {
  // 2026-03-29: Berlin jumps from 02:00 CET to 03:00 CEST; 02:30 does not exist.
  // It is read with the offset before the change (+01:00): 01:30Z = 03:30 CEST.
  EXPECT_THAT(ToZoho(Value::FromTimestamp(Ts(2026, 3, 29, 2, 30)), Berlin()),
              IsOkAndHolds(Json("2026-03-29T01:30:00+00:00")));
  EXPECT_THAT(ToZoho(Value::FromTimestamp(Ts(2026, 3, 29, 2, 30)), Berlin("Europe/Berlin")),
              IsOkAndHolds(Json("2026-03-29T03:30:00+02:00")));
  // Around the gap.
  EXPECT_THAT(ToZoho(Value::FromTimestamp(Ts(2026, 3, 29, 1, 59, 59)), Berlin()),
              IsOkAndHolds(Json("2026-03-29T00:59:59+00:00")));
  EXPECT_THAT(ToZoho(Value::FromTimestamp(Ts(2026, 3, 29, 3, 0)), Berlin()),
              IsOkAndHolds(Json("2026-03-29T01:00:00+00:00")));
  // Back: 01:30Z is 03:30 in Berlin.
  EXPECT_THAT(ToErp(Json("2026-03-29T01:30:00+00:00"), Berlin()),
              IsOkAndHolds(Value::FromTimestamp(Ts(2026, 3, 29, 3, 30))));
}

TEST(ConvertTest, TheRepeatedHourHasAnAlternativeReading) {
  const Value twice = Value::FromTimestamp(Ts(2026, 10, 25, 2, 30));
  auto alt = AmbiguousAlternative(twice, Berlin());
  ASSERT_TRUE(alt.has_value());
  EXPECT_EQ(*alt, Json("2026-10-25T01:30:00+00:00"));
  EXPECT_FALSE(AmbiguousAlternative(Value::FromTimestamp(Ts(2026, 10, 25, 4, 30)), Berlin()));
  EXPECT_FALSE(AmbiguousAlternative(Value::FromTimestamp(Ts(2026, 3, 29, 2, 30)), Berlin()));
  EXPECT_FALSE(AmbiguousAlternative(Value::Text("2026-10-25 02:30:00"), Berlin()));
}

TEST(ConvertTest, DateTimeInTheRepeatedHourIsTheFirstOccurrence) {
  // 2026-10-25: Berlin goes back from 03:00 CEST to 02:00 CET; 02:30 happens
  // twice (00:30Z and 01:30Z). The earlier instant is taken.
  EXPECT_THAT(ToZoho(Value::FromTimestamp(Ts(2026, 10, 25, 2, 30)), Berlin()),
              IsOkAndHolds(Json("2026-10-25T00:30:00+00:00")));
  EXPECT_THAT(ToZoho(Value::FromTimestamp(Ts(2026, 10, 25, 2, 30)), Berlin("Europe/Berlin")),
              IsOkAndHolds(Json("2026-10-25T02:30:00+02:00")));
  EXPECT_THAT(ToZoho(Value::FromTimestamp(Ts(2026, 10, 25, 3, 0)), Berlin()),
              IsOkAndHolds(Json("2026-10-25T02:00:00+00:00")));
  // Both occurrences read back as 02:30 ERP time.
  EXPECT_THAT(ToErp(Json("2026-10-25T02:30:00+02:00"), Berlin()),
              IsOkAndHolds(Value::FromTimestamp(Ts(2026, 10, 25, 2, 30))));
  EXPECT_THAT(ToErp(Json("2026-10-25T02:30:00+01:00"), Berlin()),
              IsOkAndHolds(Value::FromTimestamp(Ts(2026, 10, 25, 2, 30))));
  // Zoho renders the second one as +01:00 in Berlin.
  EXPECT_THAT(ToZoho(Value::Text("2026-10-25T01:30:00Z"), Berlin("Europe/Berlin")),
              IsOkAndHolds(Json("2026-10-25T02:30:00+01:00")));
}

TEST(ConvertTest, DateTimeFromZoho) {
  EXPECT_THAT(ToErp(Json("2026-11-30T10:15:00+05:30"), Berlin()),
              IsOkAndHolds(Value::FromTimestamp(Ts(2026, 11, 30, 5, 45))));
  EXPECT_THAT(ToErp(Json("2026-07-01T10:00:00Z"), Berlin()),
              IsOkAndHolds(Value::FromTimestamp(Ts(2026, 7, 1, 12, 0))));
  EXPECT_THAT(ToErp(Json("2026-07-01T10:00:00.250-0400"), Berlin()),
              IsOkAndHolds(Value::FromTimestamp(Ts(2026, 7, 1, 16, 0, 0, 250000))));
  // Without an offset: the Zoho zone.
  EXPECT_THAT(ToErp(Json("2026-07-01T10:00:00"), Berlin("+05:30")),
              IsOkAndHolds(Value::FromTimestamp(Ts(2026, 7, 1, 6, 30))));
  // Into a date column: the ERP-local date (00:30 Berlin on 1 July).
  FieldSpec date_col = Berlin();
  date_col.erp_type = ValueType::kDate;
  EXPECT_THAT(ToErp(Json("2026-06-30T22:30:00Z"), date_col),
              IsOkAndHolds(Value::FromDate(Date{2026, 7, 1})));
  FieldSpec text_col = Berlin();
  text_col.erp_type = ValueType::kText;
  EXPECT_THAT(ToErp(Json("2026-06-30T22:30:00+00:00"), text_col),
              IsOkAndHolds(Value::Text("2026-06-30T22:30:00+00:00")));
  EXPECT_EQ(Message(ToErp(Json("2026-06-30 at noon"), Berlin())),
            "mapping customers: field Last_Visit -> column changed_at: \"2026-06-30 at noon\" is "
            "not a date-time (YYYY-MM-DDTHH:MM:SS+hh:mm)");
  EXPECT_EQ(Message(ToErp(Json(int64_t{1700000000}), Berlin())),
            "mapping customers: field Last_Visit -> column changed_at: 1700000000 is a number, "
            "expected a date-time string");
  // UTC both sides: plain.
  FieldSpec utc = Spec("datetime", ValueType::kTimestamp);
  EXPECT_THAT(ToErp(Json("2026-03-29T02:30:00+00:00"), utc),
              IsOkAndHolds(Value::FromTimestamp(Ts(2026, 3, 29, 2, 30))));
  EXPECT_THAT(ToZoho(Value::FromTimestamp(Ts(2026, 3, 29, 2, 30)), utc),
              IsOkAndHolds(Json("2026-03-29T02:30:00+00:00")));
}

TEST(ConvertTest, DateTimeRoundTripsOutsideTheRepeatedHour) {
  const FieldSpec spec = Berlin("America/Los_Angeles");
  for (int day = 1; day <= 31; ++day) {
    for (int hour = 0; hour < 24; ++hour) {
      const Timestamp t = Ts(2026, 10, day, hour, 30, 15);
      auto json = ToZoho(Value::FromTimestamp(t), spec);
      ASSERT_THAT(json, IsOk());
      auto back = ToErp(*json, spec);
      ASSERT_THAT(back, IsOk());
      EXPECT_EQ(back->timestamp_value(), t) << json->as_string();
    }
  }
}

// ---------------------------------------------------------------------------
// Picklists.

FieldSpec Rating(bool strict = true) {
  FieldSpec spec = Spec("picklist", ValueType::kText, "tier", "Rating");
  spec.values = {{"A", "Acquired"}, {"B", "Active"}};
  spec.reverse_values = {{"Acquired", "A"}, {"Active", "B"}};
  spec.strict_values = strict;
  return spec;
}

TEST(ConvertTest, PicklistThroughValues) {
  EXPECT_THAT(ToZoho(Value::Text("A"), Rating()), IsOkAndHolds(Json("Acquired")));
  EXPECT_THAT(ToZoho(Value::Text("B  "), Rating()), IsOkAndHolds(Json("Active")));
  EXPECT_THAT(ToZoho(Value::Text(""), Rating()), IsOkAndHolds(Json()));
  auto r = ToZoho(Value::Text("C"), Rating());
  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(Message(r),
            "mapping customers: column tier -> Rating: \"C\" is not a mapped ERP value; allowed: "
            "\"A\", \"B\"");
  EXPECT_THAT(ToZoho(Value::Text("C"), Rating(/*strict=*/false)), IsOkAndHolds(Json("C")));

  EXPECT_THAT(ToErp(Json("Acquired"), Rating()), IsOkAndHolds(Value::Text("A")));
  EXPECT_EQ(Message(ToErp(Json("Project Cancelled"), Rating())),
            "mapping customers: field Rating -> column tier: \"Project Cancelled\" is not a "
            "mapped Zoho value; allowed: \"Acquired\", \"Active\"");
  EXPECT_THAT(ToErp(Json("Project Cancelled"), Rating(false)),
              IsOkAndHolds(Value::Text("Project Cancelled")));
  // Without a map values pass unchanged; non-ASCII is kept.
  const FieldSpec plain = Spec("picklist", ValueType::kText);
  EXPECT_THAT(ToZoho(Value::Text("Größe M"), plain), IsOkAndHolds(Json("Größe M")));
  EXPECT_THAT(ToErp(Json("Größe M"), plain), IsOkAndHolds(Value::Text("Größe M")));
}

TEST(ConvertTest, PicklistWithAnIntegerColumn) {
  FieldSpec spec = Spec("picklist", ValueType::kInt64, "status", "Lead_Status");
  spec.values = {{"1", "Contacted"}, {"2", "Qualified"}};
  spec.reverse_values = {{"Contacted", "1"}, {"Qualified", "2"}};
  EXPECT_THAT(ToZoho(Value::Int64(2), spec), IsOkAndHolds(Json("Qualified")));
  EXPECT_THAT(ToErp(Json("Contacted"), spec), IsOkAndHolds(Value::Int64(1)));
  EXPECT_EQ(Message(ToZoho(Value::Int64(3), spec)),
            "mapping customers: column status -> Lead_Status: \"3\" is not a mapped ERP value; "
            "allowed: \"1\", \"2\"");
}

// ---------------------------------------------------------------------------
// Multi-select picklists.

TEST(ConvertTest, MultiSelect) {
  FieldSpec spec = Spec("multiselectpicklist", ValueType::kText, "interests", "Interests");
  EXPECT_THAT(ToZoho(Value::Text("Golf; Tennis;;  Schach "), spec),
              IsOkAndHolds(Json(Json::Array{"Golf", "Tennis", "Schach"})));
  EXPECT_THAT(ToZoho(Value::Text(""), spec), IsOkAndHolds(Json(Json::Array{})));
  EXPECT_THAT(ToErp(Json(Json::Array{"Tennis", "Golf"}), spec),
              IsOkAndHolds(Value::Text("Tennis;Golf")));
  EXPECT_THAT(ToErp(Json(Json::Array{}), spec), IsOkAndHolds(Value::Text("")));
  EXPECT_EQ(Message(ToErp(Json(Json::Array{"a;b"}), spec)),
            "mapping customers: field Interests -> column interests: \"a;b\" contains ';', which "
            "separates the values in the column");
  EXPECT_EQ(Message(ToErp(Json(Json::Array{Json(int64_t{1})}), spec)),
            "mapping customers: field Interests -> column interests: 1 is a number, expected a "
            "string in the array");
  EXPECT_EQ(Message(ToErp(Json("Golf"), spec)),
            "mapping customers: field Interests -> column interests: \"Golf\" is a string, "
            "expected an array of strings");

  spec.values = {{"G", "Golf"}, {"T", "Tennis"}};
  spec.reverse_values = {{"Golf", "G"}, {"Tennis", "T"}};
  EXPECT_THAT(ToZoho(Value::Text("T;G"), spec), IsOkAndHolds(Json(Json::Array{"Tennis", "Golf"})));
  EXPECT_THAT(ToErp(Json(Json::Array{"Golf", "Tennis"}), spec), IsOkAndHolds(Value::Text("G;T")));
  EXPECT_EQ(Message(ToZoho(Value::Text("T;X"), spec)),
            "mapping customers: column interests -> Interests: \"X\" is not a mapped ERP value; "
            "allowed: \"G\", \"T\"");
}

// ---------------------------------------------------------------------------
// Lookups.

FieldSpec AccountLookup(ValueType erp_type = ValueType::kInt64) {
  FieldSpec spec = Spec("lookup", erp_type, "customer_id", "Account_Name");
  spec.lookup.to_zoho_id = [](std::string_view key) -> Result<std::string> {
    if (key == "1042") return std::string("5725767000000412001");
    return Error(NotFoundError("ERP key " + std::string(key) + " is not linked yet"));
  };
  spec.lookup.to_erp_key = [](std::string_view id) -> Result<std::string> {
    if (id == "5725767000000412001") return std::string("1042");
    return Error(NotFoundError("Zoho id " + std::string(id) + " is not linked"));
  };
  return spec;
}

TEST(ConvertTest, LookupThroughTheResolver) {
  const FieldSpec spec = AccountLookup();
  EXPECT_THAT(ValidateFieldSpec(spec), IsOk());
  EXPECT_THAT(ToZoho(Value::Int64(1042), spec),
              IsOkAndHolds(Json(Json::Object{{"id", "5725767000000412001"}})));
  auto missing = ToZoho(Value::Int64(7), spec);
  EXPECT_THAT(missing, StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(Message(missing),
            "mapping customers: column customer_id -> Account_Name: lookup \"7\": ERP key 7 is "
            "not linked yet");

  const Json read(Json::Object{{"name", "Acme GmbH"}, {"id", "5725767000000412001"}});
  EXPECT_THAT(ToErp(read, spec), IsOkAndHolds(Value::Int64(1042)));
  EXPECT_THAT(ToErp(read, AccountLookup(ValueType::kText)), IsOkAndHolds(Value::Text("1042")));
  EXPECT_THAT(ToErp(Json(Json::Object{{"id", "1"}}), spec), StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(Message(ToErp(Json(Json::Object{{"name", "Acme"}}), spec)),
            "mapping customers: field Account_Name -> column customer_id: {\"name\":\"Acme\"} is "
            "an object, expected a lookup {\"id\": \"<digits>\"}");

  FieldSpec bad_resolver = spec;
  bad_resolver.lookup.to_zoho_id = [](std::string_view) -> Result<std::string> {
    return std::string("abc");
  };
  EXPECT_EQ(Message(ToZoho(Value::Int64(1042), bad_resolver)),
            "mapping customers: column customer_id -> Account_Name: lookup \"1042\" resolved to a "
            "bad Zoho id \"abc\"");
  FieldSpec none = Spec("lookup", ValueType::kInt64, "customer_id", "Account_Name");
  EXPECT_EQ(Message(ToZoho(Value::Int64(1042), none)),
            "mapping customers: column customer_id -> Account_Name: no lookup resolver is set");
}

// ---------------------------------------------------------------------------
// Canonical values.

TEST(ConvertTest, CanonicalValueUntyped) {
  EXPECT_EQ(CanonicalValue(Json()), "null");
  EXPECT_EQ(CanonicalValue(Json("null")), "\"null\"");
  EXPECT_EQ(CanonicalValue(Json(true)), "true");
  EXPECT_EQ(CanonicalValue(Json(1.5)), "1.5");
  EXPECT_EQ(CanonicalValue(*crm::ParseJson("1.50")), "1.5");
  EXPECT_EQ(CanonicalValue(Json(2.0)), "2");
  EXPECT_EQ(CanonicalValue(Json(int64_t{2})), "2");
  EXPECT_EQ(CanonicalValue(Json(-0.0)), "0");
  EXPECT_EQ(CanonicalValue(Json(1e20)), "100000000000000000000");
  EXPECT_EQ(CanonicalValue(Json(" Müller \"x\"\n")), "\" Müller \\\"x\\\"\\n\"");
  EXPECT_EQ(CanonicalValue(Json(Json::Array{"b", "a"})), "[\"b\",\"a\"]");
  EXPECT_EQ(CanonicalValue(Json(Json::Object{{"z", 1}, {"a", Json()}})), "{\"a\":null,\"z\":1}");
  EXPECT_EQ(CanonicalValue(Json(Json::Object{{"name", "Acme"}, {"id", "42"}})), "{\"id\":\"42\"}");
  EXPECT_EQ(CanonicalValue(Json(Json::Object{{"id", int64_t{42}}})), "{\"id\":\"42\"}");
}

TEST(ConvertTest, CanonicalValueTyped) {
  const FieldSpec currency = Spec("currency", ValueType::kDecimal);
  EXPECT_EQ(CanonicalValue(Json("1.50"), currency), "1.5");
  EXPECT_EQ(CanonicalValue(Json(1.5), currency), "1.5");
  EXPECT_EQ(CanonicalValue(Json(int64_t{3}), currency), "3");
  EXPECT_EQ(CanonicalValue(Json("-0.0"), currency), "0");
  EXPECT_EQ(CanonicalValue(Json("n/a"), currency), "\"n/a\"");  // does not fit: untyped

  EXPECT_EQ(CanonicalValue(Json("007"), Spec("bigint", ValueType::kInt64)), "\"7\"");
  EXPECT_EQ(CanonicalValue(Json(int64_t{7}), Spec("bigint", ValueType::kInt64)), "\"7\"");
  EXPECT_EQ(CanonicalValue(Json(7.0), Spec("integer", ValueType::kInt64)), "7");

  FieldSpec dt = Spec("datetime", ValueType::kTimestamp);
  EXPECT_EQ(CanonicalValue(Json("2026-11-30T10:15:00+05:30"), dt), "\"2026-11-30T04:45:00Z\"");
  EXPECT_EQ(CanonicalValue(Json("2026-11-30T04:45:00Z"), dt), "\"2026-11-30T04:45:00Z\"");
  EXPECT_EQ(CanonicalValue(Json("2026-11-30T04:45:00.5+00:00"), dt),
            "\"2026-11-30T04:45:00.5Z\"");

  const FieldSpec lookup = AccountLookup();
  EXPECT_EQ(CanonicalValue(Json(Json::Object{{"name", "Acme"}, {"id", "5"}}), lookup),
            CanonicalValue(Json(Json::Object{{"id", "5"}}), lookup));

  // Text keeps its exact text.
  const FieldSpec text = Spec("text", ValueType::kText);
  EXPECT_NE(CanonicalValue(Json("a "), text), CanonicalValue(Json("a"), text));
  EXPECT_EQ(CanonicalValue(Json(Json::Array{"x", "y"}), Spec("multiselectpicklist",
                                                             ValueType::kText)),
            "[\"x\",\"y\"]");
}

// What ToZoho sends and what Zoho reads back compare equal.
TEST(ConvertTest, SentAndReadBackValuesCompareEqual) {
  FieldSpec currency = Spec("currency", ValueType::kDecimal);
  currency.decimal_place = 2;
  const Json sent = *ToZoho(Value::Decimal("1234.50"), currency);
  EXPECT_EQ(CanonicalValue(sent, currency), CanonicalValue(*crm::ParseJson("1234.50"), currency));

  // Sent in UTC, read back in the API user's zone.
  const FieldSpec dt = Berlin();
  const Json sent_dt = *ToZoho(Value::FromTimestamp(Ts(2026, 7, 1, 12, 0)), dt);
  EXPECT_EQ(CanonicalValue(sent_dt, dt), CanonicalValue(Json("2026-07-01T15:30:00+05:30"), dt));

  const FieldSpec lookup = AccountLookup();
  const Json sent_lookup = *ToZoho(Value::Int64(1042), lookup);
  EXPECT_EQ(CanonicalValue(sent_lookup, lookup),
            CanonicalValue(Json(Json::Object{{"name", "Acme GmbH"}, {"id", "5725767000000412001"}}),
                           lookup));
}

TEST(ConvertTest, UnsupportedDataType) {
  const FieldSpec spec = Spec("subform", ValueType::kText, "lines", "Items");
  EXPECT_EQ(Message(ToZoho(Value::Text("x"), spec)),
            "mapping customers: column lines -> Items: Zoho data type \"subform\" is not "
            "supported");
  EXPECT_THAT(ToErp(Json(Json::Array{}), spec), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace zcrmsync::sync
