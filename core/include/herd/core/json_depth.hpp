#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <limits>
#include <string_view>

namespace herd::core {

// Nesting depth of the deepest array or object in a JSON text (the root container counts 1), found by a scan
// that builds nothing, so a body of a million `[` costs a pass rather than a tree. Brackets inside strings do
// not count; malformed text is left to the parser. The scan stops as soon as the depth passes `stop_above`.
std::size_t json_text_depth(std::string_view text,
                            std::size_t stop_above = std::numeric_limits<std::size_t>::max());

// The same for a parsed value, iteratively.
std::size_t json_depth(const nlohmann::json& value);

} // namespace herd::core
