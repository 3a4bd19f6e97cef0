#include "age.hpp"

#include <algorithm>
#include <ctime>
#include <optional>

namespace herd::plugin {

namespace {

// Reads an int as sscanf's "%<width>d" does (white space skipped, then a sign and digits, `width` characters
// at most) and moves `at` past it; false when no digit is there.
bool scan_int(std::string_view text, std::size_t& at, std::size_t width, int& value) {
  while (at < text.size() && std::string_view(" \t\n\v\f\r").find(text[at]) != std::string_view::npos) {
    ++at;
  }
  const std::size_t end = std::min(text.size(), at + width);
  const bool negative = at < end && text[at] == '-';
  if (at < end && (text[at] == '+' || text[at] == '-')) {
    ++at;
  }
  const std::size_t digits = at;
  int magnitude = 0;
  while (at < end && text[at] >= '0' && text[at] <= '9') {
    magnitude = magnitude * 10 + (text[at] - '0');
    ++at;
  }
  value = negative ? -magnitude : magnitude;
  return at > digits;
}

// Moves `at` past `expected` when it is there.
bool scan_char(std::string_view text, std::size_t& at, char expected) {
  if (at < text.size() && text[at] == expected) {
    ++at;
    return true;
  }
  return false;
}

// Seconds since the epoch of an RFC 3339 timestamp (fractions ignored, offsets honoured).
std::optional<std::time_t> parse_rfc3339(std::string_view value) {
  std::tm parts{};
  std::size_t at = 0;
  if (!(scan_int(value, at, 4, parts.tm_year) && scan_char(value, at, '-') &&
        scan_int(value, at, 2, parts.tm_mon) && scan_char(value, at, '-') &&
        scan_int(value, at, 2, parts.tm_mday) && scan_char(value, at, 'T') &&
        scan_int(value, at, 2, parts.tm_hour) && scan_char(value, at, ':') &&
        scan_int(value, at, 2, parts.tm_min) && scan_char(value, at, ':') &&
        scan_int(value, at, 2, parts.tm_sec))) {
    return std::nullopt;
  }
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  if (at < value.size() && value[at] == '.') {
    ++at;
    while (at < value.size() && value[at] >= '0' && value[at] <= '9') {
      ++at;
    }
  }
  long offset = 0;
  if (at < value.size() && (value[at] == '+' || value[at] == '-')) {
    std::size_t next = at + 1;
    int hours = 0;
    int minutes = 0;
    if (!(scan_int(value, next, 2, hours) && scan_char(value, next, ':') &&
          scan_int(value, next, 2, minutes))) {
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
  if (hours < 24LL * 8) {
    return two(hours / 24, "d", hours % 24, "h");
  }
  if (hours < 24LL * 365 * 2) {
    return text(hours / 24, "d");
  }
  if (hours < 24LL * 365 * 8) {
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
