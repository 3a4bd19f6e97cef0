#include "lint_helpers.hpp"

#include <herd/core/stack_mutator.hpp>
#include <herd/core/yaml_loader.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace herd::core {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

json yaml(std::string_view text) {
  YamlDocument document = parse_yaml_document(text, "stack.yaml");
  EXPECT_TRUE(document.parsed) << (document.diagnostics.empty() ? "" : document.diagnostics[0].message);
  return document.value;
}

// A Stack named `demo` in env `env` with the given charts (a YAML flow or block list at indentation 2).
json stack_in(std::string_view env, std::string_view charts, std::string_view extra_spec = "") {
  std::string text =
      "apiVersion: herd.suse.com/v1\nkind: Stack\nmetadata:\n  name: demo\n  namespace: team-a\nspec:\n";
  if (!env.empty()) {
    text += "  env: " + std::string(env) + "\n";
  }
  text += std::string(extra_spec);
  text += "  targets:\n    clusterIds: [c-m-gpu01]\n  charts:\n";
  text += std::string(charts);
  return yaml(text);
}

const Policy& policy() {
  return default_policy();
}

TEST(StackMutator, DefaultsFillWhatTheUserLeftOut) {
  json stack = stack_in("", "    - {name: app, repo: https://x.example, version: 1.0.0}\n");

  const MutationResult result = mutate_stack(stack, policy());

  EXPECT_TRUE(result.changed);
  const json& spec = stack["spec"];
  EXPECT_EQ(spec["env"], "dev");
  EXPECT_EQ(spec["security"], "disabled");
  EXPECT_EQ(spec["observability"], "disabled");
  EXPECT_EQ(spec["paused"], false);
  EXPECT_EQ(spec["workspace"], "fleet-default");
  const json& chart = spec["charts"][0];
  EXPECT_EQ(chart["chart"], "app");
  EXPECT_EQ(chart["namespace"], "app");
  EXPECT_EQ(chart["releaseName"], "app");
  EXPECT_EQ(chart["wait"], false);
  EXPECT_FALSE(chart.contains("timeout"));
  EXPECT_FALSE(chart.contains("values"));
  EXPECT_THAT(result.defaulted,
              ElementsAre("spec.env", "spec.security", "spec.observability", "spec.paused", "spec.workspace",
                          "spec.charts[0].chart", "spec.charts[0].namespace", "spec.charts[0].releaseName",
                          "spec.charts[0].wait"));
  EXPECT_THAT(result.injected, IsEmpty());
  EXPECT_THAT(result.warnings, IsEmpty());
}

TEST(StackMutator, UserFieldsAreKept) {
  json stack = stack_in(
      "staging",
      "    - {name: app, chart: app-chart, namespace: apps, releaseName: rel, repo: https://x.example,"
      " version: 1.0.0, wait: true, timeout: 15m}\n",
      "  workspace: team-space\n  paused: true\n");

  const MutationResult result = mutate_stack(stack, policy());

  const json& chart = stack["spec"]["charts"][0];
  EXPECT_EQ(chart["chart"], "app-chart");
  EXPECT_EQ(chart["namespace"], "apps");
  EXPECT_EQ(chart["releaseName"], "rel");
  EXPECT_EQ(chart["timeout"], "15m");
  EXPECT_EQ(stack["spec"]["env"], "staging");
  EXPECT_EQ(stack["spec"]["workspace"], "team-space");
  EXPECT_EQ(stack["spec"]["paused"], true);
  EXPECT_THAT(result.defaulted, ElementsAre("spec.security", "spec.observability"));
}

TEST(StackMutator, TimeoutDefaultsToFiveMinutesWhenWaiting) {
  json stack = stack_in("", "    - {name: app, repo: https://x.example, version: 1.0.0, wait: true}\n");

  const MutationResult result = mutate_stack(stack, policy());

  EXPECT_EQ(stack["spec"]["charts"][0]["timeout"], "5m");
  EXPECT_THAT(result.defaulted, Contains("spec.charts[0].timeout"));
}

