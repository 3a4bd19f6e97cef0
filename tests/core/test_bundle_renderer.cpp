// The Fleet mapping (DESIGN §5): every Bundle Herd renders is one Fleet accepts (checked against Fleet's own
// CRD schema, read at test time), and says what the Stack means.

#include "fleet_schema.hpp"
#include "lint_helpers.hpp"

#include <herd/core/bundle_renderer.hpp>
#include <herd/core/dependency_graph.hpp>
#include <herd/core/diagnostic_sink.hpp>
#include <herd/core/policy.hpp>
#include <herd/core/sha256.hpp>
#include <herd/core/stack.hpp>
#include <herd/core/yaml_loader.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace herd::core {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// A Stack as the reconciler sees it: checked by the one Linter, with defaults and policy injection applied.
struct EffectiveStack {
  Stack stack;
  json document;
  Diagnostics findings;
};

// `yaml` (one Stack) through Linter::check_stack, as plan and the reconciler take it; a test failure when it
// has errors.
EffectiveStack effective_stack(std::string_view yaml) {
  static const std::shared_ptr<Linter> linter = test::make_linter();
  static const std::string file = "stack.yaml";
  EffectiveStack out;
  YamlDocument document = parse_yaml_document(yaml, file);
  if (!document.parsed || linter == nullptr) {
    ADD_FAILURE() << "the test Stack does not parse:\n" << test::describe(document.diagnostics);
    return out;
  }
  DiagnosticSink sink(out.findings, file, &document.source_map);
  linter->check_stack(std::move(document.value), sink, nullptr, &out.document);
  if (has_errors(out.findings)) {
    ADD_FAILURE() << "the test Stack has errors:\n" << test::describe(out.findings);
  }
  out.stack = stack_from_json(out.document);
  return out;
}

// The Bundles of the effective Stack of `yaml` under the built-in policy.
RenderedStack render(std::string_view yaml, const ConfigMapValues& config_maps = {}) {
  return render_bundles(effective_stack(yaml).stack, default_policy(), config_maps);
}

// The Bundle rendered for `chart` ("" = the policy Bundle); a test failure and an empty object when there is
// none.
const json& bundle_of(const RenderedStack& rendered, const std::string& chart) {
  static const json none = json::object();
  for (const auto& bundle : rendered.bundles) {
    if (bundle.chart() == chart) {
      return bundle.object();
    }
  }
  ADD_FAILURE() << "no Bundle for chart \"" << chart << "\"";
  return none;
}

bool has_policy_bundle(const RenderedStack& rendered) {
  return std::any_of(rendered.bundles.begin(), rendered.bundles.end(),
                     [](const RenderedBundle& bundle) { return bundle.chart().empty(); });
}

// ConfigMaps known by "name/key", standing in for the ones next to the Stack.
ConfigMapValues config_maps(std::map<std::string, json> known) {
  return [known = std::move(known)](const std::string& name, const std::string& key) -> std::optional<json> {
    const auto found = known.find(name + "/" + key);
    return found == known.end() ? std::nullopt : std::optional<json>(found->second);
  };
}

// The objects in the policy Bundle's resources, parsed back from their YAML as the Fleet agent reads them.
std::vector<json> policy_manifests(const json& policy_bundle) {
  std::vector<json> out;
  for (const auto& resource : policy_bundle["spec"]["resources"]) {
    const YamlDocument document = parse_yaml_document(resource["content"].get<std::string>(), "resource");
    EXPECT_TRUE(document.parsed) << resource["name"];
    out.push_back(document.value);
  }
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// Every feature of the Stack API at once: all three target kinds, overrides by ids, by selector and by both,
// ConfigMap and Secret values, wait with and without a timeout, a chart name differing from its repo chart, a
// shared namespace, paused, security and observability.
constexpr std::string_view k_every_feature = R"(apiVersion: herd.suse.com/v1
kind: Stack
metadata:
  name: everything
  namespace: team-a
spec:
  env: staging
  security: enabled
  observability: enabled
  paused: true
  targets:
    clusterIds: [c-m-gpu01, c-m-gpu02]
    selector:
      matchLabels:
        gpu: "true"
      matchExpressions:
        - {key: region, operator: In, values: [eu, us]}
        - {key: quarantined, operator: DoesNotExist}
    clusterGroup: gpu-fleet
  charts:
    - name: gpu-operator
      repo: https://helm.ngc.nvidia.com/nvidia
      version: v23.9.1
      namespace: gpu-operator
      values:
        configMapRefs:
          - name: gpu-base
          - name: gpu-site
            key: site.yaml
        secretRefs:
          - name: ngc-credentials
        inline:
          driver:
            enabled: true
      wait: true
      timeout: 1h30m
      overrides:
        - clusterIds: [c-m-gpu01]
          values:
            inline:
              driver:
                version: "550"
        - selector:
            matchLabels:
              gpu-model: a100
          values:
            inline:
              mig:
                strategy: mixed
        - clusterIds: [c-m-gpu02]
          selector:
            matchExpressions:
              - {key: gpu-model, operator: In, values: [h100]}
          values:
            inline:
              mig:
                strategy: single
    - name: qdrant
      repo: https://qdrant.github.io/qdrant-helm
      version: "0.7.4"
      namespace: vector-db
      values:
        inline:
          metrics:
            serviceMonitor:
              enabled: false
      dependsOn: [gpu-operator]
      wait: true
    - name: llm
      chart: ollama
      repo: oci://registry.example.com/charts
      version: "0.59.0"
      namespace: vector-db
      releaseName: llm-server
      dependsOn: [gpu-operator, qdrant]
)";

const ConfigMapValues k_every_feature_config_maps = config_maps(
    {{"gpu-base/values.yaml", {{"driver", {{"enabled", false}, {"version", "535"}}}, {"mig", "none"}}},
     {"gpu-site/site.yaml", {{"mig", {{"strategy", "single"}}}, {"site", "eu-1"}}}});

// A Stack `name` in namespace default with `spec_fields` (targets included) and one chart "app" with
// `chart_fields` (indented 6 spaces); more charts may be appended.
std::string
one_chart_stack(const std::string& name, const std::string& spec_fields, const std::string& chart_fields) {
  return "apiVersion: herd.suse.com/v1\nkind: Stack\nmetadata:\n  name: " + name +
         "\n  namespace: default\nspec:\n" + spec_fields +
         "  charts:\n    - name: app\n      repo: https://charts.example.com\n      version: \"1.2.3\"\n" +
         chart_fields;
}

// ---------------------------------------------------------------------------------------------------------------
// The checker itself: it must catch what Fleet refuses, or passing it means nothing.

TEST(FleetBundleSchema, LoadsTheBundleCrdFromTheSharedReference) {
  const test::FleetBundleSchema& schema = test::FleetBundleSchema::get();

  ASSERT_EQ(schema.load_error(), "");
  EXPECT_TRUE(schema.openapi()["properties"]["spec"]["properties"].contains("helmOpOptions"));
  EXPECT_EQ(
      schema.openapi()["properties"]["spec"]["properties"]["helm"]["properties"]["releaseName"]["maxLength"],
      53);
}

TEST(FleetBundleSchema, AcceptsAMinimalBundle) {
  const json bundle = {
      {"apiVersion", "fleet.cattle.io/v1alpha1"},
      {"kind", "Bundle"},
      {"metadata", {{"name", "default-demo-app"}, {"namespace", "fleet-default"}}},
      {"spec", {{"helm", {{"chart", "app"}}}, {"targets", json::array({{{"clusterGroup", "g"}}})}}}};

  EXPECT_THAT(test::fleet_problems(bundle), IsEmpty());
}

TEST(FleetBundleSchema, RejectsWrongTypesAndFleetsReleaseNameLimits) {
  const test::FleetBundleSchema& schema = test::FleetBundleSchema::get();
  json bundle = {{"apiVersion", "fleet.cattle.io/v1alpha1"},
                 {"kind", "Bundle"},
                 {"metadata", {{"name", "default-demo-app"}, {"namespace", "fleet-default"}}},
                 {"spec", {{"helm", {{"timeoutSeconds", "900"}}}}}};
  EXPECT_THAT(schema.validation_errors(bundle),
              ElementsAre(StartsWith("<root> [spec] [helm] [timeoutSeconds]: ")));

  bundle["spec"]["helm"] = {{"releaseName", std::string(54, 'a')}};
  EXPECT_THAT(schema.validation_errors(bundle),
              ElementsAre(StartsWith("<root> [spec] [helm] [releaseName]: ")));

  bundle["spec"]["helm"] = {{"releaseName", "Not_A_Release"}};
  EXPECT_THAT(schema.validation_errors(bundle),
              ElementsAre(StartsWith("<root> [spec] [helm] [releaseName]: ")));

  bundle["spec"]["helm"] = json::object();
  bundle["spec"]["namespaceLabels"] = {{"team", 1}};
  EXPECT_THAT(schema.validation_errors(bundle),
              ElementsAre(StartsWith("<root> [spec] [namespaceLabels] [team]: ")));

  bundle["spec"].erase("namespaceLabels");
  bundle["spec"]["targets"] = json::array({{{"clusterSelector", {{"matchExpressions", {{{"key", "a"}}}}}}}});
  EXPECT_THAT(
      schema.validation_errors(bundle),
      ElementsAre(StartsWith("<root> [spec] [targets] [0] [clusterSelector] [matchExpressions] [0]: ")))
      << "operator is required";
}

