#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace herd::kube {

// Reading an API object's metadata as it comes off the wire, where any field may be missing or of the wrong
// type: these return "" (or {}) then, never throw.

// metadata.<field> when it is a string: name, namespace, uid, resourceVersion, deletionTimestamp, ...
std::string metadata_string(const nlohmann::json& object, std::string_view field);
// metadata.labels.<key> when it is a string.
std::string label(const nlohmann::json& object, std::string_view key);
// metadata.annotations.<key> when it is a string.
std::string annotation(const nlohmann::json& object, std::string_view key);
// metadata.labels (an empty object when there are none).
nlohmann::json labels(const nlohmann::json& object);

} // namespace herd::kube
