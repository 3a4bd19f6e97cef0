#include "string_pattern.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace herd::core {

namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
// \s of std::regex in the "C" locale.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
bool dns_label(std::string_view text) {
  if (text.empty() || !is_lower_alnum(text.front()) || !is_lower_alnum(text.back())) {
    return false;
  }
  return std::ranges::all_of(text, [](char c) { return is_lower_alnum(c) || c == '-'; });
}

// ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
bool dns_subdomain(std::string_view text) {
  while (true) {
    const std::size_t dot = text.find('.');
    if (!dns_label(text.substr(0, dot))) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    text.remove_prefix(dot + 1);
  }
}

// ^(https|oci|http)://[^\s/]+(/[^\s]*)?$ : a host of at least one character, then anything from the first
// '/', and no whitespace anywhere.
bool repository_url(std::string_view text) {
  std::string_view rest;
  for (const std::string_view scheme : {"https://", "oci://", "http://"}) {
    if (text.starts_with(scheme)) {
      rest = text.substr(scheme.size());
      break;
    }
  }
  if (rest.empty() || rest.front() == '/') {
    return false;
  }
  return std::ranges::none_of(rest, is_space);
}

// ^[A-Za-z0-9][-A-Za-z0-9_./]*$
bool chart_name(std::string_view text) {
  if (text.empty() || !is_alnum(text.front())) {
    return false;
  }
  return std::ranges::all_of(
      text.substr(1), [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.' || c == '/'; });
}

// (0|[1-9][0-9]*) at `at`; advances past it.
bool semver_number(std::string_view text, std::size_t& at) {
  if (at >= text.size() || !is_digit(text[at])) {
    return false;
  }
  if (text[at++] == '0') {
    return true;
  }
  while (at < text.size() && is_digit(text[at])) {
    ++at;
  }
  return true;
}

// [0-9A-Za-z-]+(\.[0-9A-Za-z-]+)* at `at`; advances past it.
bool semver_identifiers(std::string_view text, std::size_t& at) {
  while (true) {
    const std::size_t start = at;
    while (at < text.size() && (is_alnum(text[at]) || text[at] == '-')) {
      ++at;
    }
    if (at == start) {
      return false;
    }
    if (at == text.size() || text[at] != '.') {
      return true;
    }
    ++at;
  }
}

// ^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?
//   (\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$
bool exact_semver(std::string_view text) {
  std::size_t at = !text.empty() && text.front() == 'v' ? 1 : 0;
  for (int part = 0; part < 3; ++part) {
    if (part > 0) {
      if (at >= text.size() || text[at] != '.') {
        return false;
      }
      ++at;
    }
    if (!semver_number(text, at)) {
      return false;
    }
  }
  if (at < text.size() && text[at] == '-') {
    ++at;
    if (!semver_identifiers(text, at)) {
      return false;
    }
  }
  if (at < text.size() && text[at] == '+') {
    ++at;
    if (!semver_identifiers(text, at)) {
      return false;
    }
  }
  return at == text.size();
}

// ^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$ (µ as UTF-8, U+00B5)
bool go_duration(std::string_view text) {
  if (text == "0") {
    return true;
  }
  if (text.empty()) {
    return false;
  }
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t start = at;
    while (at < text.size() && is_digit(text[at])) {
      ++at;
    }
    const bool integer_digits = at > start;
    if (at < text.size() && text[at] == '.') {
      ++at;
      const std::size_t fraction = at;
      while (at < text.size() && is_digit(text[at])) {
        ++at;
      }
      if (!integer_digits && at == fraction) {
        return false; // a lone "."
      }
    } else if (!integer_digits) {
      return false;
    }
    const std::string_view unit = text.substr(at);
    if (unit.starts_with("ns") || unit.starts_with("us") || unit.starts_with("ms")) {
      at += 2;
    } else if (unit.starts_with("\xC2\xB5s")) {
      at += 3;
    } else if (unit.starts_with("s") || unit.starts_with("m") || unit.starts_with("h")) {
      at += 1;
    } else {
      return false;
    }
  }
  return true;
}

using Matcher = bool (*)(std::string_view);
// The patterns exactly as schema/stack.schema.json spells them (JSON escapes undone).
const std::array<std::pair<std::string_view, Matcher>, 6> k_native_patterns = {{
    {R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?$)", dns_label},
    {R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)", dns_subdomain},
    {R"(^(https|oci|http)://[^\s/]+(/[^\s]*)?$)", repository_url},
    {R"(^[A-Za-z0-9][-A-Za-z0-9_./]*$)", chart_name},
    {R"(^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$)",
     exact_semver},
    {"^(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|\xC2\xB5s|ms|s|m|h))+)$", go_duration},
}};

} // namespace

StringPattern::StringPattern(const std::string& pattern) : m_pattern(pattern) {
  for (const auto& [text, matcher] : k_native_patterns) {
    if (pattern == text) {
      m_native = matcher;
      return;
    }
  }
  m_regex = std::regex(pattern); // throws std::regex_error on an invalid pattern, as valijson does
}

bool StringPattern::matches(std::string_view text) const {
  if (m_native != nullptr) {
    return m_native(text);
  }
  return std::regex_search(text.begin(), text.end(), m_regex);
}

} // namespace herd::core
