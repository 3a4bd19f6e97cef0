// StringPattern: the schema's "pattern" checks, with hand-written matchers for the Stack schema's own
// patterns that must accept exactly what std::regex (valijson's engine) accepts.

#include "../../core/src/string_pattern.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using herd::core::StringPattern;

namespace {

std::set<std::string> stack_schema_patterns() {
  std::ifstream file(HERD_SOURCE_DIR "/schema/stack.schema.json");
  std::ostringstream text;
  text << file.rdbuf();
  std::set<std::string> patterns;
  const auto schema = nlohmann::json::parse(text.str());
  // The schema is Herd's own, a few levels deep: a worklist, no recursion.
  std::vector<const nlohmann::json*> pending{&schema};
  while (!pending.empty()) {
    const nlohmann::json* node = pending.back();
    pending.pop_back();
    if (node->is_object()) {
      if (const auto pattern = node->find("pattern"); pattern != node->end() && pattern->is_string()) {
        patterns.insert(pattern->get<std::string>());
      }
    }
    if (node->is_structured()) {
      for (const auto& child : *node) {
        pending.push_back(&child);
      }
    }
  }
  return patterns;
}

bool regex_verdict(const std::string& pattern, const std::string& text) {
  return std::regex_search(text, std::regex(pattern));
}

// Strings near the patterns' edges: short, over an alphabet of the characters they care about.
std::vector<std::string> probe_strings() {
  std::vector<std::string> probes = {
      "",         "0",          "a",           "-",          ".",
      "a-",       "-a",         "a.b",         "a..b",       "a.",
      "v1.2.3",   "1.2.3",      "01.2.3",      "1.2.3-rc.1", "1.2.3-",
      "1.2.3+b",  "1.2.3-a+b",  "1.2.3-a..b",  "~1.2",       "https://x",
      "https://", "http://x/",  "oci://a b",   "oci:///x",   "http://https://x",
      "5m",       "1h30m",      "1.5s",        ".5s",        "1.s",
      "1ms",      "1\xC2\xB5s", "10",          "0s",         "00",
      "m",        "1m s",       "chart/x_y.z", "_x",         "A0"};
  const std::string alphabet = "0123456789azAZv.-+_/:hmnsuo \t\n\xC2\xB5";
  std::mt19937 random(7); // NOLINT(cert-msc32-c,cert-msc51-cpp): the same probes on every run
  std::uniform_int_distribution<std::size_t> length(0, 10);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const std::size_t n = length(random);
    for (std::size_t k = 0; k < n; ++k) {
      text += alphabet[pick(random)];
    }
    probes.push_back(std::move(text));
  }
  // Well-formed values with one character changed.
  for (const std::string base : {"https://charts.example.com/x", "1.22.333-alpha.1+build.7", "1h2m3.5s4ms5us",
                                 "my-app.example.org", "bitnami/nginx_2.x"}) {
    for (std::size_t at = 0; at < base.size(); ++at) {
      for (const char c : std::string("0aA.-+/ :")) {
        std::string text = base;
        text[at] = c;
        probes.push_back(std::move(text));
      }
      probes.push_back(base.substr(0, at));
    }
    probes.push_back(base);
  }
  return probes;
}

} // namespace

TEST(StringPattern, EveryPatternOfTheStackSchemaHasAHandWrittenMatcher) {
  const auto patterns = stack_schema_patterns();
  ASSERT_EQ(patterns.size(), 6U);
  for (const auto& pattern : patterns) {
    EXPECT_TRUE(StringPattern(pattern).is_native()) << pattern;
  }
}

TEST(StringPattern, HandWrittenMatchersAcceptExactlyWhatStdRegexAccepts) {
  const auto probes = probe_strings();
  for (const auto& pattern : stack_schema_patterns()) {
    const StringPattern native(pattern);
    const std::regex regex(pattern);
    int accepted = 0;
    for (const auto& text : probes) {
      const bool expected = std::regex_search(text, regex);
      accepted += expected ? 1 : 0;
      ASSERT_EQ(native.matches(text), expected) << "pattern " << pattern << " on \"" << text << "\"";
    }
    // The probes reach both sides of every pattern.
    EXPECT_GT(accepted, 0) << pattern;
  }
}

TEST(StringPattern, OtherPatternsFallBackToStdRegexSearch) {
  const StringPattern pattern("b+c");
  EXPECT_FALSE(pattern.is_native());
  EXPECT_TRUE(pattern.matches("abbcd")); // found anywhere, as valijson's regex_search does
  EXPECT_FALSE(pattern.matches("ac"));
  EXPECT_EQ(pattern.matches("xbc"), regex_verdict("b+c", "xbc"));
}
