#pragma once

#include <regex>
#include <string>
#include <string_view>

namespace herd::core {

// A JSON Schema "pattern" (an ECMAScript regex, matched anywhere in the string as valijson does with
// std::regex_search), compiled for the check the schema validator runs on every string of every document.
//
// The patterns of Herd's own Stack schema (DNS labels and subdomains, repository URLs, chart names, exact
// semver versions, Go durations) get hand-written matchers that accept exactly the same strings: libstdc++'s
// std::regex took a tenth of the webhook's validation time and recurses once per character. Any other
// pattern falls back to std::regex, with valijson's semantics.
class StringPattern {
public:
  explicit StringPattern(const std::string& pattern);

  [[nodiscard]] bool matches(std::string_view text) const;
  // Whether a hand-written matcher serves this pattern (no std::regex).
  [[nodiscard]] bool is_native() const { return m_native != nullptr; }
  [[nodiscard]] const std::string& pattern() const { return m_pattern; }

private:
  using Matcher = bool (*)(std::string_view);
  std::string m_pattern;
  Matcher m_native = nullptr;
  std::regex m_regex; // only when m_native is null
};

} // namespace herd::core
