#pragma once

#include <optional>
#include <string_view>

namespace herd::core {

// Parses a Go duration ("90s", "15m", "1h30m", "1.5h", "500ms", "0") into seconds. nullopt when `text` is not
// one (signs are refused: a negative timeout makes no sense here).
std::optional<double> parse_go_duration(std::string_view text);

} // namespace herd::core
