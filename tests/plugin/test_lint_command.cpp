#include "cli_helpers.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using herd::plugin::testing::run_cli;
using herd::plugin::testing::source_path;
using herd::plugin::testing::TempDir;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

const std::string k_valid_stack = R"(apiVersion: herd.suse.com/v1
kind: Stack
metadata:
  name: demo
spec:
  targets:
    clusterIds: [local]
  charts:
    - name: ollama
      repo: https://otwld.github.io/ollama-helm/
      version: "0.59.0"
)";

// Two errors in one Stack and a third in the next document: lint must report all of them.
const std::string k_broken_stream = R"(apiVersion: herd.suse.com/v1
kind: Stack
metadata:
  name: broken
spec:
  targets:
    clusterIds: [local]
  charts:
    - name: app
      repo: https://example.com/charts
      version: 1.10
      dependsOn: [databse]
    - name: database
      repo: https://example.com/charts
      version: "2.0.0"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: not-a-stack
---
apiVersion: herd.suse.com/v1
kind: Stack
metadata:
  name: second
spec:
  env: production
  targets:
    clusterIds: [local]
  charts:
    - name: web
      repo: https://example.com/charts
      version: "1.0.0"
)";

} // namespace

TEST(LintCommand, BundledExamplesPass) {
  const auto result = run_cli({"lint", source_path("examples")});
  EXPECT_EQ(result.code, 0) << result.out << result.err;
  EXPECT_THAT(result.err, HasSubstr("8 stacks, 0 errors"));
}

TEST(LintCommand, ReportsEveryFindingOfEveryDocumentWithPositions) {
  TempDir dir;
  const std::string file = dir.file("stream.yaml", k_broken_stream);
  const auto result = run_cli({"lint", file});
  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.out,
              HasSubstr(file + ":11:16: error: spec.charts[0].version must be a string, not a number: "
                               "YAML reads 1.10 as a number; quote it (\"1.10\") [HERD010]"));
  EXPECT_THAT(result.out,
              HasSubstr(file + ":12:19: error: chart \"app\" depends on unknown chart \"databse\" "
                               "(did you mean \"database\"?) [HERD103]"));
  EXPECT_THAT(result.out, HasSubstr(file + ":27:8: error: spec.env must be one of dev, staging, prod, not "
                                           "\"production\""));
  EXPECT_THAT(result.err, HasSubstr("2 stacks, 3 errors, 0 warnings"));
}

TEST(LintCommand, JsonOutputCarriesThePath) {
  TempDir dir;
  const auto result = run_cli({"lint", "-o", "json", dir.file("s.yaml", k_broken_stream)});
  EXPECT_EQ(result.code, 1);
  const json report = json::parse(result.out);
  EXPECT_EQ(report["errors"], 3);
  EXPECT_EQ(report["stacks"], 2);
  ASSERT_EQ(report["findings"].size(), 3U);
  EXPECT_EQ(report["findings"][1]["path"], "spec.charts[0].dependsOn[0]");
  EXPECT_EQ(report["findings"][1]["rule"], "HERD103");
  EXPECT_EQ(report["findings"][1]["line"], 12);
  EXPECT_EQ(report["findings"][1]["column"], 19);
  EXPECT_TRUE(result.err.empty()) << "no summary line outside text mode";
}

TEST(LintCommand, SarifIsValidForCodeScanning) {
  TempDir dir;
  const auto result = run_cli({"lint", "-o", "sarif", dir.file("s.yaml", k_broken_stream)});
  EXPECT_EQ(result.code, 1);
  const json sarif = json::parse(result.out);
  EXPECT_EQ(sarif["version"], "2.1.0");
  ASSERT_EQ(sarif["runs"].size(), 1U);
  const json& run = sarif["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["name"], "kubectl-herd");
  const json& rules = run["tool"]["driver"]["rules"];
  ASSERT_EQ(run["results"].size(), 3U);
  for (const auto& result_entry : run["results"]) {
    const auto index = result_entry["ruleIndex"].get<std::size_t>();
    ASSERT_LT(index, rules.size());
    EXPECT_EQ(rules[index]["id"], result_entry["ruleId"]);
    const json& region = result_entry["locations"][0]["physicalLocation"]["region"];
    EXPECT_GE(region["startLine"].get<int>(), 1);
    EXPECT_GE(region["startColumn"].get<int>(), 1);
    EXPECT_EQ(result_entry["level"], "error");
  }
  EXPECT_EQ(run["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"], 12);
}

TEST(LintCommand, JunitFailsTheFileWithErrors) {
  TempDir dir;
  const std::string bad = dir.file("bad.yaml", k_broken_stream);
  const std::string good = dir.file("good.yaml", k_valid_stack);
  const auto result = run_cli({"lint", "-o", "junit", good, bad});
  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.out, HasSubstr("<testsuites name=\"kubectl herd lint\" tests=\"2\" failures=\"1\">"));
  EXPECT_THAT(result.out, HasSubstr("<failure message=\"3 errors\" type=\"lint\">"));
  EXPECT_THAT(result.out, HasSubstr("depends on unknown chart &quot;databse&quot;"));
}

TEST(LintCommand, ReadsStandardInput) {
  const auto result = run_cli({"lint", "-"}, k_valid_stack);
  EXPECT_EQ(result.code, 0) << result.out;
  EXPECT_THAT(result.err, HasSubstr("1 stack, 0 errors, 0 warnings"));
}

