#include "cli_helpers.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using herd::plugin::testing::run_cli;
using ::testing::StartsWith;

TEST(VersionCommand, PrintsTheVersion) {
  const auto result = run_cli({"version"});
  EXPECT_EQ(result.code, 0);
  EXPECT_THAT(result.out, StartsWith("kubectl-herd v" HERD_VERSION " (commit "));
}

TEST(VersionCommand, PrintsJson) {
  const auto result = run_cli({"version", "-o", "json"});
  EXPECT_EQ(result.code, 0);
  const auto version = nlohmann::json::parse(result.out);
  EXPECT_EQ(version["version"], "v" HERD_VERSION);
  EXPECT_TRUE(version["gitCommit"].is_string());
  EXPECT_TRUE(version["platform"].is_string());
}
