#pragma once

#include <nlohmann/json.hpp>

#include <mutex>
#include <optional>
#include <ostream>
#include <string_view>

namespace herd::runtime {

enum class LogLevel { debug, info, warn, error };
enum class LogFormat { json, text };

std::optional<LogLevel> parse_log_level(std::string_view text);
std::optional<LogFormat> parse_log_format(std::string_view text);

// Structured logs, one line per event: JSON (`{"ts":…,"level":…,"msg":…,<fields>}`) for log collectors, or
// text (`<ts> INFO msg key=value …`) for people. Thread-safe; lines never interleave. Callers pass only
// fields that are safe to store: never Secret values, tokens or user-supplied Helm values.
class Logger {
public:
  Logger(LogLevel level, LogFormat format, std::ostream& out);

  [[nodiscard]] bool enabled(LogLevel level) const { return level >= m_level; }
  void log(LogLevel level, std::string_view message, const nlohmann::json& fields = nlohmann::json::object());

  void debug(std::string_view message, const nlohmann::json& fields = nlohmann::json::object()) {
    log(LogLevel::debug, message, fields);
  }
  void info(std::string_view message, const nlohmann::json& fields = nlohmann::json::object()) {
    log(LogLevel::info, message, fields);
  }
  void warn(std::string_view message, const nlohmann::json& fields = nlohmann::json::object()) {
    log(LogLevel::warn, message, fields);
  }
  void error(std::string_view message, const nlohmann::json& fields = nlohmann::json::object()) {
    log(LogLevel::error, message, fields);
  }

private:
  LogLevel m_level;
  LogFormat m_format;
  std::ostream& m_out;
  std::mutex m_mutex;
};

} // namespace herd::runtime