TEST(LintCommand, WarningsFailOnlyWithStrict) {
  const std::string prod = R"(apiVersion: herd.suse.com/v1
kind: Stack
metadata:
  name: prod-stack
spec:
  env: prod
  targets:
    selector:
      matchLabels: {env: prod}
  charts:
    - name: qdrant
      repo: https://qdrant.github.io/qdrant-helm
      version: "0.7.4"
)";
  const auto relaxed = run_cli({"lint", "-"}, prod);
  EXPECT_EQ(relaxed.code, 0);
  EXPECT_THAT(relaxed.out,
              HasSubstr("<stdin>:6:8: warning: security enabled by policy for env prod [HERD202]"));
  EXPECT_THAT(relaxed.out,
              HasSubstr("<stdin>:6:8: warning: observability enabled by policy for env prod [HERD202]"));
  const auto strict = run_cli({"lint", "--strict", "-"}, prod);
  EXPECT_EQ(strict.code, 1);
}

TEST(LintCommand, FileWithoutStackIsAnError) {
  TempDir dir;
  const auto empty = run_cli({"lint", dir.file("empty.yaml", "")});
  EXPECT_EQ(empty.code, 1);
  EXPECT_THAT(empty.out,
              HasSubstr("empty.yaml: error: no Stack found: the file holds no YAML documents [HERD003]"));
  const auto other =
      run_cli({"lint", dir.file("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")});
  EXPECT_EQ(other.code, 1);
  EXPECT_THAT(other.out,
              HasSubstr("no Stack found: none of its 1 documents has apiVersion herd.suse.com/v1"));
}

TEST(LintCommand, UsageAndToolErrorsExitTwo) {
  EXPECT_EQ(run_cli({"lint", "/does/not/exist.yaml"}).code, 2);
  EXPECT_EQ(run_cli({"lint", "-o", "xml", "-"}).code, 2);
  EXPECT_EQ(run_cli({"lint", "--no-such-flag", "-"}).code, 2);
  EXPECT_EQ(run_cli({"lint"}).code, 2);
  EXPECT_EQ(run_cli({}).code, 2);
  const auto missing_policy = run_cli({"--policy", "/does/not/exist", "lint", "-"}, k_valid_stack);
  EXPECT_EQ(missing_policy.code, 2);
  EXPECT_THAT(missing_policy.err, HasSubstr("cannot read policy file"));
}

TEST(LintCommand, HelpExitsZeroAndShowsExamples) {
  const auto result = run_cli({"lint", "--help"});
  EXPECT_EQ(result.code, 0);
  EXPECT_THAT(result.out, HasSubstr("Usage: kubectl herd lint"));
  EXPECT_THAT(result.out, HasSubstr("Examples:"));
}

TEST(LintCommand, PolicyFileReplacesTheDefault) {
  TempDir dir;
  const std::string policy = dir.file("policy.yaml", R"(apiVersion: herd.suse.com/v1
kind: StackPolicy
metadata:
  name: lab
environments:
  prod:
    allowedRepoSchemes: [https, oci, http]
    require: {security: false, observability: false}
    maxCharts: 1
tenancy:
  - namespaces: ["*"]
)");
  const std::string stack = R"(apiVersion: herd.suse.com/v1
kind: Stack
metadata:
  name: lab-stack
spec:
  env: prod
  targets:
    clusterIds: [c-m-lab]
  charts:
    - name: a
      repo: http://charts.lab/
      version: "1.0.0"
    - name: b
      repo: http://charts.lab/
      version: "1.0.0"
)";
  const auto with_default = run_cli({"lint", "-"}, stack);
  EXPECT_THAT(with_default.out, HasSubstr("[HERD201]"));
  const auto with_lab = run_cli({"--policy", policy, "lint", "-"}, stack);
  EXPECT_THAT(with_lab.out, Not(HasSubstr("[HERD201]")));
  EXPECT_THAT(with_lab.out, Not(HasSubstr("[HERD202]")));
  EXPECT_THAT(with_lab.out,
              HasSubstr("the Stack has 2 charts; policy \"lab\" allows at most 1 for env prod [HERD203]"));
  const auto broken = run_cli(
      {"--policy", dir.file("broken.yaml", "apiVersion: herd.suse.com/v1\nkind: Nope\n"), "lint", "-"},
      stack);
  EXPECT_EQ(broken.code, 2);
  EXPECT_THAT(broken.err, HasSubstr("invalid policy"));
}

TEST(LintCommand, ColorFollowsTheFlagAndNoColor) {
  TempDir dir;
  const std::string file = dir.file("s.yaml", k_broken_stream);
  EXPECT_THAT(run_cli({"--color", "always", "lint", file}).out, HasSubstr("\033[1;31merror\033[0m"));
  EXPECT_THAT(run_cli({"--color", "never", "lint", file}).out, Not(HasSubstr("\033[")));
  setenv("NO_COLOR", "1", 1);
  EXPECT_THAT(run_cli({"lint", file}).out, Not(HasSubstr("\033[")));
  unsetenv("NO_COLOR");
}

TEST(LintCommand, DirectoriesSkipFilesWithoutStacks) {
  TempDir dir;
  dir.file("a.yaml", k_valid_stack);
  dir.file("kustomization.yaml", "resources: [a.yaml]\n");
  dir.file("notes.txt", "not yaml: [");
  const auto result = run_cli({"lint", dir.path().string()});
  EXPECT_EQ(result.code, 0) << result.out;
  EXPECT_THAT(result.err, HasSubstr("1 stack, 0 errors"));
}