TEST(FleetBundleSchema, FlagsEveryFieldTheSchemaDoesNotDeclare) {
  const json bundle = {
      {"apiVersion", "fleet.cattle.io/v1alpha1"},
      {"kind", "Bundle"},
      {"metadata", {{"name", "default-demo-app"}, {"namespace", "fleet-default"}, {"generation", 3}}},
      {"spec",
       {{"helmAppOptions", json::object()}, // the Fleet v0.12 name of helmOpOptions
        {"helm", {{"valuesFromm", json::array()}, {"values", {{"anything", {{"goes", {1, 2}}}}}}}},
        {"namespaceLabels", {{"any-key", "v"}}},
        {"targets", json::array({{{"clusterIds", json::array({"c-m-1"})}}, {{"clusterGroup", "g"}}})}}},
      {"extra", true}};

  EXPECT_THAT(test::FleetBundleSchema::get().undeclared_fields(bundle),
              ElementsAre("extra", "metadata.generation", "spec.helm.valuesFromm", "spec.helmAppOptions",
                          "spec.targets[0].clusterIds"));
}

TEST(FleetBundleSchema, NullableFieldsValidateButHerdRendersNoNulls) {
  const json bundle = {{"apiVersion", "fleet.cattle.io/v1alpha1"},
                       {"kind", "Bundle"},
                       {"metadata", {{"name", "default-demo-app"}, {"namespace", "fleet-default"}}},
                       {"spec", {{"helm", {{"chart", nullptr}, {"values", {{"removed-key", nullptr}}}}}}}};

  EXPECT_THAT(test::FleetBundleSchema::get().validation_errors(bundle), IsEmpty());
  EXPECT_THAT(test::FleetBundleSchema::get().null_fields(bundle), ElementsAre("spec.helm.chart"));
}

TEST(FleetBundleSchema, MetadataMustFitFleetAndKubernetesLimits) {
  const json bundle = {{"apiVersion", "fleet.cattle.io/v1alpha1"},
                       {"kind", "Bundle"},
                       {"metadata",
                        {{"name", std::string(54, 'a')},
                         {"namespace", "fleet-default"},
                         {"labels", {{"herd.suse.com/stack", std::string(64, 'x')}, {"bad key!", "v"}}}}}};

  EXPECT_THAT(test::metadata_problems(bundle),
              ElementsAre("metadata.name \"" + std::string(54, 'a') +
                              "\" is not a DNS-1123 label of at most 53 characters",
                          "label key \"bad key!\" is not a qualified name",
                          "label herd.suse.com/stack=\"" + std::string(64, 'x') +
                              "\" is not a valid label value (at most 63 characters)"));
}

// ---------------------------------------------------------------------------------------------------------------
// Fleet accepts every Bundle Herd renders.

