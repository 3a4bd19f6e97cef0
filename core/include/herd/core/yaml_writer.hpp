#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace herd::core {

// Block-style YAML of `value`, deterministic (object keys in order), with every string that YAML 1.1 would
// read as something else ("true", "yes", "1.10", "null", "") quoted, so kubectl reads back exactly `value`.
// `value` comes from Herd's loaders, which cap nesting depth.
std::string to_yaml(const nlohmann::json& value);

} // namespace herd::core
