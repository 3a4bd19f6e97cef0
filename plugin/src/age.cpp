#include "age.hpp"

#include <cstdio>
#include <ctime>
#include <optional>

namespace herd::plugin {

namespace {

// Seconds since the epoch of an RFC 3339 timestamp (fractions ignored, offsets honoured).
std::optional<std::time_t> parse_rfc3339(std::string_view text) {
  const std::string value(text);
  std::tm parts{};
  int consumed = 0;
  // NOLINTNEXTLINE(cert-err34-c): the field count and the consumed length are both checked
  if (std::sscanf(value.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &parts.tm_year, &parts.tm_mon, &parts.tm_mday,
                  &parts.tm_hour, &parts.tm_min, &parts.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  std::size_t at = static_cast<std::size_t>(consumed);
  if (at < value.size() && value[at] == '.') {
    ++at;
    while (at < value.size() && value[at] >= '0' && value[at] <= '9') {
      ++at;
    }
  }
  long offset = 0;
  if (at < value.size() && (value[at] == '+' || value[at] == '-')) {
    int hours = 0;
    int minutes = 0;
    if (std::sscanf(value.c_str() + at + 1, "%2d:%2d", &hours, &minutes) != 2) { // NOLINT(cert-err34-c)
      return std::nullopt;
    }
    offset = (value[at] == '-' ? -1L : 1L) * (hours * 3600L + minutes * 60L);
  } else if (at >= value.size() || (value[at] != 'Z' && value[at] != 'z')) {
    return std::nullopt;
  }
  return timegm(&parts) - offset;
}

} // namespace

std::string human_duration(std::chrono::seconds age) {
  const long long seconds = age.count();
  const auto text = [](long long value, const char* unit) { return std::to_string(value) + unit; };
  const auto two = [&](long long first, const char* first_unit, long long second, const char* second_unit) {
    return second == 0 ? text(first, first_unit) : text(first, first_unit) + text(second, second_unit);
  };
  if (seconds < -1) {
    return "<invalid>";
  }
  if (seconds < 0) {
    return "0s";
  }
  if (seconds < 120) {
    return text(seconds, "s");
  }
  const long long minutes = seconds / 60;
  if (minutes < 10) {
    return two(minutes, "m", seconds % 60, "s");
  }
  if (minutes < 180) {
    return text(minutes, "m");
  }
  const long long hours = seconds / 3600;
  if (hours < 8) {
    return two(hours, "h", minutes % 60, "m");
  }
  if (hours < 48) {
    return text(hours, "h");
  }
  if (hours < 24 * 8) {
    return two(hours / 24, "d", hours % 24, "h");
  }
  if (hours < 24 * 365 * 2) {
    return text(hours / 24, "d");
  }
  if (hours < 24 * 365 * 8) {
    return two(hours / 24 / 365, "y", (hours / 24) % 365, "d");
  }
  return text(hours / 24 / 365, "y");
}

std::string age_since(std::string_view timestamp, std::chrono::system_clock::time_point now) {
  const std::optional<std::time_t> created = parse_rfc3339(timestamp);
  if (!created) {
    return "<unknown>";
  }
  const auto age =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() - *created;
  return human_duration(std::chrono::seconds(age));
}

} // namespace herd::plugin