TEST(BundleRendererFleetSchema, EveryExampleRendersBundlesFleetAccepts) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(HERD_SOURCE_DIR) + "/examples")) {
    if (entry.path().extension() == ".yaml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 8U);

  for (const auto& path : files) {
    SCOPED_TRACE(path.filename().string());
    const EffectiveStack effective = effective_stack(read_file(path));
    const RenderedStack rendered = render_bundles(effective.stack, default_policy());

    ASSERT_FALSE(effective.stack.charts.empty());
    EXPECT_EQ(rendered.bundles.size(), effective.stack.charts.size() + (has_policy_bundle(rendered) ? 1 : 0));
    for (const auto& bundle : rendered.bundles) {
      EXPECT_THAT(test::fleet_problems(bundle.object()), IsEmpty())
          << bundle.object()["metadata"]["name"] << "\n"
          << test::lines_text(test::fleet_problems(bundle.object()));
    }
  }
}

struct FeatureCase {
  std::string name; // test name suffix
  std::string yaml;
  ConfigMapValues config_maps;
};

FeatureCase feature_case(std::string name, std::string yaml, ConfigMapValues known = {}) {
  return {std::move(name), std::move(yaml), std::move(known)};
}

class FleetAcceptsTheBundlesOf : public ::testing::TestWithParam<FeatureCase> {};

TEST_P(FleetAcceptsTheBundlesOf, GeneratedStack) {
  const RenderedStack rendered = render(GetParam().yaml, GetParam().config_maps);

  ASSERT_FALSE(rendered.bundles.empty());
  for (const auto& bundle : rendered.bundles) {
    EXPECT_THAT(test::fleet_problems(bundle.object()), IsEmpty())
        << bundle.object()["metadata"]["name"] << "\n"
        << test::lines_text(test::fleet_problems(bundle.object())) << bundle.object().dump(2);
  }
}

std::string feature_case_name(const ::testing::TestParamInfo<FeatureCase>& param) {
  return param.param.name;
}

std::vector<FeatureCase> feature_cases() {
  return {
      feature_case("EveryFeatureWithConfigMapValues", std::string(k_every_feature),
                   k_every_feature_config_maps),
      feature_case("EveryFeatureWithoutConfigMapValues", std::string(k_every_feature)),
      feature_case("OverrideByClusterIds",
                   one_chart_stack("ids", "  targets:\n    clusterIds: [c-m-a, c-m-b]\n",
                                   "      overrides:\n        - clusterIds: [c-m-a]\n"
                                   "          values: {inline: {replicas: 2}}\n")),
      feature_case("OverrideBySelector",
                   one_chart_stack("sel", "  targets:\n    selector: {matchLabels: {env: prod}}\n",
                                   "      overrides:\n        - selector: {matchLabels: {zone: a}}\n"
                                   "          values: {inline: {replicas: 2}}\n")),
      feature_case("OverrideByIdsAndSelector",
                   one_chart_stack("both", "  targets:\n    clusterGroup: gpus\n",
                                   "      overrides:\n        - clusterIds: [c-m-a]\n"
                                   "          selector: {matchExpressions: [{key: zone, operator: Exists}]}\n"
                                   "          values: {inline: {replicas: 2}}\n")),
      feature_case("SecretRefs",
                   one_chart_stack("secrets", "  targets:\n    clusterIds: [c-m-a]\n",
                                   "      values:\n        secretRefs:\n          - name: creds\n"
                                   "          - {name: more, key: extra.yaml}\n")),
      feature_case("WaitWithoutTimeout",
                   one_chart_stack("waiting", "  targets:\n    clusterIds: [c-m-a]\n", "      wait: true\n")),
      feature_case("NoWait", one_chart_stack("fire-and-forget", "  targets:\n    clusterIds: [c-m-a]\n", "")),
      feature_case("PausedOnTheLocalCluster",
                   one_chart_stack("paused", "  paused: true\n  targets:\n    clusterIds: [local]\n", "")),
      feature_case("ClusterGroupOnly", one_chart_stack("group", "  targets:\n    clusterGroup: gpus\n", "")),
      feature_case("LongStackNameSecurityAndObservabilityOn",
                   one_chart_stack("a-stack-name-long-enough-to-push-every-bundle-name.over-fleet-limits",
                                   "  security: enabled\n  observability: enabled\n"
                                   "  targets:\n    clusterIds: [c-m-a]\n",
                                   "      chart: qdrant\n      wait: true\n      timeout: 90s\n")),
      feature_case("LongStackNameSecurityAndObservabilityOff",
                   one_chart_stack(std::string(200, 'n'), "  targets:\n    clusterIds: [c-m-a]\n", "")),
      feature_case("RagInferencePlatform", std::string(test::k_rag_inference_platform)),
      feature_case("ValuesThatNeedEscaping",
                   one_chart_stack(
                       "escaped", "  targets:\n    clusterIds: [c-m-a]\n",
                       "      values:\n        inline:\n"
                       "          note: \"say \\\"hi\\\" \\\\ \\u00fcn\\u00efc\\u00f8d\\u00e9 \\t \\u0001\"\n"
                       "          controls: \"\\b\\f\\n\\r\\u001f\\u007f/\"\n"
                       "          \"key with \\\"quotes\\\"\": x\n"))};
}

INSTANTIATE_TEST_SUITE_P(BundleRendererFleetSchema,
                         FleetAcceptsTheBundlesOf,
                         ::testing::ValuesIn(feature_cases()),
                         feature_case_name);

// The renderer writes each Bundle's JSON text directly; it must be exactly what dumping the object gives
// (keys sorted, compact, the same escaping), or Bundles would change bytes (and rendered-hash) between
// versions.
class BundleTextOf : public ::testing::TestWithParam<FeatureCase> {};

TEST_P(BundleTextOf, GeneratedStackIsTheCanonicalDumpOfItsObject) {
  const RenderedStack rendered = render(GetParam().yaml, GetParam().config_maps);

  ASSERT_FALSE(rendered.bundles.empty());
  for (const auto& bundle : rendered.bundles) {
    EXPECT_EQ(json::parse(bundle.text()).dump(), bundle.text());
    EXPECT_EQ(bundle.object().dump(), bundle.text());
  }
}

INSTANTIATE_TEST_SUITE_P(BundleRenderer,
                         BundleTextOf,
                         ::testing::ValuesIn(feature_cases()),
                         feature_case_name);

// Why Herd has no lint for "a dependent reaches clusters its dependency does not" (Fleet fails those
// deployments): every chart Bundle of a Stack reaches exactly the Stack's targets. Overrides add targets only
// to pick values, and targetRestrictions (the Stack's targets) keep them inside. If this ever stops holding
// (per-chart targets), that lint is needed.
class DependencyReachOf : public ::testing::TestWithParam<FeatureCase> {};

TEST_P(DependencyReachOf, GeneratedStackIsTheSameForEveryChart) {
  const RenderedStack rendered = render(GetParam().yaml, GetParam().config_maps);

  std::optional<json> stack_reach;
  for (const auto& bundle : rendered.bundles) {
    const json& spec = bundle.object()["spec"];
    json plain_targets = json::array();
    bool overridden = false;
    for (const auto& target : spec["targets"]) {
      if (target["name"].get<std::string>().starts_with("override-")) {
        overridden = true;
      } else {
        plain_targets.push_back(target);
      }
    }
    if (overridden) {
      ASSERT_TRUE(spec.contains("targetRestrictions")) << bundle.chart();
      EXPECT_EQ(spec["targetRestrictions"], plain_targets) << bundle.chart();
    }
    if (!stack_reach) {
      stack_reach = plain_targets;
    }
    EXPECT_EQ(plain_targets, *stack_reach) << bundle.chart();
  }
}

INSTANTIATE_TEST_SUITE_P(BundleRenderer,
                         DependencyReachOf,
                         ::testing::ValuesIn(feature_cases()),
                         feature_case_name);

TEST(BundleRenderer, EveryExampleRendersCanonicalJsonText) {
  for (const auto& entry : std::filesystem::directory_iterator(std::string(HERD_SOURCE_DIR) + "/examples")) {
    if (entry.path().extension() != ".yaml") {
      continue;
    }
    SCOPED_TRACE(entry.path().filename().string());
    const EffectiveStack effective = effective_stack(read_file(entry.path()));
    for (const auto& bundle : render_bundles(effective.stack, default_policy()).bundles) {
      EXPECT_EQ(json::parse(bundle.text()).dump(), bundle.text());
    }
  }
}

// render_bundles is a library function: whatever a caller puts in the model, the text must stay valid JSON
// equal to dump()'s, including characters lint would never let through.
TEST(BundleRenderer, ControlCharactersInAnyFieldAreEscapedAsDumpEscapesThem) {
  Stack stack;
  stack.name = "odd";
  stack.namespace_name = "default";
  stack.workspace = "fleet-\x01"
                    "default";
  stack.targets.cluster_ids = {"c-m-\"a\"", "tab\there"};
  Chart chart;
  chart.name = "app";
  chart.chart = "app\b\f\n\r\x1f\x7f";
  chart.repo = "https://charts.example.com/\\path";
  chart.version = "1.0.0";
  chart.namespace_name = "ns";
  chart.release_name = "app\"quoted\"";
  stack.charts.push_back(chart);

  const RenderedStack rendered = render_bundles(stack, default_policy());

  ASSERT_EQ(rendered.bundles.size(), 1U);
  EXPECT_EQ(json::parse(rendered.bundles[0].text()).dump(), rendered.bundles[0].text());
  const json& helm = bundle_of(rendered, "app")["spec"]["helm"];
  EXPECT_EQ(helm["chart"], "app\b\f\n\r\x1f\x7f");
  EXPECT_EQ(helm["releaseName"], "app\"quoted\"");
  EXPECT_EQ(helm["repo"], "https://charts.example.com/\\path");
}

TEST(BundleRenderer, EscapedValuesSurviveTheTextIntact) {
  const RenderedStack rendered = render(feature_cases().back().yaml);

  const json& values = bundle_of(rendered, "app")["spec"]["helm"]["values"];
  EXPECT_EQ(values["note"], "say \"hi\" \\ \u00fcn\u00efc\u00f8d\u00e9 \t \u0001");
  EXPECT_EQ(values["key with \"quotes\""], "x");
  EXPECT_EQ(values["controls"], "\b\f\n\r\x1f\x7f/");
}

// ---------------------------------------------------------------------------------------------------------------
// What each Bundle says (DESIGN §5).

TEST(BundleRenderer, OneBundlePerChartInTheWorkspaceWithThePolicyBundleFirst) {
  const RenderedStack rendered = render(k_every_feature, k_every_feature_config_maps);

  ASSERT_EQ(rendered.bundles.size(), 4U);
  EXPECT_EQ(rendered.bundles[0].chart(), "");
  EXPECT_EQ(rendered.bundles[1].chart(), "gpu-operator");
  EXPECT_EQ(rendered.bundles[2].chart(), "qdrant");
  EXPECT_EQ(rendered.bundles[3].chart(), "llm");
  EXPECT_EQ(rendered.bundles[0].object()["metadata"]["name"], "team-a-everything-herd-policy");
  EXPECT_EQ(rendered.bundles[1].object()["metadata"]["name"], "team-a-everything-gpu-operator");
  EXPECT_EQ(rendered.bundles[3].object()["metadata"]["name"], "team-a-everything-llm");
  for (const auto& bundle : rendered.bundles) {
    EXPECT_EQ(bundle.object()["apiVersion"], "fleet.cattle.io/v1alpha1");
    EXPECT_EQ(bundle.object()["kind"], "Bundle");
    EXPECT_EQ(bundle.object()["metadata"]["namespace"], "fleet-default");
  }
}

TEST(BundleRenderer, LabelsNameTheManagerTheStackItsNamespaceAndTheChart) {
  const RenderedStack rendered = render(k_every_feature, k_every_feature_config_maps);

  const json expected = {{"app.kubernetes.io/managed-by", "herd"},
                         {"herd.suse.com/stack", "everything"},
                         {"herd.suse.com/stack-namespace", "team-a"},
                         {"herd.suse.com/chart", "qdrant"}};
  EXPECT_EQ(bundle_of(rendered, "qdrant")["metadata"]["labels"], expected);
}

TEST(BundleRenderer, TheOnlyAnnotationIsTheRenderedHash) {
  const RenderedStack rendered = render(k_every_feature, k_every_feature_config_maps);

  for (const auto& bundle : rendered.bundles) {
    const json& annotations = bundle.object()["metadata"]["annotations"];
    ASSERT_EQ(annotations.size(), 1U) << annotations;
    const std::string hash = annotations.value(std::string(k_rendered_hash_annotation), "");
    EXPECT_TRUE(std::regex_match(hash, std::regex("^[0-9a-f]{64}$"))) << hash;
    // Of the labels and the spec as JSON: a reconciler of another version recomputes it from the same bytes.
    EXPECT_EQ(hash, herd::core::sha256_hex(bundle.object()["metadata"]["labels"].dump() +
                                           bundle.object()["spec"].dump()));
  }
}

TEST(BundleRenderer, HelmOpOptionsAndTheRepoChartPullTheChartLiterally) {
  const RenderedStack rendered = render(k_every_feature, k_every_feature_config_maps);

  const json& spec = bundle_of(rendered, "llm")["spec"];
  EXPECT_EQ(spec["helmOpOptions"], json::object());
  EXPECT_EQ(spec["helm"]["repo"], "oci://registry.example.com/charts");
  EXPECT_EQ(spec["helm"]["chart"], "ollama");
  EXPECT_EQ(spec["helm"]["version"], "0.59.0");
  EXPECT_EQ(spec["helm"]["releaseName"], "llm-server");
  EXPECT_EQ(spec["helm"]["disablePreProcess"], true);
  EXPECT_EQ(spec["defaultNamespace"], "vector-db");
}

TEST(BundleRenderer, DefaultsGiveChartReleaseAndNamespaceTheChartName) {
  const RenderedStack rendered = render(test::stack_yaml());

  const json& spec = bundle_of(rendered, "app")["spec"];
  EXPECT_EQ(spec["helm"]["chart"], "app");
  EXPECT_EQ(spec["helm"]["releaseName"], "app");
  EXPECT_EQ(spec["helm"]["version"], "1.2.3");
  EXPECT_EQ(spec["defaultNamespace"], "app");
  EXPECT_FALSE(spec["helm"].contains("values")) << "no values, no helm.values";
}

TEST(BundleRenderer, WaitWithATimeoutBecomesTimeoutSecondsAndWaitForJobs) {
  const RenderedStack rendered = render(test::stack_yaml("      wait: true\n      timeout: 15m\n"));

  const json& helm = bundle_of(rendered, "app")["spec"]["helm"];
  EXPECT_EQ(helm["timeoutSeconds"], 900);
  EXPECT_EQ(helm["waitForJobs"], true);
}

TEST(BundleRenderer, WaitWithoutATimeoutWaitsTheDefaultFiveMinutes) {
  const RenderedStack rendered = render(test::stack_yaml("      wait: true\n"));

  EXPECT_EQ(bundle_of(rendered, "app")["spec"]["helm"]["timeoutSeconds"], 300);
  EXPECT_EQ(bundle_of(rendered, "app")["spec"]["helm"]["waitForJobs"], true);
}

TEST(BundleRenderer, WaitOnAStackTheLinterHasNotDefaultedStillWaitsFiveMinutes) {
  Stack stack = effective_stack(test::stack_yaml("      wait: true\n")).stack;
  ASSERT_EQ(stack.charts.size(), 1U);
  stack.charts[0].timeout.clear();

  const RenderedStack rendered = render_bundles(stack, default_policy());

  EXPECT_EQ(bundle_of(rendered, "app")["spec"]["helm"]["timeoutSeconds"], 300);
}

TEST(BundleRenderer, TimeoutsOfEveryGoDurationFormRoundUpToWholeSeconds) {
  const std::vector<std::pair<std::string, int>> cases = {
      {"90s", 90}, {"1h30m", 5400}, {"1.5h", 5400}, {"1500ms", 2}, {"2m0.5s", 121}};
  for (const auto& [timeout, seconds] : cases) {
    SCOPED_TRACE(timeout);
    const RenderedStack rendered =
        render(test::stack_yaml("      wait: true\n      timeout: \"" + timeout + "\"\n"));
    EXPECT_EQ(bundle_of(rendered, "app")["spec"]["helm"]["timeoutSeconds"], seconds);
  }
}

// A timeout Go cannot represent is refused by lint (HERD107), and the renderer never wraps it negative even
// when handed such a model directly.
TEST(BundleRenderer, TimeoutSecondsNeverWrapsNegative) {
  const auto findings =
      test::lint_text(test::stack_yaml("      wait: true\n      timeout: 99999999999999999999h\n"));
  ASSERT_EQ(findings.size(), 1U) << test::describe(findings);
  EXPECT_EQ(findings[0].rule, "HERD107");
  EXPECT_EQ(findings[0].line, 14);
  EXPECT_EQ(findings[0].column, 16);
  EXPECT_EQ(findings[0].message,
            "timeout \"99999999999999999999h\" is longer than Go's longest duration (2562047h)");

  Stack stack = effective_stack(test::stack_yaml("      wait: true\n")).stack;
  ASSERT_EQ(stack.charts.size(), 1U);
  stack.charts[0].timeout = "99999999999999999999h";
  const RenderedStack rendered = render_bundles(stack, default_policy());
  EXPECT_GT(bundle_of(rendered, "app")["spec"]["helm"]["timeoutSeconds"].get<long long>(), 0);
}

TEST(BundleRenderer, NoWaitMeansTimeoutZeroAndNoWaitForJobs) {
  const RenderedStack rendered = render(test::stack_yaml());

  const json& helm = bundle_of(rendered, "app")["spec"]["helm"];
  EXPECT_EQ(helm["timeoutSeconds"], 0);
  EXPECT_FALSE(helm.contains("waitForJobs"));
}

TEST(BundleRenderer, ClusterIdsSelectRancherClustersByTheirIdLabel) {
  const RenderedStack rendered = render(test::stack_yaml());

  const json expected = json::parse(R"([{"name": "cluster-ids", "clusterSelector": {"matchExpressions": [
      {"key": "management.cattle.io/cluster-name", "operator": "In", "values": ["c-m-gpu01"]}]}}])");
  EXPECT_EQ(bundle_of(rendered, "app")["spec"]["targets"], expected);
  EXPECT_FALSE(bundle_of(rendered, "app")["spec"].contains("targetRestrictions"));
}

