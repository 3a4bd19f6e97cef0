#pragma once

#include <optional>
#include <string_view>

namespace herd::core {

// Go's longest duration (int64 nanoseconds), in seconds: 2562047h47m16.854775807s.
inline constexpr double k_max_go_duration_seconds = 9223372036.854775807;

// Parses a Go duration ("90s", "15m", "1h30m", "1.5h", "500ms", "0") into seconds. nullopt when `text` is not
// one (signs are refused: a negative timeout makes no sense here) or, with `check_range`, when it is longer
// than Go can represent (the Fleet agent would fail on it).
std::optional<double> parse_go_duration(std::string_view text, bool check_range = true);

} // namespace herd::core
