#pragma once

#include <array>
#include <chrono>
#include <ctime>
#include <string>

namespace herd::testing {

// An RFC 3339 timestamp (as the API server writes creationTimestamp) `age` before now.
inline std::string ago(std::chrono::seconds age) {
  const std::time_t at = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() - age);
  std::tm parts{};
  gmtime_r(&at, &parts);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text.data();
}

} // namespace herd::testing