TEST(StackMutator, OnlyTargetLocalUsesTheFleetLocalWorkspace) {
  json local = yaml("apiVersion: herd.suse.com/v1\nkind: Stack\nmetadata: {name: demo}\n"
                    "spec:\n  targets: {clusterIds: [local]}\n  charts: []\n");
  json mixed = yaml("apiVersion: herd.suse.com/v1\nkind: Stack\nmetadata: {name: demo}\n"
                    "spec:\n  targets: {clusterIds: [local], clusterGroup: gpus}\n  charts: []\n");

  mutate_stack(local, policy());
  mutate_stack(mixed, policy());

  EXPECT_EQ(local["spec"]["workspace"], "fleet-local");
  EXPECT_EQ(mixed["spec"]["workspace"], "fleet-default");
}

TEST(StackMutator, ValuesReferencesDefaultToValuesYaml) {
  json stack = stack_in("", "    - name: app\n      repo: https://x.example\n      version: 1.0.0\n"
                            "      values:\n        configMapRefs: [{name: a}, {name: b, key: other.yaml}]\n"
                            "        secretRefs: [{name: s}]\n");

  const MutationResult result = mutate_stack(stack, policy());

  const json& values = stack["spec"]["charts"][0]["values"];
  EXPECT_EQ(values["configMapRefs"], json::parse(R"([{"name": "a", "key": "values.yaml"},
                                                     {"name": "b", "key": "other.yaml"}])"));
  EXPECT_EQ(values["secretRefs"], json::parse(R"([{"name": "s", "key": "values.yaml"}])"));
  EXPECT_THAT(result.defaulted, Contains("spec.charts[0].values.configMapRefs[0].key"));
  EXPECT_THAT(result.defaulted, Contains("spec.charts[0].values.secretRefs[0].key"));
  EXPECT_THAT(result.defaulted, Not(Contains("spec.charts[0].values.configMapRefs[1].key")));
}

// --- Policy: features the environment requires. ---

TEST(StackMutator, ProdTurnsOnSecurityAndObservabilityWithWarnings) {
  json stack = stack_in("prod", "    - {name: app, repo: https://x.example, version: 1.0.0}\n");

  const MutationResult result = mutate_stack(stack, policy());

  EXPECT_EQ(stack["spec"]["security"], "enabled");
  EXPECT_EQ(stack["spec"]["observability"], "enabled");
  ASSERT_EQ(result.warnings.size(), 2U);
  EXPECT_EQ(result.warnings[0].message, "security enabled by policy for env prod");
  EXPECT_EQ(result.warnings[0].path, "spec.env"); // the user wrote nothing else to point at
  EXPECT_EQ(result.warnings[1].message, "observability enabled by policy for env prod");
  EXPECT_EQ(result.warnings[1].path, "spec.env");
  EXPECT_THAT(result.injected, Contains("spec.security"));
  EXPECT_THAT(result.injected, Contains("spec.observability"));
  EXPECT_THAT(result.defaulted, Not(Contains("spec.security")));
  EXPECT_THAT(result.defaulted, Not(Contains("spec.observability")));
}

TEST(StackMutator, ProdOverridesAnExplicitDisableAndPointsAtIt) {
  json stack = stack_in("prod", "    - {name: app, repo: https://x.example, version: 1.0.0}\n",
                        "  security: disabled\n");

  const MutationResult result = mutate_stack(stack, policy());

  EXPECT_EQ(stack["spec"]["security"], "enabled");
  ASSERT_EQ(result.warnings.size(), 2U);
  EXPECT_EQ(result.warnings[0].path, "spec.security");
  EXPECT_EQ(result.warnings[0].message, "security enabled by policy for env prod");
}

TEST(StackMutator, DevRequiresNothing) {
  json stack = stack_in("dev", "    - {name: qdrant, repo: https://x.example, version: 1.0.0}\n");

  const MutationResult result = mutate_stack(stack, policy());

  EXPECT_EQ(stack["spec"]["security"], "disabled");
  EXPECT_THAT(result.warnings, IsEmpty());
  EXPECT_FALSE(stack["spec"]["charts"][0].contains("values"));
}

