#include <herd/core/go_duration.hpp>

#include <array>
#include <string>
#include <utility>

namespace herd::core {

std::optional<double> parse_go_duration(std::string_view text, bool check_range) {
  if (text == "0") {
    return 0.0;
  }
  if (text.empty()) {
    return std::nullopt;
  }
  // Longest unit names first, so "ms" is not read as "m" followed by garbage.
  static constexpr std::array<std::pair<std::string_view, double>, 8> units = {{{"ns", 1e-9},
                                                                                {"us", 1e-6},
                                                                                {"\xC2\xB5s", 1e-6},
                                                                                {"\xCE\xBCs", 1e-6},
                                                                                {"ms", 1e-3},
                                                                                {"s", 1.0},
                                                                                {"m", 60.0},
                                                                                {"h", 3600.0}}};
  double total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) {
      ++i;
    }
    const std::string number(text.substr(start, i - start));
    if (number.empty() || number == "." || number.find('.') != number.rfind('.')) {
      return std::nullopt;
    }
    double value = 0;
    try {
      value = std::stod(number);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    bool matched = false;
    for (const auto& [unit, scale] : units) {
      if (text.substr(i, unit.size()) == unit) {
        // "m" must not swallow the "m" of "ms".
        if (unit == "m" && text.substr(i, 2) == "ms") {
          continue;
        }
        total += value * scale;
        i += unit.size();
        matched = true;
        break;
      }
    }
    if (!matched) {
      return std::nullopt;
    }
  }
  if (check_range && total > k_max_go_duration_seconds) {
    return std::nullopt;
  }
  return total;
}

} // namespace herd::core
