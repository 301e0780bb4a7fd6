// Private RapidJSON helpers for the emulator's .cpp files. Not part of the
// library's public interface: no public emulator header includes it.
#pragma once

#ifndef RAPIDJSON_HAS_STDSTRING
#define RAPIDJSON_HAS_STDSTRING 1
#endif

#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace zcrmsync::emulator::internal {

using Doc = rapidjson::Document;
using Val = rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

inline Val Str(std::string_view s, Alloc& a) {
  return Val(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

inline void Add(Val& obj, std::string_view key, Val&& v, Alloc& a) {
  obj.AddMember(Str(key, a), v, a);
}
inline void AddStr(Val& obj, std::string_view key, std::string_view v, Alloc& a) {
  obj.AddMember(Str(key, a), Str(v, a), a);
}
inline void AddInt(Val& obj, std::string_view key, int64_t v, Alloc& a) {
  obj.AddMember(Str(key, a), Val(static_cast<int64_t>(v)), a);
}
inline void AddBool(Val& obj, std::string_view key, bool v, Alloc& a) {
  obj.AddMember(Str(key, a), Val(v), a);
}
inline void AddNull(Val& obj, std::string_view key, Alloc& a) {
  obj.AddMember(Str(key, a), Val(rapidjson::kNullType), a);
}

inline std::string ToJson(const Val& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace zcrmsync::emulator::internal
