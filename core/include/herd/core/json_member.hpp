#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace herd::core {

// Reading JSON whose shape is not guaranteed (an API object off the wire, a document before or despite
// schema validation): a missing key or a value of the wrong type reads as absent, never throws.

// object[key], or null when `object` is not an object or has no `key`.
inline const nlohmann::json& member(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json absent;
  if (!object.is_object()) {
    return absent;
  }
  const auto found = object.find(key);
  return found == object.end() ? absent : *found;
}

// object[key] when it is a string, else `fallback`.
inline std::string
string_member(const nlohmann::json& object, std::string_view key, std::string fallback = {}) {
  const nlohmann::json& value = member(object, key);
  return value.is_string() ? value.get<std::string>() : std::move(fallback);
}

// object[key] when it is a string, else `fallback`, without a copy: the result refers into `object` or is
// `fallback` itself, so it lives as long as they do.
inline const std::string&
string_member_ref(const nlohmann::json& object, std::string_view key, const std::string& fallback) {
  const nlohmann::json& value = member(object, key);
  return value.is_string() ? value.get_ref<const std::string&>() : fallback;
}

} // namespace herd::core
