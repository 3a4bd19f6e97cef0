#include "lint_helpers.hpp"

#include <herd/core/rule_catalog.hpp>
#include <herd/core/stack.hpp>
#include <herd/core/stack_rules.hpp>
#include <herd/core/yaml_loader.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace herd::core {
namespace {

using ::testing::HasSubstr;

// Runs the graph and policy rules on a Stack `demo` in namespace `namespace_name` whose spec body (indented 2
// spaces) starts at line 7. The rules run on the Stack as written: no schema check, no defaults (the typed
// model applies chart defaults itself).
Diagnostics check_spec(std::string_view spec_body,
                       const Policy& policy = default_policy(),
                       std::string_view namespace_name = "default") {
  std::string text = "apiVersion: herd.suse.com/v1\n"           // 1
                     "kind: Stack\n"                            // 2
                     "metadata:\n"                              // 3
                     "  name: demo\n";                          // 4
  text += "  namespace: " + std::string(namespace_name) + "\n"; // 5
  text += "spec:\n";                                            // 6
  text += spec_body;
  YamlDocument document = parse_yaml_document(text, "stack.yaml");
  EXPECT_TRUE(document.parsed);
  EXPECT_TRUE(document.diagnostics.empty());
  Diagnostics out;
  DiagnosticSink sink(out, "stack.yaml", &document.source_map);
  check_stack_rules(stack_from_json(document.value), policy, sink);
  return out;
}

// check_spec of a Stack targeting c-m-gpu01 whose chart list (`charts`, items indented 4 spaces) starts at
// line 10; `spec_fields` follow the charts.
Diagnostics check(std::string_view charts,
                  std::string_view spec_fields = "",
                  const Policy& policy = default_policy(),
                  std::string_view namespace_name = "default") {
  std::string spec = "  targets:\n"                  // 7
                     "    clusterIds: [c-m-gpu01]\n" // 8
                     "  charts:\n";                  // 9
  spec += charts;
  spec += spec_fields;
  return check_spec(spec, policy, namespace_name);
}

void expect_finding(const Diagnostics& findings,
                    std::string_view rule,
                    Severity severity,
                    int line,
                    int column,
                    const std::string& path,
                    const std::string& message) {
  ASSERT_EQ(findings.size(), 1U) << test::describe(findings);
  const Diagnostic& d = findings[0];
  EXPECT_EQ(d.rule, rule);
  EXPECT_EQ(d.severity, severity);
  EXPECT_EQ(d.line, line);
  EXPECT_EQ(d.column, column);
  EXPECT_EQ(d.path, path);
  EXPECT_EQ(d.message, message);
}

TEST(StackRules, SoundStackHasNoFindings) {
  const Diagnostics findings = check("    - name: db\n"
                                     "    - name: app\n"
                                     "      dependsOn: [db]\n"
                                     "      wait: true\n"
                                     "      timeout: 10m\n");

  EXPECT_TRUE(findings.empty()) << test::describe(findings);
}

TEST(StackRules, DuplicateChartNameIsReportedAtTheSecond) {
  const Diagnostics findings = check("    - name: db\n"  // 10
                                     "    - name: app\n" // 11
                                     "      namespace: web\n"
                                     "    - name: db\n" // 13
                                     "      namespace: db2\n");

  expect_finding(findings, rules::duplicate_chart, Severity::error, 13, 13, "spec.charts[2].name",
                 R"(chart name "db" is already used by spec.charts[0])");
}

TEST(StackRules, SelfDependencyIsReportedAtTheEntry) {
  const Diagnostics findings = check("    - name: app\n"            // 10
                                     "      dependsOn: [db, app]\n" // 11
                                     "    - name: db\n");

  expect_finding(findings, rules::self_dependency, Severity::error, 11, 23, "spec.charts[0].dependsOn[1]",
                 R"(chart "app" depends on itself)");
}

TEST(StackRules, UnknownDependencySuggestsTheClosestChart) {
  const Diagnostics findings = check("    - name: database\n" // 10
                                     "    - name: app\n"      // 11
                                     "      dependsOn:\n"     // 12
                                     "        - databse\n");  // 13

  expect_finding(findings, rules::unknown_dependency, Severity::error, 13, 11, "spec.charts[1].dependsOn[0]",
                 R"(chart "app" depends on unknown chart "databse" (did you mean "database"?))");
}

TEST(StackRules, UnknownDependencyWithoutCloseNameHasNoHint) {
  const Diagnostics findings = check("    - name: app\n"
                                     "      dependsOn: [redis]\n");

  expect_finding(findings, rules::unknown_dependency, Severity::error, 11, 19, "spec.charts[0].dependsOn[0]",
                 R"(chart "app" depends on unknown chart "redis")");
}

TEST(StackRules, CycleIsReportedWholeInOrder) {
  const Diagnostics findings = check("    - name: alpha\n"         // 10
                                     "      dependsOn: [gamma]\n"  // 11
                                     "    - name: beta\n"          // 12
                                     "      dependsOn: [alpha]\n"  // 13
                                     "    - name: gamma\n"         // 14
                                     "      dependsOn: [beta]\n"); // 15

  expect_finding(findings, rules::dependency_cycle, Severity::error, 11, 19, "spec.charts[0].dependsOn[0]",
                 "dependency cycle: alpha -> gamma -> beta -> alpha");
}

TEST(StackRules, CyclePointsAtTheEntryThatClosesIt) {
  const Diagnostics findings = check("    - name: base\n"              // 10
                                     "    - name: alpha\n"             // 11
                                     "      dependsOn: [base, beta]\n" // 12
                                     "    - name: beta\n"              // 13
                                     "      dependsOn: [alpha]\n");    // 14

  expect_finding(findings, rules::dependency_cycle, Severity::error, 12, 25, "spec.charts[1].dependsOn[1]",
                 "dependency cycle: alpha -> beta -> alpha");
}

TEST(StackRules, ReleaseCollisionIsReportedAtTheSecondChart) {
  const Diagnostics findings = check("    - name: api\n"             // 10
                                     "      namespace: web\n"        // 11
                                     "      releaseName: server\n"   // 12
                                     "    - name: ui\n"              // 13
                                     "      namespace: web\n"        // 14
                                     "      releaseName: server\n"); // 15

  expect_finding(findings, rules::release_collision, Severity::error, 15, 20, "spec.charts[1].releaseName",
                 R"(charts "api" and "ui" both install release "server" in namespace "web")");
}

TEST(StackRules, DefaultReleaseNamesCollideToo) {
  // "ui" installs release "ui" in namespace "ui" by default; "api" claims the same pair explicitly.
  const Diagnostics findings = check("    - name: api\n"       // 10
                                     "      namespace: ui\n"   // 11
                                     "      releaseName: ui\n" // 12
                                     "    - name: ui\n");      // 13

  expect_finding(findings, rules::release_collision, Severity::error, 13, 7, "spec.charts[1].releaseName",
                 R"(charts "api" and "ui" both install release "ui" in namespace "ui")");
}

TEST(StackRules, SameReleaseNameInAnotherNamespaceIsFine) {
  const Diagnostics findings = check("    - name: api\n"
                                     "      releaseName: server\n"
                                     "    - name: ui\n"
                                     "      releaseName: server\n");

  EXPECT_TRUE(findings.empty()) << test::describe(findings);
}

TEST(StackRules, TimeoutWithoutWaitIsAWarning) {
  const Diagnostics findings = check("    - name: app\n"      // 10
                                     "      timeout: 15m\n"); // 11

  expect_finding(findings, rules::timeout_without_wait, Severity::warning, 11, 16, "spec.charts[0].timeout",
                 R"(timeout has no effect on chart "app" without wait: true)");
}

TEST(StackRules, InOperatorWithoutValuesIsRefused) {
  const Diagnostics findings = check_spec("  targets:\n"              // 7
                                          "    selector:\n"           // 8
                                          "      matchExpressions:\n" // 9
                                          "        - key: gpu\n"      // 10
                                          "          operator: In\n"  // 11
                                          "  charts:\n"
                                          "    - name: app\n");

  expect_finding(findings, rules::selector_requirement, Severity::error, 10, 11,
                 "spec.targets.selector.matchExpressions[0]", "operator In needs at least one value");
}

TEST(StackRules, ExistsOperatorWithValuesIsRefused) {
  const Diagnostics findings = check_spec("  targets:\n"                                      // 7
                                          "    selector:\n"                                   // 8
                                          "      matchExpressions:\n"                         // 9
                                          "        - {key: gpu, operator: In, values: [a]}\n" // 10
                                          "        - key: zone\n"                             // 11
                                          "          operator: Exists\n"                      // 12
                                          "          values: [eu]\n"                          // 13
                                          "  charts:\n"
                                          "    - name: app\n");

  expect_finding(findings, rules::selector_requirement, Severity::error, 13, 19,
                 "spec.targets.selector.matchExpressions[1].values", "operator Exists takes no values");
}

TEST(StackRules, OverrideSelectorsAreCheckedToo) {
  const Diagnostics findings = check("    - name: app\n"                                         // 10
                                     "      overrides:\n"                                        // 11
                                     "        - selector:\n"                                     // 12
                                     "            matchExpressions:\n"                           // 13
                                     "              - {key: gpu, operator: NotIn, values: []}\n" // 14
                                     "          values: {inline: {}}\n");

  expect_finding(findings, rules::selector_requirement, Severity::error, 14, 17,
                 "spec.charts[0].overrides[0].selector.matchExpressions[0]",
                 "operator NotIn needs at least one value");
}

// --- Policy rules. ---

TEST(StackRules, ProdRefusesPlainHttpRepositories) {
  const Diagnostics findings = check("    - name: app\n"                        // 10
                                     "      repo: http://charts.example.com\n", // 11
                                     "  env: prod\n");

  expect_finding(
      findings, rules::repo_scheme, Severity::error, 11, 13, "spec.charts[0].repo",
      R"(repo "http://charts.example.com" uses http://, which policy "herd-default" does not allow )"
      "for env prod (allowed: https://, oci://)");
}

TEST(StackRules, DevAllowsPlainHttpRepositories) {
  const Diagnostics findings =
      check("    - name: app\n      repo: http://charts.example.com\n", "  env: dev\n");

  EXPECT_TRUE(findings.empty()) << test::describe(findings);
}

TEST(StackRules, TooManyChartsForThePolicy) {
  Policy policy = default_policy();
  policy.environments["dev"].max_charts = 2;

  const Diagnostics findings = check("    - name: a\n    - name: b\n    - name: c\n", "", policy);

  expect_finding(findings, rules::too_many_charts, Severity::error, 10, 5, "spec.charts",
                 R"(the Stack has 3 charts; policy "herd-default" allows at most 2 for env dev)");
}

TEST(StackRules, NamespaceWithoutTenancyRuleIsRefused) {
  Policy policy = default_policy();
  policy.tenancy = {TenancyRule{{"team-a"}, {"fleet-default"}, LabelSelector{}}};

  const Diagnostics findings = check("    - name: app\n", "", policy, "team-b");

  expect_finding(findings, rules::workspace_not_allowed, Severity::error, 5, 14, "metadata.namespace",
                 R"(policy "herd-default" allows no Stacks in namespace "team-b")");
}

TEST(StackRules, WorkspaceOutsideTheTenancyRuleIsRefused) {
  Policy policy = default_policy();
  policy.tenancy = {TenancyRule{{"team-a"}, {"fleet-team-a"}, LabelSelector{}}};

  const Diagnostics findings = check("    - name: app\n", "  workspace: fleet-default\n", policy, "team-a");

  expect_finding(findings, rules::workspace_not_allowed, Severity::error, 11, 14, "spec.workspace",
                 R"(Stacks in namespace "team-a" may not use Fleet workspace "fleet-default" )"
                 R"((policy "herd-default" allows: fleet-team-a))");
}

Policy policy_with_tenancy_selector() {
  Policy policy = default_policy();
  LabelSelector allowed;
  allowed.match_labels["tenant"] = "team-a";
  allowed.match_expressions.push_back({"tier", "NotIn", {"restricted"}});
  policy.tenancy = {TenancyRule{{"team-a"}, {"fleet-default"}, allowed}};
  return policy;
}

TEST(StackRules, SelectorIncludingTheTenancySelectorStaysWithinIt) {
  const Diagnostics findings = check_spec("  targets:\n"
                                          "    selector:\n"
                                          "      matchLabels: {tenant: team-a, gpu: a100}\n"
                                          "      matchExpressions:\n"
                                          "        - {key: tier, operator: In, values: [gold, silver]}\n"
                                          "  charts:\n"
                                          "    - name: app\n",
                                          policy_with_tenancy_selector(), "team-a");

  EXPECT_TRUE(findings.empty()) << findings.front().message;
}

TEST(StackRules, SelectorThatMayReachOtherTenantsClustersIsRefused) {
  const Diagnostics findings = check_spec("  targets:\n"
                                          "    selector:\n"
                                          "      matchLabels: {tenant: team-a}\n"
                                          "  charts:\n"
                                          "    - name: app\n",
                                          policy_with_tenancy_selector(), "team-a");

  expect_finding(findings, rules::targets_outside_tenancy, Severity::error, 9, 7, "spec.targets.selector",
                 R"(selector {tenant=team-a} may reach clusters outside the tenancy: policy "herd-default" )"
                 R"(restricts Stacks in namespace "team-a" to clusters matching tenant=team-a,tier NotIn )"
                 R"((restricted); add those requirements to the selector)");
}

TEST(StackRules, ClusterIdsCannotBeCheckedAgainstATenancySelector) {
  const Diagnostics findings = check("    - name: app\n", "", policy_with_tenancy_selector(), "team-a");

  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(findings[0].rule, rules::targets_outside_tenancy);
  EXPECT_EQ(findings[0].path, "spec.targets.clusterIds");
  EXPECT_THAT(findings[0].message, HasSubstr("target them with a selector"));
}

Stack stack_with_chart(const std::string& namespace_name, const std::string& release_name) {
  Stack stack;
  Chart chart;
  chart.name = "gpu-operator";
  chart.namespace_name = namespace_name;
  chart.release_name = release_name;
  stack.charts.push_back(chart);
  return stack;
}

TEST(StackRules, UpdateMayNotMoveAChartToAnotherNamespace) {
  Diagnostics findings;
  DiagnosticSink sink(findings, "", nullptr);

  check_stack_update(stack_with_chart("nvidia-gpu-operator", "gpu-operator"),
                     stack_with_chart("gpu-operator", "gpu-operator"), sink);

  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(findings[0].rule, rules::immutable_field);
  EXPECT_EQ(findings[0].path, "spec.charts[0].namespace");
  EXPECT_EQ(findings[0].message,
            R"(Invalid value: "gpu-operator": field is immutable (was "nvidia-gpu-operator"); moving a Helm )"
            R"(release between namespaces requires deleting and re-adding the chart)");
}

TEST(StackRules, UpdateMayNotRenameARelease) {
  Diagnostics findings;
  DiagnosticSink sink(findings, "", nullptr);

  check_stack_update(stack_with_chart("gpu", "gpu-operator"), stack_with_chart("gpu", "gpu-op"), sink);

  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(findings[0].path, "spec.charts[0].releaseName");
}

TEST(StackRules, UpdateMayAddAndRemoveCharts) {
  Diagnostics findings;
  DiagnosticSink sink(findings, "", nullptr);
  Stack updated = stack_with_chart("gpu", "gpu-operator");
  updated.charts[0].name = "qdrant";

  check_stack_update(stack_with_chart("gpu", "gpu-operator"), updated, sink);

  EXPECT_TRUE(findings.empty());
}

TEST(StackRules, JsonWithoutSourceMapGetsPathsOnly) {
  const nlohmann::json document = nlohmann::json::parse(R"({
    "apiVersion": "herd.suse.com/v1", "kind": "Stack", "metadata": {"name": "demo"},
    "spec": {"targets": {"clusterIds": ["x"]}, "charts": [{"name": "app", "dependsOn": ["app"]}]}})");
  Diagnostics out;
  DiagnosticSink sink(out, "", nullptr);

  check_stack_rules(stack_from_json(document), default_policy(), sink);

  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].rule, rules::self_dependency);
  EXPECT_EQ(out[0].path, "spec.charts[0].dependsOn[0]");
  EXPECT_EQ(out[0].line, 0);
  EXPECT_EQ(out[0].column, 0);
}

} // namespace
} // namespace herd::core