TEST(BundleRenderer, SelectorBecomesTheClusterSelector) {
  const RenderedStack rendered = render(
      one_chart_stack("sel",
                      "  targets:\n    selector:\n      matchLabels: {gpu: \"true\", env: prod}\n"
                      "      matchExpressions:\n        - {key: zone, operator: NotIn, values: [b, c]}\n"
                      "        - {key: spare, operator: DoesNotExist}\n",
                      ""));

  const json expected = json::parse(R"([{"name": "selector", "clusterSelector": {
      "matchLabels": {"env": "prod", "gpu": "true"},
      "matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["b", "c"]},
                           {"key": "spare", "operator": "DoesNotExist"}]}}])");
  EXPECT_EQ(bundle_of(rendered, "app")["spec"]["targets"], expected);
}

TEST(BundleRenderer, ClusterGroupBecomesTheTargetsClusterGroup) {
  const RenderedStack rendered = render(one_chart_stack("group", "  targets:\n    clusterGroup: gpus\n", ""));

  const json expected = json::parse(R"([{"name": "cluster-group", "clusterGroup": "gpus"}])");
  EXPECT_EQ(bundle_of(rendered, "app")["spec"]["targets"], expected);
}

TEST(BundleRenderer, SeveralTargetKindsAreTheUnionOfOneFleetTargetEach) {
  const RenderedStack rendered = render(k_every_feature, k_every_feature_config_maps);

  const json& targets = bundle_of(rendered, "qdrant")["spec"]["targets"];
  ASSERT_EQ(targets.size(), 3U);
  EXPECT_EQ(targets[0], json::parse(R"({"name": "cluster-ids", "clusterSelector": {"matchExpressions": [
      {"key": "management.cattle.io/cluster-name", "operator": "In", "values": ["c-m-gpu01", "c-m-gpu02"]}]}})"));
  EXPECT_EQ(targets[1],
            json::parse(R"({"name": "selector", "clusterSelector": {"matchLabels": {"gpu": "true"},
      "matchExpressions": [{"key": "region", "operator": "In", "values": ["eu", "us"]},
                           {"key": "quarantined", "operator": "DoesNotExist"}]}})"));
  EXPECT_EQ(targets[2], json::parse(R"({"name": "cluster-group", "clusterGroup": "gpu-fleet"})"));
  for (const auto& target : targets) {
    EXPECT_EQ(target.size(), 2U) << "a name and one way of choosing clusters: " << target;
  }
}

TEST(BundleRenderer, OverridesComeFirstAndAreRestrictedToTheStacksTargets) {
  const RenderedStack rendered = render(k_every_feature, k_every_feature_config_maps);

  const json& spec = bundle_of(rendered, "gpu-operator")["spec"];
  const json& stack_targets = bundle_of(rendered, "qdrant")["spec"]["targets"];
  ASSERT_EQ(spec["targets"].size(), 6U);
  EXPECT_EQ(spec["targets"][0]["name"], "override-0");
  EXPECT_EQ(spec["targets"][1]["name"], "override-1");
  EXPECT_EQ(spec["targets"][2]["name"], "override-2");
  EXPECT_EQ(json(std::vector<json>(spec["targets"].begin() + 3, spec["targets"].end())), stack_targets);
  EXPECT_EQ(spec["targetRestrictions"], stack_targets);
}

TEST(BundleRenderer, OverrideValuesAreThatTargetsHelmValues) {
  const RenderedStack rendered = render(k_every_feature, k_every_feature_config_maps);

  const json& targets = bundle_of(rendered, "gpu-operator")["spec"]["targets"];
  ASSERT_EQ(targets.size(), 6U);
  EXPECT_EQ(targets[0]["helm"], json::parse(R"({"values": {"driver": {"version": "550"}}})"));
  EXPECT_EQ(targets[0]["clusterSelector"], json::parse(R"({"matchExpressions": [
      {"key": "management.cattle.io/cluster-name", "operator": "In", "values": ["c-m-gpu01"]}]})"));
  EXPECT_EQ(targets[1]["helm"], json::parse(R"({"values": {"mig": {"strategy": "mixed"}}})"));
  EXPECT_EQ(targets[1]["clusterSelector"], json::parse(R"({"matchLabels": {"gpu-model": "a100"}})"));
  for (std::size_t i = 3; i < targets.size(); ++i) {
    EXPECT_FALSE(targets[i].contains("helm")) << "general targets use the Bundle's values: " << targets[i];
  }
}

TEST(BundleRenderer, OverrideWithClusterIdsAndASelectorNeedsBoth) {
  const RenderedStack rendered = render(k_every_feature, k_every_feature_config_maps);

  const json& targets = bundle_of(rendered, "gpu-operator")["spec"]["targets"];
  ASSERT_EQ(targets.size(), 6U);
  EXPECT_EQ(targets[2]["clusterSelector"], json::parse(R"({"matchExpressions": [
      {"key": "management.cattle.io/cluster-name", "operator": "In", "values": ["c-m-gpu02"]},
      {"key": "gpu-model", "operator": "In", "values": ["h100"]}]})"));
}

TEST(BundleRenderer, SecretRefsBecomeValuesFromSecretKeyRefsInTheChartNamespace) {
  const RenderedStack rendered = render(
      test::stack_yaml("      namespace: apps\n      values:\n        secretRefs:\n          - name: creds\n"
                       "          - name: tls\n            key: extra.yaml\n"));

  const json expected = json::parse(R"([
      {"secretKeyRef": {"name": "creds", "namespace": "apps", "key": "values.yaml"}},
      {"secretKeyRef": {"name": "tls", "namespace": "apps", "key": "extra.yaml"}}])");
  EXPECT_EQ(bundle_of(rendered, "app")["spec"]["helm"]["valuesFrom"], expected);
  EXPECT_FALSE(bundle_of(rendered, "app")["spec"]["helm"].contains("values")) << "Secrets are never copied";
}

TEST(BundleRenderer, ConfigMapValuesMergeInOrderUnderInline) {
  std::vector<std::string> asked;
  const auto known =
      config_maps({{"first/values.yaml", json::parse(R"({"a": 1, "b": {"x": 1, "y": 1}, "c": 1})")},
                   {"second/other.yaml", json::parse(R"({"b": {"y": 2}, "c": 2, "d": [2]})")}});
  const ConfigMapValues recording = [&](const std::string& name, const std::string& key) {
    asked.push_back(name + "/" + key);
    return known(name, key);
  };

  const RenderedStack rendered =
      render(test::stack_yaml("      values:\n        configMapRefs:\n          - name: first\n"
                              "          - name: second\n            key: other.yaml\n"
                              "        inline:\n          c: 3\n          d: [3]\n"),
             recording);

  EXPECT_THAT(asked, ElementsAre("first/values.yaml", "second/other.yaml"));
  EXPECT_EQ(bundle_of(rendered, "app")["spec"]["helm"]["values"],
            json::parse(R"({"a": 1, "b": {"x": 1, "y": 2}, "c": 3, "d": [3]})"));
  EXPECT_THAT(rendered.unresolved_config_maps, IsEmpty());
}