// --- Policy: values overlays of enabled features. ---

TEST(StackMutator, ObservabilityInjectsQdrantServiceMonitorValues) {
  json stack =
      stack_in("dev", "    - {name: qdrant, repo: https://qdrant.github.io/qdrant-helm, version: 0.7.4}\n",
               "  observability: enabled\n");

  const MutationResult result = mutate_stack(stack, policy());

  EXPECT_EQ(stack["spec"]["charts"][0]["values"]["inline"], json::parse(R"({
    "metrics": {"serviceMonitor": {"enabled": true,
                                   "additionalLabels": {"observability.suse.com/agent": "scrape"}}}})"));
  EXPECT_THAT(result.injected, ElementsAre("spec.charts[0].values.inline.metrics"));
}

TEST(StackMutator, UserValuesWinOverPolicyOverlays) {
  json stack = stack_in(
      "prod", "    - name: qdrant\n      repo: https://qdrant.github.io/qdrant-helm\n      version: 0.7.4\n"
              "      values:\n        inline:\n          metrics:\n            serviceMonitor:\n"
              "              enabled: false\n");

  const MutationResult result = mutate_stack(stack, policy());

  const json& monitor = stack["spec"]["charts"][0]["values"]["inline"]["metrics"]["serviceMonitor"];
  EXPECT_EQ(monitor["enabled"], false);
  EXPECT_EQ(monitor["additionalLabels"], json::parse(R"({"observability.suse.com/agent": "scrape"})"));
  EXPECT_THAT(result.injected,
              Contains("spec.charts[0].values.inline.metrics.serviceMonitor.additionalLabels"));
  EXPECT_THAT(result.injected, Not(Contains("spec.charts[0].values.inline.metrics.serviceMonitor.enabled")));
}

TEST(StackMutator, OverlaysFollowTheChartInTheRepoNotTheEntryName) {
  json stack = stack_in(
      "dev",
      "    - {name: vectors, chart: qdrant, repo: https://qdrant.github.io/qdrant-helm, version: 0.7.4}\n",
      "  observability: enabled\n");

  mutate_stack(stack, policy());

  EXPECT_EQ(stack["spec"]["charts"][0]["values"]["inline"]["metrics"]["serviceMonitor"]["enabled"], true);
}

TEST(StackMutator, SecurityLabelsPodsWithTheNeuVectorServiceName) {
  json stack =
      stack_in("dev", "    - {name: ollama, repo: https://otwld.github.io/ollama-helm/, version: 0.59.0}\n",
               "  security: enabled\n");

  const MutationResult result = mutate_stack(stack, policy());

  EXPECT_EQ(stack["spec"]["charts"][0]["values"]["inline"],
            json::parse(R"({"podLabels": {"io.neuvector.service.name": "demo-ollama"}})"));
  EXPECT_THAT(result.injected, ElementsAre("spec.charts[0].values.inline.podLabels"));
}

TEST(StackMutator, ChartsWithoutOverlaysGetNothingInvented) {
  json stack =
      stack_in("prod", "    - {name: kserve, repo: https://kserve.github.io/charts, version: 0.11.2}\n");

  mutate_stack(stack, policy());

  EXPECT_FALSE(stack["spec"]["charts"][0].contains("values"));
}

// --- Annotations. ---

TEST(StackMutator, AnnotationsRecordThePolicyAndTheInjectedPaths) {
  json stack =
      stack_in("prod", "    - {name: qdrant, repo: https://qdrant.github.io/qdrant-helm, version: 0.7.4}\n");

  mutate_stack(stack, policy());

  const json& annotations = stack["metadata"]["annotations"];
  EXPECT_EQ(annotations[std::string(k_policy_annotation)], "herd-default@sha256:" + policy().sha256);
  EXPECT_EQ(policy().sha256.size(), 64U);
  EXPECT_EQ(json::parse(annotations[std::string(k_injected_annotation)].get<std::string>()),
            json::parse(R"(["/spec/charts/0/values/inline/metrics", "/spec/charts/0/values/inline/podLabels",
                            "/spec/observability", "/spec/security"])"));
}

