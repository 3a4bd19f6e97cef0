// The plugin as users run it: the real kubectl binary finding kubectl-herd on PATH.
#include "cli_helpers.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

using herd::plugin::testing::run_shell;
using herd::plugin::testing::source_path;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

std::string with_plugin_on_path(const std::string& command) {
  const std::string bin = std::filesystem::path(HERD_PLUGIN_BINARY).parent_path().string();
  // A throwaway HOME keeps kubectl from reading a developer's kubeconfig or krew plugins.
  return "cd " + std::string(HERD_SOURCE_DIR) + " && export HOME=$(mktemp -d) PATH=" + bin + ":$PATH && " +
         command;
}

} // namespace

TEST(KubectlPlugin, KubectlFindsThePluginWithoutWarnings) {
  const auto result = run_shell(with_plugin_on_path("kubectl plugin list"));
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("kubectl-herd"));
  EXPECT_THAT(result.err, Not(HasSubstr("Warning")));
}

TEST(KubectlPlugin, LintsTheBundledExamples) {
  const auto result = run_shell(with_plugin_on_path("kubectl herd lint examples/"));
  EXPECT_EQ(result.code, 0) << result.out << result.err;
  EXPECT_THAT(result.err, HasSubstr("8 stacks, 0 errors"));
}

TEST(KubectlPlugin, PassesExitCodesThrough) {
  const auto result =
      run_shell(with_plugin_on_path("printf 'apiVersion: herd.suse.com/v1\\nkind: Stack\\n' | "
                                    "kubectl herd lint -"));
  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.out,
              HasSubstr("<stdin>:1:1: error: the document is missing required field \"metadata\""));
  EXPECT_EQ(run_shell(with_plugin_on_path("kubectl herd lint --bogus")).code, 2);
}

TEST(KubectlPlugin, UsageSaysKubectlHerd) {
  const auto result = run_shell(with_plugin_on_path("kubectl herd --help"));
  EXPECT_EQ(result.code, 0);
  EXPECT_THAT(result.out, HasSubstr("Usage: kubectl herd"));
  const auto version = run_shell(with_plugin_on_path("kubectl herd version"));
  EXPECT_EQ(version.code, 0);
  EXPECT_THAT(version.out, HasSubstr("kubectl-herd v"));
}