TEST(BundleRenderer, ConfigMapsThatCannotBeReadAreListedAndLeftOut) {
  const std::string yaml = test::stack_yaml("      values:\n        configMapRefs:\n          - name: known\n"
                                            "          - name: missing\n            key: site.yaml\n"
                                            "        inline:\n          replicas: 2\n");

  const RenderedStack offline = render(yaml);
  const RenderedStack partly = render(yaml, config_maps({{"known/values.yaml", {{"image", "v1"}}}}));

  EXPECT_THAT(offline.unresolved_config_maps, ElementsAre("known/values.yaml", "missing/site.yaml"));
  EXPECT_EQ(bundle_of(offline, "app")["spec"]["helm"]["values"], json({{"replicas", 2}}));
  EXPECT_THAT(partly.unresolved_config_maps, ElementsAre("missing/site.yaml"));
  EXPECT_EQ(bundle_of(partly, "app")["spec"]["helm"]["values"], json({{"image", "v1"}, {"replicas", 2}}));
}

TEST(BundleRenderer, DependsOnNamesTheBundlesOfTheDependencies) {
  const RenderedStack rendered = render(test::k_rag_inference_platform);

  const std::string policy = "default-rag-inference-platform-herd-policy";
  EXPECT_EQ(bundle_of(rendered, "gpu-operator")["spec"]["dependsOn"],
            json::parse(R"([{"name": ")" + policy + R"("}])"));
  EXPECT_EQ(
      bundle_of(rendered, "ollama")["spec"]["dependsOn"],
      json::parse(R"([{"name": ")" + policy + R"("}, {"name": "default-rag-inference-platform-gpu-operator"},
                {"name": "default-rag-inference-platform-qdrant"}])"));
}

TEST(BundleRenderer, WithoutAPolicyBundleOnlyChartDependenciesRemain) {
  const RenderedStack rendered = render(one_chart_stack("deps", "  targets:\n    clusterIds: [c-m-a]\n", "") +
                                        "    - name: web\n      repo: https://charts.example.com\n"
                                        "      version: \"1.0.0\"\n      dependsOn: [app]\n");

  ASSERT_EQ(rendered.bundles.size(), 2U);
  EXPECT_FALSE(bundle_of(rendered, "app")["spec"].contains("dependsOn"));
  EXPECT_EQ(bundle_of(rendered, "web")["spec"]["dependsOn"],
            json::parse(R"([{"name": "default-deps-app"}])"));
}

TEST(BundleRenderer, PausedStackPausesEveryBundle) {
  const RenderedStack paused = render(k_every_feature, k_every_feature_config_maps);
  const RenderedStack running = render(test::stack_yaml());

  ASSERT_EQ(paused.bundles.size(), 4U);
  for (const auto& bundle : paused.bundles) {
    EXPECT_EQ(bundle.object()["spec"]["paused"], true) << bundle.chart();
  }
  EXPECT_EQ(bundle_of(running, "app")["spec"]["paused"], false);
}

std::string every_feature_restarted() {
  return test::replaced(
      std::string(k_every_feature), "  namespace: team-a\n",
      "  namespace: team-a\n  annotations:\n    herd.suse.com/force-sync-generation: \"7\"\n");
}

// `kubectl herd rollout restart` bumps Stack annotations; each Bundle's forceSyncGeneration is the sum of the
// whole Stack's counter and its chart's, so bumping either one redeploys exactly the Bundles it concerns.
std::string restarted(std::string_view annotations) {
  return test::replaced(test::stack_yaml("", "    - name: web\n      repo: https://charts.example.com\n"
                                             "      version: \"2.0.0\"\n"),
                        "  namespace: default\n",
                        "  namespace: default\n  annotations:\n" + std::string(annotations));
}

TEST(BundleRenderer, NeverRestartedBundlesHaveNoForceSyncGeneration) {
  const RenderedStack rendered = render(restarted("    unrelated: \"1\"\n"));

  for (const auto& bundle : rendered.bundles) {
    EXPECT_FALSE(bundle.object()["spec"].contains("forceSyncGeneration")) << bundle.chart();
  }
}

TEST(BundleRenderer, RestartCountersSumIntoForceSyncGenerationOfTheirBundles) {
  const RenderedStack rendered = render(restarted("    herd.suse.com/force-sync-generation: \"2\"\n"
                                                  "    force-sync-generation.herd.suse.com/web: \"3\"\n"));

  EXPECT_EQ(bundle_of(rendered, "app")["spec"]["forceSyncGeneration"], 2);
  EXPECT_EQ(bundle_of(rendered, "web")["spec"]["forceSyncGeneration"], 5);
  for (const auto& bundle : rendered.bundles) {
    EXPECT_THAT(test::fleet_problems(bundle.object()), IsEmpty())
        << test::lines_text(test::fleet_problems(bundle.object()));
  }
}

TEST(BundleRenderer, AChartRestartChangesOnlyThatChartsBundleAndItsHash) {
  const RenderedStack before = render(restarted("    force-sync-generation.herd.suse.com/web: \"1\"\n"));
  const RenderedStack after = render(restarted("    force-sync-generation.herd.suse.com/web: \"2\"\n"));

  EXPECT_EQ(bundle_of(before, "app"), bundle_of(after, "app"));
  EXPECT_FALSE(bundle_of(after, "app")["spec"].contains("forceSyncGeneration"));
  EXPECT_EQ(bundle_of(after, "web")["spec"]["forceSyncGeneration"], 2);
  EXPECT_NE(bundle_of(before, "web")["metadata"]["annotations"],
            bundle_of(after, "web")["metadata"]["annotations"]);
  EXPECT_EQ(
      render(restarted("    force-sync-generation.herd.suse.com/web: \"2\"\n")).bundles[1].object().dump(),
      after.bundles[1].object().dump())
      << "deterministic";
}

TEST(BundleRenderer, WholeStackRestartAlsoRedeploysThePolicyBundle) {
  const RenderedStack rendered = render(every_feature_restarted());

  ASSERT_TRUE(has_policy_bundle(rendered));
  for (const auto& bundle : rendered.bundles) {
    EXPECT_EQ(bundle.object()["spec"]["forceSyncGeneration"], 7) << bundle.chart();
    EXPECT_THAT(test::fleet_problems(bundle.object()), IsEmpty())
        << test::lines_text(test::fleet_problems(bundle.object()));
  }
}

TEST(BundleRenderer, MalformedRestartCountersRestartNothing) {
  for (const std::string value : {"\"-1\"", "\"abc\"", "\"1e3\"", "\"\"", "\"9999999999999999999\""}) {
    const RenderedStack rendered =
        render(restarted("    herd.suse.com/force-sync-generation: " + value + "\n"));
    EXPECT_FALSE(bundle_of(rendered, "app")["spec"].contains("forceSyncGeneration")) << value;
  }
}

TEST(BundleRenderer, WorkspaceIsFleetLocalOnlyForTheLocalClusterAlone) {
  const auto workspace = [](const std::string& spec_fields) {
    const RenderedStack rendered = render(one_chart_stack("ws", spec_fields, ""));
    return bundle_of(rendered, "app")["metadata"]["namespace"].get<std::string>();
  };

  EXPECT_EQ(workspace("  targets:\n    clusterIds: [local]\n"), "fleet-local");
  EXPECT_EQ(workspace("  targets:\n    clusterIds: [local, c-m-a]\n"), "fleet-default");
  EXPECT_EQ(workspace("  targets:\n    clusterIds: [local]\n    clusterGroup: gpus\n"), "fleet-default");
  EXPECT_EQ(workspace("  targets:\n    clusterIds: [c-m-a]\n"), "fleet-default");
  EXPECT_EQ(workspace("  workspace: fleet-default\n  targets:\n    clusterIds: [local]\n"), "fleet-default");
}

TEST(BundleRenderer, LocalClusterIsSelectedByItsIdLabelToo) {
  const RenderedStack rendered = render(one_chart_stack("ws", "  targets:\n    clusterIds: [local]\n", ""));

  const json expected = json::parse(R"([{"name": "cluster-ids", "clusterSelector": {"matchExpressions": [
      {"key": "management.cattle.io/cluster-name", "operator": "In", "values": ["local"]}]}}])");
  EXPECT_EQ(bundle_of(rendered, "app")["spec"]["targets"], expected);
}

TEST(BundleRenderer, PolicyOverlayNeverOverwritesAUserValue) {
  const RenderedStack rendered = render(k_every_feature, k_every_feature_config_maps);

  const json& values = bundle_of(rendered, "qdrant")["spec"]["helm"]["values"];
  EXPECT_EQ(values["metrics"]["serviceMonitor"]["enabled"], false) << "the user said false";
  EXPECT_EQ(values["metrics"]["serviceMonitor"]["additionalLabels"],
            json({{"observability.suse.com/agent", "scrape"}}));
  EXPECT_EQ(values["podLabels"], json({{"io.neuvector.service.name", "everything-qdrant"}}));
}

