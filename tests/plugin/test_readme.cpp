// The README is the user's reference for rule ids and commands: keep it true.
#include "cli_helpers.hpp"

#include <herd/core/rule_catalog.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using ::testing::HasSubstr;

namespace {

std::string readme() {
  std::ifstream file(herd::plugin::testing::source_path("README.md"));
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

} // namespace

TEST(Readme, DocumentsEveryRule) {
  const std::string text = readme();
  ASSERT_FALSE(text.empty());
  for (const auto& rule : herd::core::rules::catalog()) {
    EXPECT_THAT(text, HasSubstr("| " + std::string(rule.id) + " | " +
                                std::string(herd::core::to_string(rule.severity)) + " | " +
                                std::string(rule.summary) + " | " + std::string(rule.fix) + " |"))
        << rule.id;
  }
}

TEST(Readme, QuickStartUsesTheTestScript) {
  const std::string text = readme();
  EXPECT_THAT(text, HasSubstr("./scripts/test.sh"));
  std::ifstream ci(herd::plugin::testing::source_path(".ci/run"));
  std::ostringstream ci_text;
  ci_text << ci.rdbuf();
  EXPECT_THAT(ci_text.str(), HasSubstr("./scripts/test.sh"));
}
