#pragma once

#include <array>
#include <chrono>
#include <ctime>
#include <stdexcept>
#include <string>

namespace herd::testing {

// An RFC 3339 timestamp (as the API server writes creationTimestamp) `age` before now.
inline std::string ago(std::chrono::seconds age) {
  const std::time_t at = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() - age);
  std::tm parts{};
  gmtime_r(&at, &parts);
  std::array<char, 32> text{};
  if (std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &parts) == 0) {
    throw std::runtime_error("the timestamp does not fit its buffer");
  }
  return text.data();
}

} // namespace herd::testing