TEST(BundleRenderer, PolicyOverlayIsKeyedByTheChartInItsRepo) {
  const RenderedStack rendered = render(k_every_feature, k_every_feature_config_maps);

  // Chart "llm" installs the repo chart "ollama": the ollama overlay applies, with the Stack's chart name.
  EXPECT_EQ(bundle_of(rendered, "llm")["spec"]["helm"]["values"],
            json::parse(R"({"podLabels": {"io.neuvector.service.name": "everything-llm"}})"));
  EXPECT_EQ(bundle_of(rendered, "gpu-operator")["spec"]["helm"]["values"]["dcgmExporter"],
            json::parse(R"({"serviceMonitor": {"enabled": true,
                "additionalLabels": {"observability.suse.com/agent": "scrape"}}})"));
}

TEST(BundleRenderer, InlineValuesWinOverConfigMapsAndPolicyFillsTheRest) {
  const RenderedStack rendered = render(k_every_feature, k_every_feature_config_maps);

  const json& values = bundle_of(rendered, "gpu-operator")["spec"]["helm"]["values"];
  EXPECT_EQ(values["driver"], json::parse(R"({"enabled": true, "version": "535"})"));
  EXPECT_EQ(values["mig"], json::parse(R"({"strategy": "single"})"));
  EXPECT_EQ(values["site"], "eu-1");
}

// DESIGN §4: policy overlays fill only what the user left unset, and a value in a ConfigMap is the user's,
// even though the mutator (which cannot read ConfigMaps) wrote the overlay into values.inline, which wins
// over them.
TEST(BundleRenderer, PolicyOverlayNeverOverwritesAConfigMapValue) {
  const std::string yaml = read_file(std::string(HERD_SOURCE_DIR) + "/examples/rag-inference.yaml");

  const RenderedStack rendered = render(
      yaml, config_maps({{"gpu-operator-values/values.yaml",
                          json::parse(R"({"dcgmExporter": {"serviceMonitor": {"enabled": false}}})")}}));

  EXPECT_EQ(bundle_of(rendered,
                      "gpu-operator")["spec"]["helm"]["values"]["dcgmExporter"]["serviceMonitor"]["enabled"],
            false);
}

TEST(BundleRenderer, ConfigMapValuesInsideAnInjectedObjectKeepThePolicysOtherValues) {
  // The policy injected all of dcgmExporter (the user set nothing inline there); the ConfigMap sets one key
  // inside it. The user's key and the policy's others both belong in the Bundle.
  const std::string yaml = read_file(std::string(HERD_SOURCE_DIR) + "/examples/rag-inference.yaml");

  const RenderedStack rendered = render(
      yaml, config_maps({{"gpu-operator-values/values.yaml",
                          json::parse(R"({"dcgmExporter": {"serviceMonitor": {"interval": "30s"}}})")}}));

  EXPECT_EQ(bundle_of(rendered, "gpu-operator")["spec"]["helm"]["values"]["dcgmExporter"],
            json::parse(R"({"serviceMonitor": {"enabled": true, "interval": "30s",
                "additionalLabels": {"observability.suse.com/agent": "scrape"}}})"));
}

TEST(BundleRenderer, InlineValuesStillWinOverConfigMapsWherePolicyInjectedNothing) {
  const std::string yaml = read_file(std::string(HERD_SOURCE_DIR) + "/examples/rag-inference.yaml");

  const RenderedStack rendered =
      render(yaml, config_maps({{"gpu-operator-values/values.yaml",
                                 json::parse(R"({"driver": {"enabled": false, "version": "535"}})")}}));

  EXPECT_EQ(bundle_of(rendered, "gpu-operator")["spec"]["helm"]["values"]["driver"],
            json::parse(R"({"enabled": true, "version": "535"})"));
}

TEST(BundleRenderer, NamespaceLabelsAndAnnotationsOfEnabledFeaturesGoToEveryNamespace) {
  Policy policy = default_policy();
  policy.security.namespace_labels = {{"security.example.com/scanned", "true"}};
  policy.observability.namespace_labels = {{"observability.example.com/scrape", "true"}};
  policy.observability.namespace_annotations = {{"observability.example.com/owner", "herd"}};
  const Stack stack = effective_stack(test::k_rag_inference_platform).stack;

  const RenderedStack rendered = render_bundles(stack, policy);

  const json labels = {{"security.example.com/scanned", "true"},
                       {"observability.example.com/scrape", "true"}};
  const json annotations = {{"observability.example.com/owner", "herd"}};
  EXPECT_EQ(bundle_of(rendered, "qdrant")["spec"]["namespaceLabels"], labels);
  EXPECT_EQ(bundle_of(rendered, "qdrant")["spec"]["namespaceAnnotations"], annotations);
  const std::vector<json> manifests = policy_manifests(bundle_of(rendered, ""));
  ASSERT_EQ(manifests.size(), 5U);
  EXPECT_EQ(manifests[0]["metadata"]["labels"], labels);
  EXPECT_EQ(manifests[0]["metadata"]["annotations"],
            json({{"helm.sh/resource-policy", "keep"}, {"observability.example.com/owner", "herd"}}));
  for (const auto& bundle : rendered.bundles) {
    EXPECT_THAT(test::fleet_problems(bundle.object()), IsEmpty())
        << test::lines_text(test::fleet_problems(bundle.object()));
  }
}

TEST(BundleRenderer, NoNamespaceMetadataWhenThePolicyStatesNone) {
  const RenderedStack rendered = render(test::k_rag_inference_platform);

  EXPECT_FALSE(bundle_of(rendered, "qdrant")["spec"].contains("namespaceLabels"));
  EXPECT_FALSE(bundle_of(rendered, "qdrant")["spec"].contains("namespaceAnnotations"));
}

TEST(BundleRenderer, NoPolicyBundleWhenThePolicyHasNothingToPutInPlace) {
  const auto policy_bundle = [](const std::string& spec_fields, const std::string& chart) {
    const RenderedStack rendered = render(one_chart_stack(
        "p", spec_fields + "  targets:\n    clusterIds: [c-m-a]\n", "      chart: " + chart + "\n"));
    return has_policy_bundle(rendered);
  };

  EXPECT_FALSE(policy_bundle("", "ollama")) << "security off";
  EXPECT_FALSE(policy_bundle("  observability: enabled\n", "qdrant")) << "observability has no resources";
  EXPECT_FALSE(policy_bundle("  security: enabled\n", "gpu-operator")) << "no chart whose service Herd pins";
  EXPECT_TRUE(policy_bundle("  security: enabled\n", "ollama"));
}

TEST(BundleRenderer, PolicyBundleKeepsTheNamespacesAndHoldsOneSecurityRulePerPinnedChart) {
  const RenderedStack rendered = render(test::k_rag_inference_platform);

  const json& policy = bundle_of(rendered, "");
  const json& resources = policy["spec"]["resources"];
  ASSERT_EQ(resources.size(), 5U);
  EXPECT_EQ(resources[0]["name"], "Namespace-gpu-operator.yaml");
  EXPECT_EQ(resources[1]["name"], "Namespace-vector-db.yaml");
  EXPECT_EQ(resources[2]["name"], "Namespace-llm-serving.yaml");
  EXPECT_EQ(resources[3]["name"], "NvSecurityRule-vector-db-nv.rag-inference-platform-qdrant.vector-db.yaml");
  EXPECT_EQ(resources[4]["name"],
            "NvSecurityRule-llm-serving-nv.rag-inference-platform-ollama.llm-serving.yaml");

  const std::vector<json> manifests = policy_manifests(policy);
  ASSERT_EQ(manifests.size(), 5U);
  EXPECT_EQ(manifests[1],
            json::parse(R"({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "vector-db",
      "annotations": {"helm.sh/resource-policy": "keep"}}})"));
  EXPECT_EQ(manifests[4], json::parse(R"({"apiVersion": "neuvector.com/v1", "kind": "NvSecurityRule",
      "metadata": {"name": "nv.rag-inference-platform-ollama.llm-serving", "namespace": "llm-serving"},
      "spec": {"target": {"policymode": "Monitor", "selector": {"name": "nv.rag-inference-platform-ollama.llm-serving",
        "criteria": [{"key": "service", "op": "=", "value": "rag-inference-platform-ollama.llm-serving"},
                     {"key": "domain", "op": "=", "value": "llm-serving"}]}}}})"));
}

TEST(BundleRenderer, SecurityRuleMatchesTheServiceNameThePodLabelPins) {
  const RenderedStack rendered = render(test::k_rag_inference_platform);

  const std::vector<json> manifests = policy_manifests(bundle_of(rendered, ""));
  ASSERT_EQ(manifests.size(), 5U);
  const json& pinned = bundle_of(rendered, "qdrant")["spec"]["helm"]["values"]["podLabels"];
  const std::string service = pinned.value("io.neuvector.service.name", "");
  const json criteria = {{{"key", "service"}, {"op", "="}, {"value", service + ".vector-db"}},
                         {{"key", "domain"}, {"op", "="}, {"value", "vector-db"}}};
  EXPECT_EQ(manifests[3]["spec"]["target"]["selector"]["criteria"], criteria);
}

