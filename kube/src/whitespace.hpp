#pragma once

#include <string>
#include <string_view>

namespace herd::kube {

// `text` without leading and trailing ASCII whitespace (Go's strings.TrimSpace for ASCII), as client-go
// reads tokens and the namespace from files.
inline std::string trim_whitespace(std::string_view text) {
  const auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  while (!text.empty() && space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && space(text.back())) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

} // namespace herd::kube