TEST(StackMutator, InjectedAnnotationKeepsWhatAnEarlierPolicyInjected) {
  json stack = stack_in("prod", "    - {name: app, repo: https://x.example, version: 1.0.0}\n");
  stack["metadata"]["annotations"] = {
      {std::string(k_injected_annotation), R"(["/spec/charts/0/values/inline/old"])"}};

  mutate_stack(stack, policy());

  EXPECT_EQ(
      json::parse(stack["metadata"]["annotations"][std::string(k_injected_annotation)].get<std::string>()),
      json::parse(R"(["/spec/charts/0/values/inline/old", "/spec/observability", "/spec/security"])"));
}

// --- Idempotence: the mutating webhook's second admission is a no-op. ---

TEST(StackMutator, MutatingItsOwnOutputChangesNothing) {
  json stack = stack_in(
      "prod", "    - {name: qdrant, repo: https://qdrant.github.io/qdrant-helm, version: 0.7.4, wait: true}\n"
              "    - name: app\n      repo: https://x.example\n      version: 1.0.0\n"
              "      values: {configMapRefs: [{name: a}]}\n");
  const MutationResult first = mutate_stack(stack, policy());
  ASSERT_TRUE(first.changed);
  const json once = stack;

  const MutationResult second = mutate_stack(stack, policy());

  EXPECT_FALSE(second.changed);
  EXPECT_EQ(stack, once);
  EXPECT_THAT(second.defaulted, IsEmpty());
  EXPECT_THAT(second.injected, IsEmpty());
  EXPECT_THAT(second.warnings, IsEmpty());
}

TEST(StackMutator, SeedRagPlatformMutationIsIdempotent) {
  json stack = yaml(test::k_rag_inference_platform);
  const MutationResult first = mutate_stack(stack, policy());
  ASSERT_TRUE(first.changed);
  EXPECT_THAT(first.warnings, IsEmpty()); // security and observability are already enabled
  const json once = stack;

  const MutationResult second = mutate_stack(stack, policy());

  EXPECT_FALSE(second.changed);
  EXPECT_EQ(stack, once);
}

// --- Broken input is left for the schema check. ---

TEST(StackMutator, WrongTypesAreLeftAlone) {
  json stack = yaml("apiVersion: herd.suse.com/v1\nkind: Stack\nmetadata: {name: demo}\n"
                    "spec:\n  env: 5\n  targets: []\n  charts: [7, {name: 3, values: nope}]\n");

  const MutationResult result = mutate_stack(stack, policy());

  EXPECT_EQ(stack["spec"]["env"], 5);
  EXPECT_EQ(stack["spec"]["targets"], json::array());
  EXPECT_FALSE(stack["spec"].contains("workspace"));
  EXPECT_EQ(stack["spec"]["charts"][0], 7);
  EXPECT_EQ(stack["spec"]["charts"][1]["name"], 3);
  EXPECT_EQ(stack["spec"]["charts"][1]["values"], "nope");
  EXPECT_FALSE(stack["spec"]["charts"][1].contains("namespace"));
  EXPECT_THAT(result.warnings, IsEmpty());
}

TEST(StackMutator, DocumentWithoutSpecIsUntouched) {
  json not_object = json::array();
  json no_spec = json::parse(R"({"apiVersion": "herd.suse.com/v1", "kind": "Stack"})");

  const MutationResult a = mutate_stack(not_object, policy());
  const MutationResult b = mutate_stack(no_spec, policy());

  EXPECT_FALSE(a.changed);
  EXPECT_FALSE(b.changed);
  EXPECT_EQ(no_spec, json::parse(R"({"apiVersion": "herd.suse.com/v1", "kind": "Stack"})"));
}

} // namespace
} // namespace herd::core
