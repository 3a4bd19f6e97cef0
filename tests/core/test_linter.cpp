#include "lint_helpers.hpp"

#include <herd/core/linter.hpp>
#include <herd/core/rule_catalog.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace herd::core {
namespace {

using nlohmann::json;
using test::describe;
using test::lint_text;
using test::replaced;
using test::stack_yaml;
using test::with_rule;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

void expect_diagnostic(const Diagnostic& d,
                       std::string_view rule,
                       Severity severity,
                       int line,
                       int column,
                       const std::string& message) {
  EXPECT_EQ(d.rule, rule);
  EXPECT_EQ(d.severity, severity);
  EXPECT_EQ(d.line, line);
  EXPECT_EQ(d.column, column);
  EXPECT_EQ(d.message, message);
  EXPECT_EQ(d.file, "stack.yaml");
}

// A Stack of `n` charts c0..c{n-1}, one per line from line 10, each depending on the one before; with
// `closed`, c0 depends on the last one.
std::string chain_stack(std::size_t n, bool closed) {
  std::string text =
      "apiVersion: herd.suse.com/v1\nkind: Stack\nmetadata:\n  name: chain\n  namespace: default\n"
      "spec:\n  targets:\n    clusterGroup: all\n  charts:\n";
  text.reserve(n * 80);
  for (std::size_t i = 0; i < n; ++i) {
    text += "    - {name: c" + std::to_string(i) + ", repo: https://x.example, version: 1.0.0";
    if (i > 0) {
      text += ", dependsOn: [c" + std::to_string(i - 1) + "]";
    } else if (closed) {
      text += ", dependsOn: [c" + std::to_string(n - 1) + "]";
    }
    text += "}\n";
  }
  return text;
}

// The default policy with room for `charts` charts in dev.
Policy roomy_policy(std::size_t charts) {
  Policy policy = default_policy();
  policy.environments["dev"].max_charts = charts;
  return policy;
}

TEST(Linter, SeedRagPlatformIsClean) {
  StreamSummary summary;

  const Diagnostics findings = lint_text(test::k_rag_inference_platform, "stack.yaml", nullptr, &summary);

  EXPECT_THAT(findings, IsEmpty()) << describe(findings);
  EXPECT_EQ(summary.documents, 1U);
  EXPECT_EQ(summary.stacks, 1U);
}

TEST(Linter, MinimalStackIsClean) {
  const Diagnostics findings = lint_text(stack_yaml());

  EXPECT_THAT(findings, IsEmpty()) << describe(findings);
}

TEST(Linter, UnquotedVersionMustBeQuoted) {
  const std::string yaml = replaced(stack_yaml(), "\"1.2.3\"", "1.10");

  const Diagnostics findings = lint_text(yaml);

  ASSERT_EQ(findings.size(), 1U) << describe(findings);
  expect_diagnostic(
      findings[0], rules::schema_type, Severity::error, 12, 16,
      R"(spec.charts[0].version must be a string, not a number: YAML reads 1.10 as a number; quote it ("1.10"))");
  EXPECT_EQ(
      format_diagnostic(findings[0]),
      R"(stack.yaml:12:16: error: spec.charts[0].version must be a string, not a number: YAML reads 1.10 )"
      R"(as a number; quote it ("1.10") [HERD010])");
}

TEST(Linter, EnvYesIsABooleanNotAString) {
  const Diagnostics findings = lint_text(stack_yaml("", "  env: yes\n"));

  ASSERT_EQ(findings.size(), 1U) << describe(findings);
  expect_diagnostic(
      findings[0], rules::schema_type, Severity::error, 13, 8,
      R"(spec.env must be a string, not a boolean: YAML reads yes as a boolean; use one of dev, staging, prod)");
}

TEST(Linter, UnknownFieldIsLocatedAtItsKey) {
  const Diagnostics findings = lint_text(stack_yaml("      dependson: [app]\n"));

  ASSERT_EQ(findings.size(), 1U) << describe(findings);
  expect_diagnostic(findings[0], rules::unknown_field, Severity::error, 13, 7,
                    R"(unknown field "dependson" in spec.charts[0] (did you mean "dependsOn"?))");
  EXPECT_EQ(findings[0].path, "spec.charts[0].dependson");
}

TEST(Linter, ProdWithoutFeaturesWarnsTwiceWithoutError) {
  const Diagnostics findings = lint_text(stack_yaml("", "  env: prod\n"));

  ASSERT_EQ(findings.size(), 2U) << describe(findings);
  expect_diagnostic(findings[0], rules::feature_required, Severity::warning, 13, 8,
                    "security enabled by policy for env prod");
  expect_diagnostic(findings[1], rules::feature_required, Severity::warning, 13, 8,
                    "observability enabled by policy for env prod");
  EXPECT_FALSE(has_errors(findings));
}

TEST(Linter, ProdRefusesHttpRepository) {
  const std::string yaml =
      replaced(stack_yaml("", "  env: prod\n  security: enabled\n  observability: enabled\n"),
               "https://charts", "http://charts");

  const Diagnostics findings = lint_text(yaml);

  ASSERT_EQ(findings.size(), 1U) << describe(findings);
  expect_diagnostic(
      findings[0], rules::repo_scheme, Severity::error, 11, 13,
      R"(repo "http://charts.example.com" uses http://, which policy "herd-default" does not allow )"
      "for env prod (allowed: https://, oci://)");
}

TEST(Linter, BadChartNameIsReportedOnceNotOnTheFieldsItDefaults) {
  const std::string yaml = replaced(stack_yaml(), "name: app", "name: My_Chart");

  const Diagnostics findings = lint_text(yaml);

  // chart, namespace and releaseName default to the name: only the name itself is reported.
  ASSERT_EQ(findings.size(), 1U) << describe(findings);
  expect_diagnostic(
      findings[0], rules::schema_pattern, Severity::error, 10, 13,
      R"(spec.charts[0].name "My_Chart" must be a lower-case DNS name: letters a-z, digits and '-', )"
      "starting and ending with a letter or digit");
}

TEST(Linter, FindingOnADefaultedFieldSaysSo) {
  // 60 characters: a valid chart name, but too long for the release name it defaults to.
  const std::string name(60, 'a');
  const std::string yaml = replaced(stack_yaml(), "name: app", "name: " + name);

  const Diagnostics findings = lint_text(yaml);

  ASSERT_EQ(findings.size(), 1U) << describe(findings);
  expect_diagnostic(findings[0], rules::name_too_long, Severity::error, 10, 7,
                    "spec.charts[0].releaseName \"" + name +
                        "\" is 60 characters long; at most 53 are allowed (Helm's limit for release names) "
                        "(not set in the Stack: this is its default)");
  EXPECT_EQ(findings[0].path, "spec.charts[0].releaseName");
}

TEST(Linter, HundredThousandCharacterChartNameIsReportedNotMatched) {
  const std::string yaml = replaced(stack_yaml(), "name: app", "name: " + std::string(100'000, 'a'));

  const Diagnostics findings = lint_text(yaml);

  // Reported once, on the name (not again on the chart, namespace and releaseName it defaults to).
  ASSERT_EQ(findings.size(), 1U) << describe(findings);
  expect_diagnostic(findings[0], rules::schema_bounds, Severity::error, 10, 13,
                    "spec.charts[0].name is 100000 characters long; at most 63 are allowed");
}

TEST(Linter, WrongApiVersionOfAStackIsReported) {
  const std::string yaml = replaced(stack_yaml(), "herd.suse.com/v1", "herd.suse.com/v2");

  const Diagnostics findings = lint_text(yaml);

  ASSERT_EQ(findings.size(), 1U) << describe(findings);
  expect_diagnostic(findings[0], rules::api_version, Severity::error, 1, 13,
                    R"(apiVersion "herd.suse.com/v2" is not served; Stacks use herd.suse.com/v1)");
}

TEST(Linter, DuplicateKeyIsReportedAndLintGoesOn) {
  const Diagnostics findings = lint_text(stack_yaml("      version: 1.x\n"));

  ASSERT_EQ(findings.size(), 2U) << describe(findings);
  expect_diagnostic(findings[0], rules::duplicate_key, Severity::error, 13, 7,
                    R"(duplicate key "version" (the API server keeps only the last one))");
  EXPECT_EQ(findings[1].rule, rules::version_not_exact);
  EXPECT_EQ(findings[1].line, 13);
  EXPECT_EQ(findings[1].column, 16);
}

TEST(Linter, MergeKeyReusesAnotherChartsFields) {
  const std::string yaml = "apiVersion: herd.suse.com/v1\n"
                           "kind: Stack\n"
                           "metadata:\n"
                           "  name: demo\n"
                           "  namespace: default\n"
                           "spec:\n"
                           "  targets:\n"
                           "    clusterIds: [c-m-gpu01]\n"
                           "  charts:\n"
                           "    - &common\n"   // 10
                           "      name: app\n" // 11
                           "      repo: https://charts.example.com\n"
                           "      version: \"1.2.3\"\n"
                           "    - <<: *common\n"      // 14: repo and version come from app
                           "      name: worker\n"     // 15
                           "      dependsOn: [ap]\n"; // 16

  const Diagnostics findings = lint_text(yaml);

  ASSERT_EQ(findings.size(), 1U) << describe(findings);
  expect_diagnostic(findings[0], rules::unknown_dependency, Severity::error, 16, 19,
                    R"(chart "worker" depends on unknown chart "ap" (did you mean "app"?))");
}

// --- Streams. ---

TEST(Linter, EmptyInputHasNoDocuments) {
  StreamSummary summary;

  const Diagnostics findings = lint_text("", "stack.yaml", nullptr, &summary);
  const Diagnostics comments = lint_text("# nothing\n---\n# here\n", "stack.yaml", nullptr, &summary);

  EXPECT_THAT(findings, IsEmpty());
  EXPECT_THAT(comments, IsEmpty());
  EXPECT_EQ(summary.documents, 0U);
  EXPECT_EQ(summary.stacks, 0U);
}

TEST(Linter, OtherKindsAreSkipped) {
  StreamSummary summary;
  const std::string yaml =
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: yes}\n---\n" + stack_yaml();

  const Diagnostics findings = lint_text(yaml, "stack.yaml", nullptr, &summary);

  EXPECT_THAT(findings, IsEmpty()) << describe(findings);
  EXPECT_EQ(summary.documents, 2U);
  EXPECT_EQ(summary.stacks, 1U);
}

TEST(Linter, BrokenMiddleDocumentLeavesTheOthersLinted) {
  // Document 1: lines 1-13; document 2: lines 14-27 (broken); document 3: lines 28-41.
  const std::string first = stack_yaml("      dependsOn: [db]\n");            // finding at 13:19
  const std::string second = "---\n" + stack_yaml("      wait: x: y\n");      // line 14 = ---
  const std::string third = "---\n" + stack_yaml("      dependsOn: [app]\n"); // line 28 = ---
  StreamSummary summary;

  const Diagnostics findings = lint_text(first + second + third, "stack.yaml", nullptr, &summary);

  ASSERT_EQ(findings.size(), 3U) << describe(findings);
  expect_diagnostic(findings[0], rules::unknown_dependency, Severity::error, 13, 19,
                    R"(chart "app" depends on unknown chart "db")");
  expect_diagnostic(findings[1], rules::yaml_syntax, Severity::error, 27, 14,
                    "YAML syntax error: illegal map value");
  expect_diagnostic(findings[2], rules::self_dependency, Severity::error, 41, 19,
                    R"(chart "app" depends on itself)");
  EXPECT_EQ(summary.documents, 3U);
  EXPECT_EQ(summary.stacks, 2U);
}

// --- Size: graph rules are iterative and bounded. ---

TEST(Linter, HundredThousandChartChainHasNoCycle) {
  const auto linter = test::make_linter(roomy_policy(200'000));
  ASSERT_NE(linter, nullptr);

  const Diagnostics findings =
      lint_text(chain_stack(test::k_big_chart_count, false), "stack.yaml", linter.get());

  EXPECT_THAT(findings, IsEmpty()) << describe(findings);
}

TEST(Linter, HundredThousandChartCycleIsOneTruncatedFinding) {
  const auto linter = test::make_linter(roomy_policy(200'000));
  ASSERT_NE(linter, nullptr);

  const std::size_t n = test::k_big_chart_count;
  const Diagnostics findings = lint_text(chain_stack(n, true), "stack.yaml", linter.get());

  ASSERT_EQ(findings.size(), 1U) << describe(findings);
  EXPECT_EQ(findings[0].rule, rules::dependency_cycle);
  EXPECT_EQ(findings[0].line, 10);
  EXPECT_EQ(findings[0].path, "spec.charts[0].dependsOn[0]"); // c0's dependsOn: [c<n-1>]
  const auto c = [](std::size_t i) { return "c" + std::to_string(i); };
  EXPECT_THAT(findings[0].message,
              HasSubstr("dependency cycle: c0 -> " + c(n - 1) + " -> " + c(n - 2) + " -> "));
  EXPECT_THAT(findings[0].message,
              HasSubstr(" -> " + c(n - 19) + " -> ... (" + std::to_string(n - 20) + " more) -> c0"));
  EXPECT_LT(findings[0].message.size(), 400U);
}

TEST(Linter, TooManyChartsForTheDefaultPolicy) {
  const Diagnostics findings = lint_text(chain_stack(101, false));

  ASSERT_EQ(findings.size(), 1U) << describe(findings);
  expect_diagnostic(findings[0], rules::too_many_charts, Severity::error, 10, 5,
                    R"(the Stack has 101 charts; policy "herd-default" allows at most 100 for env dev)");
}

TEST(Linter, DeeplyNestedValuesAreASyntaxFindingNotACrash) {
  const std::string yaml =
      stack_yaml("      values:\n        inline:\n          x: " + std::string(100'000, '[') +
                 std::string(100'000, ']') + "\n");

  const Diagnostics findings = lint_text(yaml);

  ASSERT_EQ(findings.size(), 1U) << describe(findings);
  EXPECT_EQ(findings[0].rule, rules::yaml_syntax);
  EXPECT_EQ(findings[0].line, 15);
  EXPECT_EQ(findings[0].column, 136); // six levels lead to x: its 123rd '[' is the 129th level
  EXPECT_EQ(findings[0].message, "nesting deeper than 128 levels");
}

// --- check_stack: the webhook's entry point (JSON, no positions). ---

TEST(Linter, CheckStackOnJsonGivesPathsAndTheEffectiveStack) {
  const auto linter = test::make_linter();
  ASSERT_NE(linter, nullptr);
  const json document = json::parse(R"({
    "apiVersion": "herd.suse.com/v1", "kind": "Stack", "metadata": {"name": "demo", "namespace": "default"},
    "spec": {"env": "prod", "targets": {"clusterIds": ["c-m-gpu01"]},
             "charts": [{"name": "qdrant", "repo": "https://qdrant.github.io/qdrant-helm", "version": "0.7.4",
                         "dependsOn": ["qdrnt"]}]}})");
  Diagnostics out;
  DiagnosticSink sink(out, "", nullptr);
  MutationResult mutation;
  json effective;

  linter->check_stack(document, sink, &mutation, &effective);

  const Diagnostics unknown = with_rule(out, rules::unknown_dependency);
  ASSERT_EQ(unknown.size(), 1U) << describe(out);
  EXPECT_EQ(unknown[0].path, "spec.charts[0].dependsOn[0]");
  EXPECT_EQ(unknown[0].line, 0);
  EXPECT_EQ(unknown[0].column, 0);
  EXPECT_EQ(with_rule(out, rules::feature_required).size(), 2U);
  EXPECT_TRUE(mutation.changed);
  EXPECT_EQ(effective["spec"]["security"], "enabled");
  EXPECT_EQ(effective["spec"]["charts"][0]["values"]["inline"]["metrics"]["serviceMonitor"]["enabled"], true);
}

} // namespace
} // namespace herd::core
