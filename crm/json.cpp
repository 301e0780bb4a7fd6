#include "crm/json.h"

#include <charconv>
#include <cmath>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace zcrmsync::crm {
namespace {

JsonValue FromRapid(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return JsonValue();
    case rapidjson::kFalseType:
      return JsonValue(false);
    case rapidjson::kTrueType:
      return JsonValue(true);
    case rapidjson::kNumberType:
      if (v.IsInt64()) return JsonValue(static_cast<int64_t>(v.GetInt64()));
      return JsonValue(v.GetDouble());
    case rapidjson::kStringType:
      return JsonValue(std::string(v.GetString(), v.GetStringLength()));
    case rapidjson::kArrayType: {
      JsonValue::Array out;
      out.reserve(v.Size());
      for (const auto& item : v.GetArray()) out.push_back(FromRapid(item));
      return JsonValue(std::move(out));
    }
    case rapidjson::kObjectType: {
      JsonValue::Object out;
      for (const auto& m : v.GetObject()) {
        out.insert_or_assign(std::string(m.name.GetString(), m.name.GetStringLength()),
                             FromRapid(m.value));
      }
      return JsonValue(std::move(out));
    }
  }
  return JsonValue();
}

void Write(const JsonValue& v, rapidjson::Writer<rapidjson::StringBuffer>& w) {
  switch (v.kind()) {
    case JsonValue::Kind::kNull:
      w.Null();
      break;
    case JsonValue::Kind::kBool:
      w.Bool(v.as_bool());
      break;
    case JsonValue::Kind::kInt:
      w.Int64(v.as_int());
      break;
    case JsonValue::Kind::kDouble: {
      // RapidJSON's Grisu output can add digits (7972986220.42205 ->
      // ...4220509); std::to_chars writes the shortest text that reads back
      // as the same double. Non-finite values have no JSON form.
      const double d = v.as_double();
      if (!std::isfinite(d)) {
        w.Null();
        break;
      }
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
      std::string text(buf, ec == std::errc() ? end : buf);
      if (text.find_first_of(".eEn") == std::string::npos) text += ".0";  // stays a double
      w.RawValue(text.data(), text.size(), rapidjson::kNumberType);
      break;
    }
    case JsonValue::Kind::kString:
      w.String(v.as_string().data(), static_cast<rapidjson::SizeType>(v.as_string().size()));
      break;
    case JsonValue::Kind::kArray:
      w.StartArray();
      for (const JsonValue& item : v.as_array()) Write(item, w);
      w.EndArray();
      break;
    case JsonValue::Kind::kObject:
      w.StartObject();
      for (const auto& [k, item] : v.as_object()) {
        w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
        Write(item, w);
      }
      w.EndObject();
      break;
  }
}

}  // namespace

const JsonValue* JsonValue::Find(std::string_view key) const {
  if (!is_object()) return nullptr;
  const Object& o = as_object();
  auto it = o.find(std::string(key));
  return it == o.end() ? nullptr : &it->second;
}

std::string JsonValue::GetString(std::string_view key) const {
  const JsonValue* v = Find(key);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

Result<JsonValue> ParseJson(std::string_view text) {
  rapidjson::Document d;
  // Full precision: the default parser may be off by an ulp on long decimals.
  d.Parse<rapidjson::kParseNanAndInfFlag | rapidjson::kParseFullPrecisionFlag>(text.data(),
                                                                                 text.size());
  if (d.HasParseError()) {
    return Error(InvalidArgumentError(std::string("not JSON: ") +
                                      rapidjson::GetParseError_En(d.GetParseError()) +
                                      " at offset " + std::to_string(d.GetErrorOffset())));
  }
  return FromRapid(d);
}

std::string ToJson(const JsonValue& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  Write(value, writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace zcrmsync::crm
