#include "mappings/config_loader.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/pointer.h>
#include <rapidjson/schema.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "core/secrets.h"
#include "core/text.h"

namespace zcrmsync::mappings {
namespace internal {
std::string_view EmbeddedConfigSchema();  // generated from config.schema.json
}  // namespace internal

namespace {

using rapidjson::Document;
using rapidjson::Pointer;
using rapidjson::SchemaDocument;
using rapidjson::SchemaValidator;
using rapidjson::SizeType;
using rapidjson::Value;

// Zoho's limit on the fields of one list (or get-by-ids, or COQL) call.
constexpr size_t kMaxZohoFields = 50;

constexpr unsigned kParseFlags = rapidjson::kParseCommentsFlag |
                                 rapidjson::kParseTrailingCommasFlag |
                                 rapidjson::kParseValidateEncodingFlag;

// ---- JSON paths -------------------------------------------------------------

// One step into a JSON value: an object key or an array index.
struct PathElem {
  std::string key;
  std::optional<size_t> index;
};
using Path = std::vector<PathElem>;

Path Child(const Path& path, std::string_view key) {
  Path out = path;
  out.push_back({std::string(key), std::nullopt});
  return out;
}

Path Child(const Path& path, size_t index) {
  Path out = path;
  out.push_back({std::string(), index});
  return out;
}

bool IsPlainKey(std::string_view key) {
  if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// A string as a JSON literal, shortened to `max_chars` bytes.
std::string Quote(std::string_view text, size_t max_chars = 60) {
  std::string out = "\"";
  size_t n = 0;
  for (char c : text) {
    if (n++ >= max_chars) {
      out += "...";
      break;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\0':
        out += "\\u0000";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

// mappings[0].fields[2].direction; values["A B"]; "(top level)" for the root.
std::string FormatPath(const Path& path) {
  if (path.empty()) return "(top level)";
  std::string out;
  for (const PathElem& e : path) {
    if (e.index) {
      out += "[" + std::to_string(*e.index) + "]";
    } else if (IsPlainKey(e.key)) {
      if (!out.empty()) out += ".";
      out += e.key;
    } else {
      out += "[" + Quote(e.key, 1000) + "]";
    }
  }
  return out;
}

// Values that hold secrets: never echoed, whatever the error.
bool IsSecretPath(const Path& path) {
  const std::string p = FormatPath(path);
  return p == "zoho.client_secret" || p == "zoho.refresh_token" ||
         p == "database.connection_string";
}

bool IsPrefix(const Path& prefix, const Path& path) {
  if (prefix.size() > path.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (prefix[i].key != path[i].key || prefix[i].index != path[i].index) return false;
  }
  return true;
}

bool SamePath(const Path& a, const Path& b) { return a.size() == b.size() && IsPrefix(a, b); }

Value::MemberIterator FindKey(Value& object, std::string_view key) {
  return object.FindMember(Value(key.data(), static_cast<SizeType>(key.size())));
}

Value::ConstMemberIterator FindKey(const Value& object, std::string_view key) {
  return object.FindMember(Value(key.data(), static_cast<SizeType>(key.size())));
}

const Value* Member(const Value& object, std::string_view key) {
  if (!object.IsObject()) return nullptr;
  auto it = FindKey(object, key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

// The value at `path` (its first `depth` steps), or nullptr.
Value* Resolve(Value& root, const Path& path, size_t depth) {
  Value* v = &root;
  for (size_t i = 0; i < depth && v != nullptr; ++i) {
    const PathElem& e = path[i];
    if (e.index) {
      v = (v->IsArray() && *e.index < v->Size()) ? &(*v)[static_cast<SizeType>(*e.index)] : nullptr;
    } else if (v->IsObject()) {
      auto it = FindKey(*v, e.key);
      v = it == v->MemberEnd() ? nullptr : &it->value;
    } else {
      v = nullptr;
    }
  }
  return v;
}

Value* Resolve(Value& root, const Path& path) { return Resolve(root, path, path.size()); }

// A RapidJSON pointer into `root` as a Path (array steps become indices).
Path ToPath(const Pointer& pointer, const Value& root) {
  Path out;
  const Value* v = &root;
  for (size_t i = 0; i < pointer.GetTokenCount(); ++i) {
    const Pointer::Token& t = pointer.GetTokens()[i];
    if (v != nullptr && v->IsArray() && t.index != rapidjson::kPointerInvalidIndex) {
      out.push_back({std::string(), static_cast<size_t>(t.index)});
      v = t.index < v->Size() ? &(*v)[t.index] : nullptr;
    } else {
      std::string key(t.name, t.length);
      v = v != nullptr ? Member(*v, key) : nullptr;
      out.push_back({std::move(key), std::nullopt});
    }
  }
  return out;
}

std::string_view StringOf(const Value& v) {
  return std::string_view(v.GetString(), v.GetStringLength());
}

// ---- problems ---------------------------------------------------------------

class Problems {
 public:
  explicit Problems(std::string source) : source_(std::move(source)) {}

  void Add(const Path& path, std::string message) {
    lines_.push_back(source_ + ": " + FormatPath(path) + ": " + std::move(message));
  }
  void AddRaw(std::string line) { lines_.push_back(std::move(line)); }
  bool empty() const { return lines_.empty(); }
  size_t size() const { return lines_.size(); }

  // One line per problem; secret values (if known) are replaced by ***.
  Status ToStatus(const std::vector<std::string>& secrets) const {
    std::string message;
    for (const std::string& line : lines_) {
      if (!message.empty()) message += "\n";
      message += line;
    }
    return InvalidArgumentError(RedactSecrets(message, secrets));
  }

 private:
  std::string source_;
  std::vector<std::string> lines_;
};

// ---- the embedded schema ----------------------------------------------------

struct SchemaHolder {
  Document json;
  std::optional<SchemaDocument> schema;
};

const SchemaHolder* GetSchema() {
  static const SchemaHolder* const holder = []() -> const SchemaHolder* {
    auto* h = new SchemaHolder();  // intentionally leaked: lives for the process
    const std::string_view text = internal::EmbeddedConfigSchema();
    h->json.Parse<rapidjson::kParseDefaultFlags>(text.data(), text.size());
    if (h->json.HasParseError() || !h->json.IsObject()) return nullptr;
    h->schema.emplace(h->json);
    return h;
  }();
  return holder;
}

// Follows local "$ref": "#/..." links.
const Value* Deref(const Value* node, const Value& schema_root) {
  for (int hops = 0; node != nullptr && hops < 16; ++hops) {
    const Value* ref = Member(*node, "$ref");
    if (ref == nullptr || !ref->IsString()) return node;
    std::string_view target = StringOf(*ref);
    if (target.empty() || target[0] != '#') return node;
    target.remove_prefix(1);
    node = Pointer(target.data(), target.size()).Get(schema_root);
  }
  return node;
}

std::string TypeName(const Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a boolean";
  if (v.IsString()) return "a string";
  if (v.IsObject()) return "an object";
  if (v.IsArray()) return "an array";
  if (v.IsInt64() || v.IsUint64()) return "an integer";
  return "a number";
}

std::string SchemaTypeName(std::string_view type) {
  if (type == "object" || type == "array" || type == "integer") return "an " + std::string(type);
  if (type == "null") return "null";
  return "a " + std::string(type);
}

// A scalar as written ("abc", 12, true); objects and arrays by their type.
std::string Literal(const Value& v) {
  if (v.IsString()) return Quote(StringOf(v));
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  if (v.IsNull()) return "null";
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  if (v.IsNumber()) {
    std::ostringstream os;
    os << v.GetDouble();
    return os.str();
  }
  return TypeName(v);
}

std::string NumberText(const Value& v) { return v.IsNumber() ? Literal(v) : "?"; }

std::string JoinEnum(const Value& values, std::string_view separator = ", ") {
  std::string out;
  for (const Value& e : values.GetArray()) {
    if (!out.empty()) out += separator;
    out += e.IsString() ? std::string(StringOf(e)) : Literal(e);
  }
  return out;
}

std::vector<std::string> KeysOf(const Value* properties) {
  std::vector<std::string> keys;
  if (properties != nullptr && properties->IsObject()) {
    for (const auto& m : properties->GetObject()) keys.emplace_back(StringOf(m.name));
  }
  return keys;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string UnknownKeyMessage(std::string_view key, const std::vector<std::string>& allowed) {
  std::string message = "unknown key " + Quote(key);
  std::string best;
  size_t best_distance = 3;
  for (const std::string& k : allowed) {
    // A close spelling, or a truncated / extended form of a key.
    const bool affix =
        key.size() >= 4 && k.size() >= 4 && (k.starts_with(key) || key.starts_with(k));
    const size_t d = affix ? 1 : EditDistance(key, k);
    if (d < best_distance) {
      best_distance = d;
      best = k;
    }
  }
  if (!best.empty()) return message + "; did you mean " + Quote(best) + "?";
  std::string list;
  for (const std::string& k : allowed) list += (list.empty() ? "" : ", ") + k;
  return message + "; allowed keys: " + list;
}

// What a (dereferenced) schema node accepts, for "must be ..." messages.
std::string DescribeAccepted(const Value& node, const Value& schema_root) {
  if (const Value* e = Member(node, "enum"); e != nullptr && e->IsArray()) {
    std::string out;
    for (const Value& v : e->GetArray()) out += (out.empty() ? "" : ", ") + Literal(v);
    return out;
  }
  const Value* type = Member(node, "type");
  if (type != nullptr && type->IsString()) {
    std::string out = SchemaTypeName(StringOf(*type));
    if (StringOf(*type) == "object") {
      std::string keys;
      if (const Value* req = Member(node, "required"); req != nullptr && req->IsArray()) {
        for (const Value& k : req->GetArray()) keys += (keys.empty() ? "" : ", ") + Literal(k);
      }
      if (!keys.empty()) out += " with " + keys;
    }
    return out;
  }
  if (const Value* one_of = Member(node, "oneOf"); one_of != nullptr && one_of->IsArray()) {
    std::string out;
    for (const Value& alt : one_of->GetArray()) {
      const Value* a = Deref(&alt, schema_root);
      if (a != nullptr) out += (out.empty() ? "" : ", or ") + DescribeAccepted(*a, schema_root);
    }
    return out;
  }
  return "a value allowed by the config schema";
}

bool TypeMatches(const Value& v, std::string_view type) {
  if (type == "string") return v.IsString();
  if (type == "object") return v.IsObject();
  if (type == "array") return v.IsArray();
  if (type == "boolean") return v.IsBool();
  if (type == "integer") return v.IsInt64() || v.IsUint64();
  if (type == "number") return v.IsNumber();
  if (type == "null") return v.IsNull();
  return false;
}

// One schema violation as reported by RapidJSON (first error only).
struct SchemaError {
  std::string keyword;
  Path path;          // where in the config
  const Value* node;  // the failing schema node (dereferenced)
  const Value* root;  // the schema document `node` lives in
};

void DescribeSchemaError(const SchemaError& error, Value& doc_root, Problems& problems);

// Validates `value` against `node` alone; on failure returns the error with
// paths relative to `base`.
std::optional<SchemaError> ValidateAgainst(const Value& node, Value& value, const Path& base) {
  SchemaDocument sub(node);
  SchemaValidator validator(sub);
  if (value.Accept(validator)) return std::nullopt;
  Path rel = ToPath(validator.GetInvalidDocumentPointer(), value);
  Path full = base;
  full.insert(full.end(), rel.begin(), rel.end());
  return SchemaError{validator.GetInvalidSchemaKeyword(), std::move(full),
                     Deref(validator.GetInvalidSchemaPointer().Get(node), node), &node};
}

void DescribeSchemaError(const SchemaError& error, Value& doc_root, Problems& problems) {
  const std::string& kw = error.keyword;
  const Value& node = *error.node;
  const Path& path = error.path;
  const bool secret = IsSecretPath(path);
  Value* value = Resolve(doc_root, path);
  std::string hint;
  if (const Value* h = Member(node, "x-hint"); h != nullptr && h->IsString()) {
    hint = " (" + std::string(StringOf(*h)) + ")";
  }
  auto got = [&]() -> std::string {
    return (value == nullptr || secret) ? std::string() : "; got " + Literal(*value);
  };

  if (kw == "additionalProperties") {
    // The pointer names the first unknown key; report every unknown key of the object.
    Path object_path(path.begin(), path.end() - (path.empty() ? 0 : 1));
    Value* object = Resolve(doc_root, object_path);
    if (object == nullptr || !object->IsObject()) return;
    const std::vector<std::string> allowed = KeysOf(Member(node, "properties"));
    for (const auto& m : object->GetObject()) {
      const std::string key(StringOf(m.name));
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        problems.Add(object_path, UnknownKeyMessage(key, allowed));
      }
    }
  } else if (kw == "required") {
    const Value* req = Member(node, "required");
    if (req == nullptr || value == nullptr || !value->IsObject()) return;
    for (const Value& k : req->GetArray()) {
      if (Member(*value, StringOf(k)) == nullptr) {
        problems.Add(path, "required key " + Quote(StringOf(k)) + " is missing");
      }
    }
  } else if (kw == "type") {
    const Value* type = Member(node, "type");
    const Value* e = Member(node, "enum");
    std::string expected = (type != nullptr && type->IsString())
                               ? SchemaTypeName(StringOf(*type))
                               : DescribeAccepted(node, *error.root);
    if (e != nullptr && e->IsArray()) expected += " (one of: " + JoinEnum(*e) + ")";
    problems.Add(path, "must be " + expected + ", not " +
                           (value != nullptr ? TypeName(*value) : "this") + hint);
  } else if (kw == "enum") {
    const Value* e = Member(node, "enum");
    problems.Add(path, "must be one of: " + (e != nullptr ? JoinEnum(*e) : "?") + got());
  } else if (kw == "minLength") {
    const Value* n = Member(node, "minLength");
    if (n != nullptr && n->IsUint() && n->GetUint() <= 1) {
      problems.Add(path, "must not be empty" + hint);
    } else {
      problems.Add(path, "must be at least " + (n ? NumberText(*n) : "?") + " characters" + hint);
    }
  } else if (kw == "maxLength") {
    const Value* n = Member(node, "maxLength");
    problems.Add(path, "must be at most " + (n ? NumberText(*n) : "?") + " characters" + hint);
  } else if (kw == "pattern") {
    const Value* p = Member(node, "pattern");
    problems.Add(path, "must match " + (p ? Literal(*p) : "?") + hint + got());
  } else if (kw == "minimum" || kw == "maximum") {
    const Value* n = Member(node, kw);
    problems.Add(path, std::string(kw == "minimum" ? "must be at least " : "must be at most ") +
                           (n ? NumberText(*n) : "?") + hint + got());
  } else if (kw == "minItems") {
    const Value* n = Member(node, "minItems");
    if (n != nullptr && n->IsUint() && n->GetUint() == 1) {
      problems.Add(path, "must not be empty" + hint);
    } else {
      problems.Add(path, "must have at least " + (n ? NumberText(*n) : "?") + " items" + hint);
    }
  } else if (kw == "uniqueItems") {
    // RapidJSON points at the repeated item; report it on the array.
    Path array_path = path;
    std::string repeated;
    if (value != nullptr && !value->IsArray() && !array_path.empty()) {
      repeated = " " + Literal(*value);
      array_path.pop_back();
    }
    problems.Add(array_path,
                 "must not list" + (repeated.empty() ? " a value" : repeated) + " twice");
  } else if (kw == "oneOf") {
    // Pick the alternative of the value's type and report its precise error.
    const Value* one_of = Member(node, "oneOf");
    if (value != nullptr && one_of != nullptr && one_of->IsArray()) {
      for (const Value& alt_ref : one_of->GetArray()) {
        const Value* alt = Deref(&alt_ref, *error.root);
        const Value* type = alt != nullptr ? Member(*alt, "type") : nullptr;
        if (type == nullptr || !type->IsString() || !TypeMatches(*value, StringOf(*type))) {
          continue;
        }
        std::optional<SchemaError> sub = ValidateAgainst(*alt, *value, path);
        if (sub && sub->node != nullptr && sub->keyword != "oneOf") {
          DescribeSchemaError(*sub, doc_root, problems);
          return;
        }
      }
    }
    problems.Add(path, "must be " + DescribeAccepted(node, *error.root) + got());
  } else {
    problems.Add(path, "is not allowed by the config schema (keyword \"" + kw + "\")");
  }
}

// A value `node` accepts, to stand in for an invalid one so that validation
// can go on and find further problems. nullopt when none is easy to make.
// Never reaches a Config: the typed conversion only runs without problems.
std::optional<Value> Placeholder(const Value* node, const Value& schema_root,
                                 Document::AllocatorType& alloc, int depth = 0) {
  node = Deref(node, schema_root);
  if (node == nullptr || depth > 8) return std::nullopt;
  if (const Value* e = Member(*node, "enum"); e != nullptr && e->IsArray() && !e->Empty()) {
    return Value((*e)[0], alloc);
  }
  if (const Value* d = Member(*node, "default")) return Value(*d, alloc);
  if (const Value* x = Member(*node, "x-example")) return Value(*x, alloc);
  if (const Value* one_of = Member(*node, "oneOf"); one_of != nullptr && one_of->IsArray()) {
    if (one_of->Empty()) return std::nullopt;
    return Placeholder(&(*one_of)[0], schema_root, alloc, depth + 1);
  }
  const Value* type = Member(*node, "type");
  if (type == nullptr || !type->IsString()) return std::nullopt;
  const std::string_view t = StringOf(*type);
  if (t == "string") {
    if (Member(*node, "pattern") != nullptr) return std::nullopt;  // needs an x-example
    const Value* min = Member(*node, "minLength");
    const size_t n = (min != nullptr && min->IsUint()) ? std::max(1u, min->GetUint()) : 1u;
    const std::string text(n, 'x');
    return Value(text.data(), static_cast<SizeType>(text.size()), alloc);
  }
  if (t == "integer" || t == "number") {
    const Value* min = Member(*node, "minimum");
    return (min != nullptr && min->IsNumber()) ? Value(*min, alloc) : Value(1);
  }
  if (t == "boolean") return Value(false);
  if (t == "array") {
    Value out(rapidjson::kArrayType);
    const Value* min = Member(*node, "minItems");
    const SizeType n = (min != nullptr && min->IsUint()) ? min->GetUint() : 0;
    for (SizeType i = 0; i < n; ++i) {
      std::optional<Value> item =
          Placeholder(Member(*node, "items"), schema_root, alloc, depth + 1);
      if (!item) return std::nullopt;
      out.PushBack(*item, alloc);
    }
    return out;
  }
  if (t == "object") {
    Value out(rapidjson::kObjectType);
    const Value* req = Member(*node, "required");
    const Value* props = Member(*node, "properties");
    if (req != nullptr && req->IsArray()) {
      for (const Value& k : req->GetArray()) {
        const Value* prop =
            (props != nullptr && k.IsString()) ? Member(*props, StringOf(k)) : nullptr;
        std::optional<Value> v = Placeholder(prop, schema_root, alloc, depth + 1);
        if (!v) return std::nullopt;
        out.AddMember(Value(k, alloc), *v, alloc);
      }
    }
    return out;
  }
  return std::nullopt;
}

// Validates against the embedded schema, reporting as many problems as it
// safely can: RapidJSON stops at the first error, so after each one the
// offending value is replaced (or removed) and validation runs again.
// Errors at `suppressed` paths (already reported) are repaired silently.
void CheckSchema(Document& doc, const std::vector<Path>& suppressed, Problems& problems,
                 Status& internal_error) {
  const SchemaHolder* holder = GetSchema();
  if (holder == nullptr) {
    internal_error = InternalError("the embedded config schema does not parse");
    return;
  }
  std::vector<Path> removed;
  std::set<std::string> seen;
  for (int round = 0; round < 200; ++round) {
    SchemaValidator validator(*holder->schema);
    if (doc.Accept(validator)) return;
    SchemaError error{
        validator.GetInvalidSchemaKeyword(), ToPath(validator.GetInvalidDocumentPointer(), doc),
        Deref(validator.GetInvalidSchemaPointer().Get(holder->json), holder->json), &holder->json};
    if (error.node == nullptr) {
      problems.Add(error.path, "is not allowed by the config schema");
      return;
    }
    // After removing a value, errors on its ancestors are consequences: stop.
    for (const Path& r : removed) {
      if (IsPrefix(error.path, r)) return;
    }
    if (!seen.insert(FormatPath(error.path) + "\n" + error.keyword).second) return;

    const bool quiet = std::any_of(suppressed.begin(), suppressed.end(),
                                   [&](const Path& p) { return SamePath(p, error.path); });
    if (!quiet) DescribeSchemaError(error, doc, problems);

    auto& alloc = doc.GetAllocator();
    if (error.keyword == "additionalProperties") {
      if (error.path.empty()) return;
      Path object_path(error.path.begin(), error.path.end() - 1);
      Value* object = Resolve(doc, object_path);
      if (object == nullptr || !object->IsObject()) return;
      const std::vector<std::string> allowed = KeysOf(Member(*error.node, "properties"));
      for (auto it = object->MemberBegin(); it != object->MemberEnd();) {
        if (std::find(allowed.begin(), allowed.end(), StringOf(it->name)) == allowed.end()) {
          it = object->EraseMember(it);
        } else {
          ++it;
        }
      }
      continue;
    }
    if (const Value* item = Resolve(doc, error.path);
        error.keyword == "uniqueItems" && item != nullptr && !item->IsArray()) {
      error.path.pop_back();  // the repeated item -> its array (replaced below)
    }
    Value* value = Resolve(doc, error.path);
    if (value == nullptr) return;
    if (error.keyword == "required") {
      const Value* req = Member(*error.node, "required");
      const Value* props = Member(*error.node, "properties");
      if (req == nullptr || props == nullptr || !value->IsObject()) return;
      for (const Value& k : req->GetArray()) {
        if (Member(*value, StringOf(k)) != nullptr) continue;
        std::optional<Value> stand_in =
            Placeholder(Member(*props, StringOf(k)), *error.root, alloc);
        if (!stand_in) return;
        value->AddMember(Value(k, alloc), *stand_in, alloc);
      }
      continue;
    }
    std::optional<Value> stand_in = Placeholder(error.node, *error.root, alloc);
    if (stand_in) {
      *value = std::move(*stand_in);
      continue;
    }
    if (error.path.empty()) return;
    Value* parent = Resolve(doc, error.path, error.path.size() - 1);
    if (parent == nullptr || !parent->IsObject()) return;  // array items would shift
    auto member = FindKey(*parent, error.path.back().key);
    if (member == parent->MemberEnd()) return;
    parent->EraseMember(member);
    removed.push_back(error.path);
  }
}

// ---- parse-level checks -----------------------------------------------------

// RapidJSON keeps duplicate keys silently (FindMember returns the first).
void CheckDuplicateKeys(const Value& v, const Path& path, Problems& problems) {
  if (v.IsObject()) {
    std::set<std::string_view> keys;
    for (const auto& m : v.GetObject()) {
      if (!keys.insert(StringOf(m.name)).second) {
        problems.Add(path, "key " + Quote(StringOf(m.name)) + " appears more than once");
      }
      CheckDuplicateKeys(m.value, Child(path, StringOf(m.name)), problems);
    }
  } else if (v.IsArray()) {
    for (SizeType i = 0; i < v.Size(); ++i) CheckDuplicateKeys(v[i], Child(path, i), problems);
  }
}

// Expands ${NAME} in every string value; collects failures, leaving the text.
void ExpandStrings(Value& v, const Path& path, const EnvLookup& env, Document::AllocatorType& alloc,
                   Problems& problems, std::vector<Path>& failed) {
  if (v.IsObject()) {
    for (auto& m : v.GetObject()) {
      ExpandStrings(m.value, Child(path, StringOf(m.name)), env, alloc, problems, failed);
    }
  } else if (v.IsArray()) {
    for (SizeType i = 0; i < v.Size(); ++i) {
      ExpandStrings(v[i], Child(path, i), env, alloc, problems, failed);
    }
  } else if (v.IsString()) {
    const std::string_view text = StringOf(v);
    if (text.find('$') == std::string_view::npos) return;
    Result<std::string> expanded = ExpandEnv(text, env);
    if (!expanded) {
      const std::string& msg = expanded.error().message();
      // ExpandEnv quotes a malformed ${...}; inside a secret that could leak.
      const bool quotes_text = msg.find("invalid environment variable name") != std::string::npos;
      problems.Add(path, (IsSecretPath(path) && quotes_text)
                             ? "invalid ${...} reference (not shown: the value is secret); "
                               "write $$ for a literal $"
                             : msg + " (write $$ for a literal $)");
      failed.push_back(path);
      return;
    }
    v.SetString(expanded->data(), static_cast<SizeType>(expanded->size()), alloc);
  }
}

void CheckNoNul(const Value& v, const Path& path, Problems& problems) {
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      if (StringOf(m.name).find('\0') != std::string_view::npos) {
        problems.Add(path, "a key contains a NUL character");
      }
      CheckNoNul(m.value, Child(path, StringOf(m.name)), problems);
    }
  } else if (v.IsArray()) {
    for (SizeType i = 0; i < v.Size(); ++i) CheckNoNul(v[i], Child(path, i), problems);
  } else if (v.IsString() && StringOf(v).find('\0') != std::string_view::npos) {
    problems.Add(path, "must not contain a NUL character (\\u0000)");
  }
}

// ---- typed conversion (the schema has checked types) ---------------------------

std::string Str(const Value& object, std::string_view key, std::string fallback = "") {
  const Value* v = Member(object, key);
  return (v != nullptr && v->IsString()) ? std::string(StringOf(*v)) : fallback;
}

int Int(const Value& object, std::string_view key, int fallback) {
  const Value* v = Member(object, key);
  return (v != nullptr && v->IsInt()) ? v->GetInt() : fallback;
}

std::optional<std::string> OptStr(const Value& object, std::string_view key) {
  const Value* v = Member(object, key);
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return std::string(StringOf(*v));
}

std::vector<std::string> StrList(const Value& object, std::string_view key) {
  std::vector<std::string> out;
  const Value* v = Member(object, key);
  if (v != nullptr && v->IsArray()) {
    for (const Value& e : v->GetArray()) {
      if (e.IsString()) out.emplace_back(StringOf(e));
    }
  }
  return out;
}

template <typename E>
std::optional<E> OptEnum(const Value& object, std::string_view key,
                         Result<E> (*parse)(std::string_view)) {
  std::optional<std::string> s = OptStr(object, key);
  if (!s) return std::nullopt;
  Result<E> e = parse(*s);
  return e ? std::optional<E>(*e) : std::nullopt;
}

FieldMapping ToField(const Value& f) {
  FieldMapping out;
  out.column = Str(f, "column");
  out.field = Str(f, "field");
  out.direction = OptEnum<Direction>(f, "direction", &ParseDirection);
  out.conflict_rule = OptEnum<ConflictRule>(f, "conflict_rule", &ParseConflictRule);
  if (const Value* c = Member(f, "create_only"); c != nullptr && c->IsBool()) {
    out.create_only = c->GetBool();
  }
  if (const Value* values = Member(f, "values"); values != nullptr && values->IsObject()) {
    for (const auto& m : values->GetObject()) {
      if (!m.value.IsString()) continue;
      out.values.emplace(StringOf(m.name), StringOf(m.value));
      out.reverse_values.emplace(StringOf(m.value), StringOf(m.name));
    }
  }
  return out;
}

Mapping ToMapping(const Value& m) {
  Mapping out;
  out.name = Str(m, "name");
  out.table = Str(m, "table");
  out.module = Str(m, "module");
  out.key_columns = StrList(m, "key_columns");
  out.external_id_field = Str(m, "external_id_field");
  out.direction = OptEnum<Direction>(m, "direction", &ParseDirection).value_or(Direction::kBoth);
  out.conflict_rule = OptEnum<ConflictRule>(m, "conflict_rule", &ParseConflictRule);
  if (const Value* d = Member(m, "deletes")) {
    if (d->IsString()) {
      out.deletes.kind = ParseDeleteKind(StringOf(*d)).value_or(DeleteKind::kPropagate);
    } else if (d->IsObject()) {
      out.deletes.kind = DeleteKind::kSoftDelete;
      out.deletes.soft_delete_column = Str(*d, "soft_delete_column");
    }
  }
  if (const Value* mf = Member(m, "match_fields"); mf != nullptr && mf->IsArray()) {
    for (const Value& e : mf->GetArray()) {
      out.match_fields.push_back({Str(e, "column"), Str(e, "field")});
    }
  }
  if (Member(m, "zoho_triggers") != nullptr) out.zoho_triggers = StrList(m, "zoho_triggers");
  if (const Value* fields = Member(m, "fields"); fields != nullptr && fields->IsArray()) {
    for (const Value& f : fields->GetArray()) out.fields.push_back(ToField(f));
  }
  return out;
}

Config ToConfig(const Value& root, std::string_view source) {
  Config c;
  static const Value kEmpty(rapidjson::kObjectType);
  const Value* db = Member(root, "database");
  const Value* zoho = Member(root, "zoho");
  const Value* sync = Member(root, "sync");
  const Value* agent = Member(root, "agent");
  agent = agent != nullptr ? agent : &kEmpty;
  db = db != nullptr ? db : &kEmpty;
  zoho = zoho != nullptr ? zoho : &kEmpty;
  sync = sync != nullptr ? sync : &kEmpty;

  c.database.dialect = Str(*db, "dialect");
  c.database.connection_string = Str(*db, "connection_string");
  c.database.schema = Str(*db, "schema", c.database.schema);
  c.database.time_zone = Str(*db, "time_zone", c.database.time_zone);
  c.database.lock_timeout_seconds =
      Int(*db, "lock_timeout_seconds", c.database.lock_timeout_seconds);

  c.zoho.data_center = Str(*zoho, "data_center", c.zoho.data_center);
  c.zoho.api_base_url = OptStr(*zoho, "api_base_url");
  c.zoho.accounts_url = OptStr(*zoho, "accounts_url");
  c.zoho.proxy = OptStr(*zoho, "proxy");
  c.zoho.ca_file = OptStr(*zoho, "ca_file");
  c.zoho.client_id = Str(*zoho, "client_id");
  c.zoho.client_secret = Str(*zoho, "client_secret");
  c.zoho.refresh_token = Str(*zoho, "refresh_token");
  c.zoho.max_concurrency = Int(*zoho, "max_concurrency", c.zoho.max_concurrency);

  c.sync.interval_seconds = Int(*sync, "interval_seconds", c.sync.interval_seconds);
  c.sync.conflict_rule = OptEnum<ConflictRule>(*sync, "conflict_rule", &ParseConflictRule)
                             .value_or(c.sync.conflict_rule);
  c.sync.clock_skew_tolerance_seconds =
      Int(*sync, "clock_skew_tolerance_seconds", c.sync.clock_skew_tolerance_seconds);
  c.sync.push_batch_size = Int(*sync, "push_batch_size", c.sync.push_batch_size);

  c.agent.http_listen = OptStr(*agent, "http_listen");
  c.agent.lease_seconds = Int(*agent, "lease_seconds", c.agent.lease_seconds);

  if (const Value* maps = Member(root, "mappings"); maps != nullptr && maps->IsArray()) {
    for (const Value& m : maps->GetArray()) c.mappings.push_back(ToMapping(m));
  }
  c.source_path = std::string(source);
  return c;
}

// ---- semantic checks ----------------------------------------------------------

// Splits `table` into [schema.]name; reports what is wrong with it.
void SplitTable(Mapping& m, std::string_view dialect, const Path& path, Problems& problems) {
  const std::string& t = m.table;
  const size_t dots = static_cast<size_t>(std::count(t.begin(), t.end(), '.'));
  if (dots == 0) {
    m.table_name = t;
    return;
  }
  if (dots > 1) {
    problems.Add(path, "must be \"table\" or \"schema.table\" (at most one dot); got " + Quote(t));
    return;
  }
  if (!DialectHasSchemas(dialect)) {
    problems.Add(path, "sqlite has no schemas, so write the plain table name; a dotted name " +
                           Quote(t) +
                           " would name a table in an attached database, which the capture "
                           "triggers (kept in the main database) cannot reach");
    return;
  }
  const size_t dot = t.find('.');
  if (dot == 0 || dot + 1 == t.size()) {
    problems.Add(path,
                 "the schema and the table name around the dot must not be empty; got " + Quote(t));
    return;
  }
  m.table_schema = t.substr(0, dot);
  m.table_name = t.substr(dot + 1);
}

void CheckMapping(Mapping& m, const Config& c, const Path& path, Problems& problems) {
  SplitTable(m, c.database.dialect, Child(path, "table"), problems);

  std::set<std::string> keys;
  for (size_t i = 0; i < m.key_columns.size(); ++i) {
    if (!keys.insert(m.key_columns[i]).second) {
      problems.Add(Child(Child(path, "key_columns"), i),
                   "key column " + Quote(m.key_columns[i]) + " is listed twice");
    }
  }

  std::map<std::string, size_t> columns;
  std::map<std::string, size_t> fields;
  const Path fields_path = Child(path, "fields");
  for (size_t i = 0; i < m.fields.size(); ++i) {
    const FieldMapping& f = m.fields[i];
    const Path fp = Child(fields_path, i);
    if (auto [it, fresh] = columns.emplace(f.column, i); !fresh) {
      problems.Add(Child(fp, "column"), "column " + Quote(f.column) + " is already mapped by " +
                                            FormatPath(Child(fields_path, it->second)));
    }
    if (auto [it, fresh] = fields.emplace(f.field, i); !fresh) {
      problems.Add(Child(fp, "field"), "Zoho field " + Quote(f.field) + " is already mapped by " +
                                           FormatPath(Child(fields_path, it->second)));
    }
    if (f.field == m.external_id_field) {
      problems.Add(Child(fp, "field"),
                   "Zoho field " + Quote(f.field) +
                       " is the mapping's external_id_field, which the agent fills with the "
                       "ERP key itself; do not map it as a field");
    }
    const Direction dir = EffectiveDirection(m, f);
    if (f.direction && m.direction != Direction::kBoth && *f.direction != m.direction) {
      problems.Add(Child(fp, "direction"), "is " + Quote(DirectionName(*f.direction)) +
                                               " but the mapping's direction is " +
                                               Quote(DirectionName(m.direction)) +
                                               "; a field can only narrow the mapping's direction");
    }
    if (keys.contains(f.column) && FlowsCrmToErp(dir) && !f.create_only) {
      problems.Add(fp, "key column " + Quote(f.column) + " flows " +
                           std::string(DirectionName(dir)) +
                           ", which would let the CRM change the ERP key of an existing row; set "
                           "\"direction\": \"erp_to_crm\", or \"create_only\": true to use the "
                           "CRM value only when a CRM record creates a new row");
    }
    if (f.create_only && !FlowsCrmToErp(dir)) {
      problems.Add(Child(fp, "create_only"),
                   "only applies to fields that flow from the CRM to the ERP; this one flows " +
                       std::string(DirectionName(dir)));
    }
    if (f.values.size() != f.reverse_values.size()) {
      // Name every Zoho value that two ERP values map to.
      std::map<std::string, std::vector<std::string>> by_zoho;
      for (const auto& [erp, zoho] : f.values) by_zoho[zoho].push_back(erp);
      for (const auto& [zoho, erps] : by_zoho) {
        if (erps.size() < 2) continue;
        std::string list;
        for (const std::string& e : erps) list += (list.empty() ? "" : ", ") + Quote(e);
        problems.Add(Child(fp, "values"),
                     "ERP values " + list + " all map to " + Quote(zoho) +
                         "; the map must be one-to-one, because writing CRM values back to the "
                         "ERP needs its reverse");
      }
    }
  }

  const Path match_path = Child(path, "match_fields");
  for (size_t i = 0; i < m.match_fields.size(); ++i) {
    const MatchField& mf = m.match_fields[i];
    const FieldMapping* f = FindFieldByColumn(m, mf.column);
    if (f == nullptr || f->field != mf.field) {
      problems.Add(Child(match_path, i), "column " + Quote(mf.column) + " and Zoho field " +
                                             Quote(mf.field) +
                                             " must also be mapped to each other in \"fields\"");
    }
  }

  if (m.deletes.kind == DeleteKind::kSoftDelete && keys.contains(m.deletes.soft_delete_column)) {
    problems.Add(
        Child(Child(path, "deletes"), "soft_delete_column"),
        Quote(m.deletes.soft_delete_column) + " is a key column; use a separate flag column");
  }

  // Zoho lists at most 50 fields a call. The pull (and the push's 412
  // reconcile) asks for Modified_Time, Created_Time, the external id field
  // and every mapped field, each once.
  std::set<std::string> asked = {"Modified_Time", "Created_Time", m.external_id_field};
  for (const FieldMapping& f : m.fields) asked.insert(f.field);
  if (asked.size() > kMaxZohoFields) {
    problems.Add(fields_path,
                 "the agent would ask Zoho for " + std::to_string(asked.size()) +
                     " fields of module " + Quote(m.module) +
                     " (Modified_Time, Created_Time, the external_id_field and the " +
                     std::to_string(m.fields.size()) +
                     " mapped fields), but Zoho returns at most " + std::to_string(kMaxZohoFields) +
                     " fields per list call, so every sync cycle would fail; map at most " +
                     std::to_string(kMaxZohoFields - (asked.size() - fields.size())) +
                     " fields in one mapping");
  }
}

// Two mappings on one Zoho module see each other's records. Only ERP -> CRM
// mappings never read the module (no pull), and upsert and delete only
// through their own external id field and links; match_fields would link a
// row to a record the other mapping made.
void CheckSharedModules(const Config& c, Problems& problems) {
  const Path mappings_path{{"mappings", std::nullopt}};
  for (size_t j = 0; j < c.mappings.size(); ++j) {
    const Mapping& b = c.mappings[j];
    for (size_t i = 0; i < j; ++i) {
      const Mapping& a = c.mappings[i];
      if (AsciiLower(a.module) != AsciiLower(b.module)) continue;
      const std::string both = "mappings " + Quote(a.name) + " (" +
                               FormatPath(Child(mappings_path, i)) + ") and " + Quote(b.name) +
                               " both map Zoho module " + Quote(b.module);
      const Mapping* pulls = FlowsCrmToErp(a.direction)   ? &a
                             : FlowsCrmToErp(b.direction) ? &b
                                                          : nullptr;
      std::string why;
      if (pulls != nullptr) {
        const Mapping& other = pulls == &a ? b : a;
        why = "mapping " + Quote(pulls->name) + " has direction " +
              Quote(DirectionName(pulls->direction)) + ", so its pull would take " +
              Quote(other.name) + "'s records for its own (creating, changing and deleting " +
              "its rows from them)";
      } else if (AsciiLower(a.external_id_field) == AsciiLower(b.external_id_field)) {
        why = "both write their ERP keys to external_id_field " + Quote(b.external_id_field) +
              ", so equal keys in the two tables would upsert the same record";
      } else if (!a.match_fields.empty() || !b.match_fields.empty()) {
        why = "mapping " + Quote(a.match_fields.empty() ? b.name : a.name) +
              " has match_fields, which could link its rows to records the other mapping created";
      } else {
        continue;
      }
      problems.Add(Child(Child(mappings_path, j), "module"),
                   both + ": " + why +
                       ". Several mappings may feed one module only when each is erp_to_crm, "
                       "with its own external_id_field and no match_fields");
    }
  }
}

void CheckConfig(Config& c, Problems& problems) {
  if (c.agent.http_listen) {
    // The schema checked the form; the port's range is checked here.
    const std::string& listen = *c.agent.http_listen;
    const std::string port = listen.substr(listen.rfind(':') + 1);
    if (std::stol(port) > 65535) {
      problems.Add(Child(Child(Path{}, "agent"), "http_listen"),
                   "port " + port + " is out of range (0 to 65535; 0 picks a free port)");
    }
  }
  std::map<std::string, size_t> names;
  std::map<std::string, size_t> tables;
  for (size_t i = 0; i < c.mappings.size(); ++i) {
    const Path path = Child(Path{{"mappings", std::nullopt}}, i);
    Mapping& m = c.mappings[i];
    if (auto [it, fresh] = names.emplace(m.name, i); !fresh) {
      problems.Add(Child(path, "name"),
                   "mapping name " + Quote(m.name) + " is already used by " +
                       FormatPath(Child(Path{{"mappings", std::nullopt}}, it->second)));
    }
    if (auto [it, fresh] = tables.emplace(m.table, i); !fresh) {
      problems.Add(Child(path, "table"),
                   "table " + Quote(m.table) + " is already mapped by " +
                       FormatPath(Child(Path{{"mappings", std::nullopt}}, it->second)) +
                       "; map each table once (one table may feed one module)");
    }
    CheckMapping(m, c, path, problems);
  }
  CheckSharedModules(c, problems);
}

std::vector<std::string> SecretsOf(const Value& root) {
  std::vector<std::string> secrets;
  auto add = [&](std::string s) {
    if (s.size() >= 4) secrets.push_back(std::move(s));  // shorter ones would mangle messages
  };
  if (const Value* zoho = Member(root, "zoho")) {
    add(Str(*zoho, "client_secret"));
    add(Str(*zoho, "refresh_token"));
  }
  if (const Value* db = Member(root, "database")) {
    for (std::string& s : ConnectionStringSecrets(Str(*db, "connection_string"))) add(std::move(s));
  }
  return secrets;
}

// 1-based line and column (in code points) of a byte offset.
std::pair<size_t, size_t> LineColumn(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1;
  size_t column = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return {line, column};
}

}  // namespace

std::string_view ConfigJsonSchema() { return internal::EmbeddedConfigSchema(); }

Result<Config> ParseConfig(std::string_view json_text, std::string_view source_name,
                           const EnvLookup& env) {
  const std::string source(source_name);
  if (json_text.starts_with("\xEF\xBB\xBF")) json_text.remove_prefix(3);  // UTF-8 BOM

  Document doc;
  doc.Parse<kParseFlags>(json_text.data(), json_text.size());
  if (doc.HasParseError()) {
    const auto [line, column] = LineColumn(json_text, doc.GetErrorOffset());
    return Error(InvalidArgumentError(
        source + ":" + std::to_string(line) + ":" + std::to_string(column) +
        ": invalid JSON: " + rapidjson::GetParseError_En(doc.GetParseError())));
  }

  Problems problems(source);
  CheckDuplicateKeys(doc, {}, problems);
  std::vector<Path> failed_expansions;
  ExpandStrings(doc, {}, env, doc.GetAllocator(), problems, failed_expansions);
  const std::vector<std::string> secrets = SecretsOf(doc);
  CheckNoNul(doc, {}, problems);

  Status internal_error;
  CheckSchema(doc, failed_expansions, problems, internal_error);
  if (!internal_error.ok()) return Error(internal_error);
  if (!problems.empty()) return Error(problems.ToStatus(secrets));

  Config config = ToConfig(doc, source);
  CheckConfig(config, problems);
  if (!problems.empty()) return Error(problems.ToStatus(secrets));
  return config;
}

Result<Config> LoadConfigFile(const std::string& path, const EnvLookup& env) {
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) {
    return Error(NotFoundError("config file not found: " + path));
  }
  if (std::filesystem::is_directory(st)) {
    return Error(InvalidArgumentError("config file " + path + " is a directory"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(PermissionDeniedError("cannot open config file " + path));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Error(UnavailableError("cannot read config file " + path));
  return ParseConfig(text, path, env);
}

}  // namespace zcrmsync::mappings