TEST(BundleRenderer, PolicyModeComesFromThePolicy) {
  Policy protect = default_policy();
  protect.security.policy_mode = "Protect";

  const RenderedStack rendered =
      render_bundles(effective_stack(test::k_rag_inference_platform).stack, protect);

  const std::vector<json> manifests = policy_manifests(bundle_of(rendered, ""));
  ASSERT_EQ(manifests.size(), 5U);
  EXPECT_EQ(manifests[3]["spec"]["target"]["policymode"], "Protect");
  EXPECT_EQ(manifests[4]["spec"]["target"]["policymode"], "Protect");
}

TEST(BundleRenderer, PolicyBundleDeploysItsResourcesWhereTheStackGoes) {
  const RenderedStack rendered = render(k_every_feature, k_every_feature_config_maps);

  const json& policy = bundle_of(rendered, "");
  EXPECT_EQ(policy["metadata"]["labels"]["herd.suse.com/component"], "policy");
  EXPECT_FALSE(policy["metadata"]["labels"].contains("herd.suse.com/chart"));
  EXPECT_EQ(policy["spec"]["targets"], bundle_of(rendered, "qdrant")["spec"]["targets"]);
  EXPECT_EQ(policy["spec"]["helm"]["disablePreProcess"], true);
  EXPECT_EQ(policy["spec"]["helm"]["takeOwnership"], true) << "it adopts chart namespaces that already exist";
  EXPECT_FALSE(policy["spec"].contains("dependsOn"));
  const std::vector<json> manifests = policy_manifests(policy);
  ASSERT_EQ(manifests.size(), 4U) << "gpu-operator and vector-db once each, rules for qdrant and llm";
  EXPECT_EQ(manifests[0]["metadata"]["name"], "gpu-operator");
  EXPECT_EQ(manifests[1]["metadata"]["name"], "vector-db");
  EXPECT_EQ(manifests[2]["metadata"]["name"], "nv.everything-qdrant.vector-db");
  EXPECT_EQ(manifests[3]["metadata"]["name"], "nv.everything-llm.vector-db");
}

// DISABLED: bug in core/src/bundle_renderer.cpp (render_policy_bundle). The policy Bundle's Helm release is
// named bundle_name({stack, "herd-policy"}) without the Stack's namespace, in the first chart's namespace.
// Two Stacks of the same name in two namespaces (team-a/rag and team-b/rag) whose first charts share a
// namespace render the same release "rag-herd-policy" in the same namespace: on a cluster both target, the
// two policy Bundles fight over one Helm release. Expected: distinct release names (e.g. the policy Bundle's
// own name).
TEST(BundleRenderer, PolicyReleasesOfSameNamedStacksInTwoNamespacesDiffer) {
  const std::string team_a =
      test::replaced(std::string(test::k_rag_inference_platform), "namespace: default", "namespace: team-a");
  const std::string team_b =
      test::replaced(std::string(test::k_rag_inference_platform), "namespace: default", "namespace: team-b");

  const RenderedStack rendered_a = render(team_a);
  const RenderedStack rendered_b = render(team_b);

  const json& policy_a = bundle_of(rendered_a, "");
  const json& policy_b = bundle_of(rendered_b, "");

  ASSERT_NE(policy_a["metadata"]["name"], policy_b["metadata"]["name"]);
  ASSERT_EQ(policy_a["spec"]["defaultNamespace"], policy_b["spec"]["defaultNamespace"]);
  EXPECT_NE(policy_a["spec"]["helm"]["releaseName"], policy_b["spec"]["helm"]["releaseName"]);
}

TEST(BundleRenderer, EveryChartBundleWaitsForThePolicyBundle) {
  const RenderedStack rendered = render(k_every_feature, k_every_feature_config_maps);

  for (const std::string chart : {"gpu-operator", "qdrant", "llm"}) {
    const json& depends_on = bundle_of(rendered, chart)["spec"]["dependsOn"];
    ASSERT_FALSE(depends_on.empty()) << chart;
    EXPECT_EQ(depends_on[0], json({{"name", "team-a-everything-herd-policy"}})) << chart;
  }
}

// The NeuVector service name <stack>-<chart> is a pod label value: a Stack name may have 253 characters, a
// label value 63, so long ones are cut and hashed, and the security rule matches the same name.
TEST(BundleRenderer, NeuVectorServiceLabelIsAValidLabelValueForLongStackNames) {
  const RenderedStack rendered = render(
      one_chart_stack(std::string(60, 's'), "  security: enabled\n  targets:\n    clusterIds: [c-m-a]\n",
                      "      chart: ollama\n"));

  const json& labels = bundle_of(rendered, "app")["spec"]["helm"]["values"]["podLabels"];
  ASSERT_TRUE(labels.contains("io.neuvector.service.name"));
  const std::string service = labels["io.neuvector.service.name"].get<std::string>();
  EXPECT_TRUE(test::is_label_value(service)) << service;
  EXPECT_EQ(service.substr(0, 40), std::string(40, 's'));
  const std::vector<json> manifests = policy_manifests(bundle_of(rendered, ""));
  ASSERT_EQ(manifests.size(), 2U);
  EXPECT_EQ(manifests[1]["metadata"]["name"], "nv." + service + ".app");
  const json criteria = {{{"key", "service"}, {"op", "="}, {"value", service + ".app"}},
                         {{"key", "domain"}, {"op", "="}, {"value", "app"}}};
  EXPECT_EQ(manifests[1]["spec"]["target"]["selector"]["criteria"], criteria);
}

// ---------------------------------------------------------------------------------------------------------------
// Determinism: an unchanged Stack renders byte-identical Bundles, so the reconciler writes nothing.

std::string dump_all(const RenderedStack& rendered) {
  std::string out;
  for (const auto& bundle : rendered.bundles) {
    out += bundle.object().dump() + "\n";
  }
  return out;
}

std::string rendered_hash(const json& bundle) {
  return bundle["metadata"]["annotations"].value(std::string(k_rendered_hash_annotation), "");
}

TEST(BundleRendererDeterminism, RenderingTwiceGivesByteIdenticalJson) {
  const Stack stack = effective_stack(k_every_feature).stack;

  const std::string first = dump_all(render_bundles(stack, default_policy(), k_every_feature_config_maps));
  const std::string second = dump_all(render_bundles(stack, default_policy(), k_every_feature_config_maps));

  EXPECT_EQ(first, second);
}

TEST(BundleRendererDeterminism, CheckingTheEffectiveStackAgainRendersTheSameBundles) {
  const EffectiveStack once = effective_stack(k_every_feature);
  const EffectiveStack twice = effective_stack(once.document.dump());

  EXPECT_EQ(twice.document, once.document) << "mutation is idempotent";
  EXPECT_EQ(dump_all(render_bundles(twice.stack, default_policy(), k_every_feature_config_maps)),
            dump_all(render_bundles(once.stack, default_policy(), k_every_feature_config_maps)));
}

TEST(BundleRendererDeterminism, KeyOrderInTheStackDoesNotChangeTheBundles) {
  const std::string reordered = test::replaced(
      std::string(k_every_feature), "          driver:\n            enabled: true\n      wait: true\n",
      "          zeta: 1\n          driver:\n            enabled: true\n      wait: true\n");
  const std::string sorted = test::replaced(
      std::string(k_every_feature), "          driver:\n            enabled: true\n      wait: true\n",
      "          driver:\n            enabled: true\n          zeta: 1\n      wait: true\n");

  EXPECT_EQ(dump_all(render(reordered, k_every_feature_config_maps)),
            dump_all(render(sorted, k_every_feature_config_maps)));
}

TEST(BundleRendererDeterminism, RenderedHashChangesWithAValueAndOnlyThen) {
  const RenderedStack before = render(test::k_rag_inference_platform);
  const RenderedStack after = render(
      test::replaced(std::string(test::k_rag_inference_platform), "size: \"500Gi\"", "size: \"600Gi\""));
  const RenderedStack again = render(test::k_rag_inference_platform);

  EXPECT_NE(rendered_hash(bundle_of(after, "qdrant")), rendered_hash(bundle_of(before, "qdrant")));
  EXPECT_EQ(rendered_hash(bundle_of(after, "ollama")), rendered_hash(bundle_of(before, "ollama")));
  EXPECT_EQ(rendered_hash(bundle_of(after, "")), rendered_hash(bundle_of(before, "")));
  for (const std::string chart : {"", "gpu-operator", "qdrant", "ollama"}) {
    EXPECT_EQ(rendered_hash(bundle_of(again, chart)), rendered_hash(bundle_of(before, chart))) << chart;
  }
}

TEST(BundleRendererDeterminism, RenderedHashFollowsConfigMapValues) {
  const std::string yaml =
      test::stack_yaml("      values:\n        configMapRefs:\n          - name: site\n");

  const std::string v1 =
      rendered_hash(bundle_of(render(yaml, config_maps({{"site/values.yaml", {{"v", 1}}}})), "app"));
  const std::string v2 =
      rendered_hash(bundle_of(render(yaml, config_maps({{"site/values.yaml", {{"v", 2}}}})), "app"));
  const std::string v1_again =
      rendered_hash(bundle_of(render(yaml, config_maps({{"site/values.yaml", {{"v", 1}}}})), "app"));

  EXPECT_NE(v1, v2);
  EXPECT_EQ(v1, v1_again);
}

// ---------------------------------------------------------------------------------------------------------------
// Names: DNS-safe, at most 53 characters, stable and unique.

