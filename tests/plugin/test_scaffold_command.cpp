#include "cli_helpers.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using herd::plugin::testing::run_cli;
using herd::plugin::testing::TempDir;
using ::testing::HasSubstr;

namespace {

std::string read(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

} // namespace

class ScaffoldTemplate : public ::testing::TestWithParam<std::string> {};

TEST_P(ScaffoldTemplate, PrintsAStackThatPassesLint) {
  for (const std::string env : {"dev", "staging", "prod"}) {
    const auto scaffold = run_cli({"scaffold", "my-stack", "--template", GetParam(), "--env", env});
    ASSERT_EQ(scaffold.code, 0) << scaffold.err;
    EXPECT_THAT(scaffold.out, HasSubstr("kind: Stack"));
    EXPECT_THAT(scaffold.out, HasSubstr("# "));
    const auto lint = run_cli({"lint", "--strict", "-"}, scaffold.out);
    EXPECT_EQ(lint.code, 0) << env << "\n" << scaffold.out << lint.out;
    EXPECT_THAT(lint.err, HasSubstr("1 stack, 0 errors, 0 warnings"));
  }
}

INSTANTIATE_TEST_SUITE_P(AllTemplates,
                         ScaffoldTemplate,
                         ::testing::Values("minimal", "rag", "multi-model", "dev"));

TEST(ScaffoldCommand, FlagsShapeTheStack) {
  const auto result =
      run_cli({"scaffold", "tools", "--cluster", "c-m-abc12345", "--cluster", "local", "--selector",
               "gpu=true", "--security", "--chart", "redis=oci://registry-1.docker.io/bitnamicharts@19.0.1"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("security: enabled"));
  EXPECT_THAT(result.out, HasSubstr("observability: disabled"));
  EXPECT_THAT(result.out, HasSubstr("- \"c-m-abc12345\""));
  EXPECT_THAT(result.out, HasSubstr("\"gpu\": \"true\""));
  EXPECT_THAT(result.out, HasSubstr("repo: \"oci://registry-1.docker.io/bitnamicharts\""));
  EXPECT_THAT(result.out, HasSubstr("version: \"19.0.1\""));
  EXPECT_EQ(run_cli({"lint", "-"}, result.out).code, 0);
}

TEST(ScaffoldCommand, WritesAFileAndRefusesToOverwriteWithoutForce) {
  TempDir dir;
  const std::string file = (dir.path() / "stack.yaml").string();
  const auto first = run_cli({"scaffold", "demo", "-o", file});
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_TRUE(first.out.empty());
  EXPECT_THAT(read(file), HasSubstr("name: \"demo\""));

  const auto second = run_cli({"scaffold", "other", "-o", file});
  EXPECT_EQ(second.code, 2);
  EXPECT_THAT(second.err, HasSubstr("already exists; pass --force"));
  EXPECT_THAT(read(file), HasSubstr("name: \"demo\""));

  const auto forced = run_cli({"scaffold", "other", "-o", file, "--force"});
  EXPECT_EQ(forced.code, 0);
  EXPECT_THAT(read(file), HasSubstr("name: \"other\""));
}

TEST(ScaffoldCommand, RefusesFlagsThatGiveAnInvalidStack) {
  const auto bad_name = run_cli({"scaffold", "Not_A_Name"});
  EXPECT_EQ(bad_name.code, 1);
  EXPECT_THAT(bad_name.err, HasSubstr("does not pass lint"));
  EXPECT_THAT(bad_name.err, HasSubstr("metadata.name"));
  const auto bad_version = run_cli({"scaffold", "x", "--chart", "a=https://charts.example.com@^1.0"});
  EXPECT_EQ(bad_version.code, 1);
  EXPECT_THAT(bad_version.err, HasSubstr("[HERD106]"));
  EXPECT_EQ(run_cli({"scaffold", "x", "--chart", "no-version"}).code, 2);
  EXPECT_EQ(run_cli({"scaffold", "x", "--selector", "novalue"}).code, 2);
  EXPECT_EQ(run_cli({"scaffold", "x", "--template", "huge"}).code, 2);
}
