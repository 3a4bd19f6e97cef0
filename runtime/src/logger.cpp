#include <herd/runtime/logger.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace herd::runtime {

using nlohmann::json;

namespace {

constexpr std::array k_level_names = {"debug", "info", "warn", "error"};

// RFC 3339 UTC with milliseconds, the form Kubernetes components log.
std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 32> buffer{};
  const std::size_t length = std::strftime(buffer.data(), buffer.size(), "%Y-%m-%dT%H:%M:%S", &utc);
  std::array<char, 8> fraction{};
  // The result is not needed: ".-999Z" at worst fits.
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): zero padding, and GCC 12 has no <format>
  (void)std::snprintf(fraction.data(), fraction.size(), ".%03dZ", static_cast<int>(millis));
  return std::string(buffer.data(), length) + fraction.data();
}

std::string text_value(const json& value) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (!text.empty() && text.find_first_of(" \"=\n") == std::string::npos) {
      return text;
    }
  }
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace

std::optional<LogLevel> parse_log_level(std::string_view text) {
  for (std::size_t i = 0; i < k_level_names.size(); ++i) {
    if (text == k_level_names[i]) {
      return static_cast<LogLevel>(i);
    }
  }
  return std::nullopt;
}

std::optional<LogFormat> parse_log_format(std::string_view text) {
  if (text == "json") {
    return LogFormat::json;
  }
  if (text == "text") {
    return LogFormat::text;
  }
  return std::nullopt;
}

Logger::Logger(LogLevel level, LogFormat format, std::ostream& out)
    : m_level(level), m_format(format), m_out(out) {}

void Logger::log(LogLevel level, std::string_view message, const json& fields) {
  if (!enabled(level)) {
    return;
  }
  const char* level_name = k_level_names[static_cast<std::size_t>(level)];
  std::string line;
  if (m_format == LogFormat::json) {
    nlohmann::ordered_json record = nlohmann::ordered_json::object(); // ts, level, msg first
    record["ts"] = timestamp();
    record["level"] = level_name;
    record["msg"] = message;
    if (fields.is_object()) {
      for (const auto& [key, value] : fields.items()) {
        record[key] = value;
      }
    }
    line = record.dump(-1, ' ', false, json::error_handler_t::replace);
  } else {
    line = timestamp() + " " + level_name + " " + std::string(message);
    if (fields.is_object()) {
      for (const auto& [key, value] : fields.items()) {
        line += " " + key + "=" + text_value(value);
      }
    }
  }
  line += '\n';
  const std::lock_guard lock(m_mutex);
  m_out << line << std::flush;
}

} // namespace herd::runtime