TEST(BundleName, JoinsThePartsWithDashes) {
  EXPECT_EQ(bundle_name({"default", "rag", "qdrant"}), "default-rag-qdrant");
}

TEST(BundleName, LowerCasesAndReplacesInvalidCharacters) {
  EXPECT_EQ(bundle_name({"Team", "My_Stack.v2", "app"}), "team-my-stack-v2-app");
}

TEST(BundleName, KeepsANameOfExactlyFiftyThreeCharacters) {
  const std::string name(53, 'a');

  EXPECT_EQ(bundle_name({name}), name);
}

TEST(BundleName, CutsLongerNamesAndSuffixesTheirHash) {
  const std::string full = "default-" + std::string(50, 'x') + "-app";

  const std::string name = bundle_name({"default", std::string(50, 'x'), "app"});

  ASSERT_EQ(name.size(), 53U);
  EXPECT_EQ(name, full.substr(0, 44) + "-" + sha256_hex(full).substr(0, 8));
  EXPECT_TRUE(test::is_dns_label(name, 53)) << name;
}

TEST(BundleName, IsStableAcrossCalls) {
  const std::vector<std::string> parts = {"default", std::string(80, 'q'), "ollama"};

  EXPECT_EQ(bundle_name(parts), bundle_name(parts));
}

TEST(BundleName, LongNamesSharingTheirFirstFortyFourCharactersStayDistinct) {
  const std::string prefix(44, 'p');

  const std::string first = bundle_name({prefix + "-first-stack-with-a-long-name"});
  const std::string second = bundle_name({prefix + "-second-stack-with-a-long-name"});

  EXPECT_EQ(first.substr(0, 44), second.substr(0, 44));
  EXPECT_NE(first, second);
}

TEST(BundleName, NoDashIsLeftBeforeTheHashSuffix) {
  // Character 44 is the '-' after 43 'a's: the cut must not leave "--" or a name ending in '-' before the
  // suffix.
  const std::string full = std::string(43, 'a') + "-" + std::string(20, 'b');

  const std::string name = bundle_name({full});

  EXPECT_EQ(name, std::string(43, 'a') + "-" + sha256_hex(full).substr(0, 8));
  EXPECT_TRUE(test::is_dns_label(name, 53)) << name;
}

TEST(BundleName, EveryCutNameIsADnsLabel) {
  for (std::size_t dash = 30; dash < 60; ++dash) {
    std::string part(70, 'c');
    part[dash] = '.';
    part[dash + 1] = '_';
    const std::string name = bundle_name({"default", part, "chart"});
    EXPECT_TRUE(test::is_dns_label(name, 53)) << name;
  }
}

TEST(BundleName, ChartAndPolicyBundlesAreNamedAfterNamespaceStackAndChart) {
  Stack stack;
  stack.name = "rag";
  stack.namespace_name = "team-a";
  Stack no_namespace;
  no_namespace.name = "rag";

  EXPECT_EQ(chart_bundle_name(stack, "qdrant"), "team-a-rag-qdrant");
  EXPECT_EQ(policy_bundle_name(stack), "team-a-rag-herd-policy");
  EXPECT_EQ(chart_bundle_name(no_namespace, "qdrant"), "default-rag-qdrant");
}

TEST(BundleName, LongStackNamesGiveValidDistinctBundleNamesAndLabels) {
  const std::string long_name = std::string(120, 'l') + ".stack";

  const RenderedStack rendered =
      render(one_chart_stack(long_name, "  targets:\n    clusterIds: [c-m-a]\n", "") +
             "    - name: web\n      repo: https://charts.example.com\n      version: \"1.0.0\"\n");

  ASSERT_EQ(rendered.bundles.size(), 2U);
  const json& app = bundle_of(rendered, "app");
  const json& web = bundle_of(rendered, "web");
  EXPECT_EQ(app["metadata"]["name"], bundle_name({"default", long_name, "app"}));
  EXPECT_NE(app["metadata"]["name"], web["metadata"]["name"]);
  EXPECT_THAT(test::metadata_problems(app), IsEmpty()) << test::lines_text(test::metadata_problems(app));
  const std::string label = app["metadata"]["labels"]["herd.suse.com/stack"].get<std::string>();
  EXPECT_EQ(label.size(), 63U);
  EXPECT_EQ(label.substr(0, 54), long_name.substr(0, 54));
}

// ---------------------------------------------------------------------------------------------------------------
// Rollout waves: wave 1 holds charts without dependencies, wave N charts whose dependencies are all earlier;
// in chart order within a wave.

using Waves = std::vector<std::vector<std::size_t>>;

std::vector<Chart> wired(const std::vector<std::pair<std::string, std::vector<std::string>>>& spec) {
  std::vector<Chart> out;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    Chart chart;
    chart.index = i;
    chart.name = spec[i].first;
    chart.depends_on = spec[i].second;
    out.push_back(std::move(chart));
  }
  return out;
}

TEST(RolloutWaves, DiamondIsThreeWaves) {
  const DependencyGraph graph(
      wired({{"top", {"left", "right"}}, {"left", {"base"}}, {"right", {"base"}}, {"base", {}}}));

  EXPECT_EQ(graph.waves(), (Waves{{3}, {1, 2}, {0}}));
}

TEST(RolloutWaves, ChainIsOneWavePerChart) {
  const DependencyGraph graph(wired({{"c", {"b"}}, {"b", {"a"}}, {"a", {}}}));

  EXPECT_EQ(graph.waves(), (Waves{{2}, {1}, {0}}));
}

TEST(RolloutWaves, WideGraphIsTheRootThenEveryLeaf) {
  const DependencyGraph graph(wired({{"leaf-e", {"root"}},
                                     {"leaf-a", {"root"}},
                                     {"root", {}},
                                     {"leaf-c", {"root"}},
                                     {"leaf-b", {"root"}}}));

  EXPECT_EQ(graph.waves(), (Waves{{2}, {0, 1, 3, 4}}));
}

TEST(RolloutWaves, DisconnectedComponentsShareWaves) {
  const DependencyGraph graph(wired(
      {{"db-client", {"db"}}, {"zeta", {}}, {"db", {}}, {"web", {"cache"}}, {"cache", {}}, {"lonely", {}}}));

  EXPECT_EQ(graph.waves(), (Waves{{1, 2, 4, 5}, {0, 3}}));
}

TEST(RolloutWaves, EveryBundleDependsOnlyOnBundlesOfEarlierWaves) {
  const EffectiveStack effective =
      effective_stack(one_chart_stack("diamond", "  targets:\n    clusterIds: [c-m-a]\n",
                                      "      dependsOn: [left, right]\n") +
                      "    - name: left\n      repo: https://charts.example.com\n      version: \"1.0.0\"\n  "
                      "    dependsOn: [base]\n"
                      "    - name: right\n      repo: https://charts.example.com\n      version: \"1.0.0\"\n "
                      "     dependsOn: [base]\n"
                      "    - name: base\n      repo: https://charts.example.com\n      version: \"1.0.0\"\n");
  const RenderedStack rendered = render_bundles(effective.stack, default_policy());
  const auto waves = DependencyGraph(effective.stack.charts).waves();
  ASSERT_EQ(waves, (Waves{{3}, {1, 2}, {0}}));

  std::map<std::string, std::size_t> wave_of_bundle;
  for (std::size_t w = 0; w < waves.size(); ++w) {
    for (const std::size_t index : waves[w]) {
      wave_of_bundle[chart_bundle_name(effective.stack, effective.stack.charts[index].name)] = w;
    }
  }
  for (std::size_t w = 0; w < waves.size(); ++w) {
    for (const std::size_t index : waves[w]) {
      const json& bundle = bundle_of(rendered, effective.stack.charts[index].name);
      for (const auto& dependency : bundle["spec"].value("dependsOn", json::array())) {
        ASSERT_TRUE(wave_of_bundle.count(dependency["name"].get<std::string>())) << dependency;
        EXPECT_LT(wave_of_bundle[dependency["name"].get<std::string>()], w) << dependency;
      }
    }
  }
}

TEST(ConfigMapValues, ReadsAYamlMappingAndNamesWhatIsMissing) {
  const json config_map = {{"data",
                            {{"values.yaml", "replicas: 2\nimage: {tag: v1}\n"},
                             {"empty", ""},
                             {"list", "- a\n"},
                             {"bad", "a: [\n"}}}};

  const Result<json> values = config_map_values(&config_map, "team-a", "app", "values.yaml");
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(*values, json({{"replicas", 2}, {"image", {{"tag", "v1"}}}}));
  EXPECT_EQ(*config_map_values(&config_map, "team-a", "app", "empty"), json::object());

  EXPECT_EQ(config_map_values(nullptr, "team-a", "app", "values.yaml").error().message,
            "ConfigMap team-a/app (configMapRefs) does not exist");
  EXPECT_EQ(config_map_values(&config_map, "team-a", "app", "other").error().message,
            "ConfigMap team-a/app has no key \"other\"");
  EXPECT_EQ(config_map_values(&config_map, "team-a", "app", "bad").error().message,
            "ConfigMap team-a/app key \"bad\" is not valid YAML");
  EXPECT_EQ(config_map_values(&config_map, "team-a", "app", "list").error().message,
            "ConfigMap team-a/app key \"list\" is not a YAML mapping of values");
}

} // namespace
} // namespace herd::core
