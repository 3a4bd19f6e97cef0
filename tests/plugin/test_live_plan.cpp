// The live plan (DESIGN §7): kubectl herd plan NAME and kubectl herd plan -f FILE --live. The pure parts
// (diff_bundles, diff_bundle_fields, resolve_targets) directly; the command end to end through the real
// kubectl binary finding the plugin on PATH, against the test API server (tests/apiserver) holding Fleet
// Clusters and Bundles written from render_bundles' own output.

#include "../../plugin/src/bundle_diff.hpp"
#include "cli_helpers.hpp"

#include <herd/core/bundle_renderer.hpp>
#include <herd/core/diagnostic_sink.hpp>
#include <herd/core/linter.hpp>
#include <herd/core/policy.hpp>
#include <herd/core/stack.hpp>
#include <herd/core/yaml_loader.hpp>
#include <herd/test_apiserver/api_server.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using herd::plugin::BundleAction;
using herd::plugin::BundleChanges;
using herd::plugin::diff_bundle_fields;
using herd::plugin::diff_bundles;
using herd::plugin::FieldChange;
using herd::plugin::resolve_targets;
using herd::plugin::testing::CliResult;
using herd::plugin::testing::run_cli;
using herd::plugin::testing::run_shell;
using herd::plugin::testing::TempDir;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

namespace api = herd::test_apiserver;

// A Stack in `name_space` (empty: none stated) with charts `app` and `web` (web depends on app) on the
// cluster c-m-gpu01.
json stack_document(const std::string& name_space = "", const std::string& name = "chat") {
  json metadata = {{"name", name}};
  if (!name_space.empty()) {
    metadata["namespace"] = name_space;
  }
  return {{"apiVersion", "herd.suse.com/v1"},
          {"kind", "Stack"},
          {"metadata", metadata},
          {"spec",
           {{"targets", {{"clusterIds", {"c-m-gpu01"}}}},
            {"charts",
             {{{"name", "app"}, {"repo", "https://charts.example.com"}, {"version", "1.2.3"}},
              {{"name", "web"},
               {"repo", "https://charts.example.com"},
               {"version", "2.0.0"},
               {"dependsOn", {"app"}}}}}}}};
}

json& chart(json& stack, const std::string& name) {
  for (auto& entry : stack["spec"]["charts"]) {
    if (entry["name"] == name) {
      return entry;
    }
  }
  throw std::invalid_argument("no chart " + name);
}

// The Bundles the reconciler renders for `stack` (judged, defaulted, policy applied), with ConfigMap values
// from `config_maps` (name -> values document).
herd::core::RenderedStack render(json stack, const json& config_maps = json::object()) {
  if (!stack["metadata"].contains("namespace")) {
    stack["metadata"]["namespace"] = "default";
  }
  auto linter = herd::core::Linter::create(herd::core::default_policy());
  EXPECT_TRUE(linter.ok());
  herd::core::Diagnostics findings;
  herd::core::DiagnosticSink sink(findings, "", nullptr);
  json effective;
  (*linter)->check_stack(std::move(stack), sink, nullptr, &effective);
  EXPECT_FALSE(herd::core::has_errors(findings)) << (findings.empty() ? "" : findings.front().message);
  return herd::core::render_bundles(herd::core::stack_from_json(effective), herd::core::default_policy(),
                                    [&](const std::string& name, const std::string&) -> std::optional<json> {
                                      return config_maps.contains(name)
                                                 ? std::optional<json>(config_maps[name])
                                                 : std::nullopt;
                                    });
}

// The rendered objects, as a live listing would hold them after the reconciler applied them, plus what the
// API server and Fleet add.
std::vector<json> as_live(const herd::core::RenderedStack& rendered) {
  std::vector<json> live;
  for (const auto& bundle : rendered.bundles) {
    json object = bundle.object();
    object["metadata"]["uid"] = "0b0e3c5e-8f52-4a8f-9d6a-3c3f1f0e8a11";
    object["metadata"]["resourceVersion"] = "4711";
    object["metadata"]["generation"] = 3;
    object["metadata"]["creationTimestamp"] = "2025-01-01T00:00:00Z";
    object["metadata"]["managedFields"] = json::array({{{"manager", "herd-controller"}}});
    object["metadata"]["labels"]["team"] = "ml"; // another tool's label
    object["metadata"]["finalizers"] = {"fleet.cattle.io/bundle-finalizer"};
    object["spec"]["targetCustomizationMode"] = "FirstMatch"; // Fleet's CRD default
    object["status"] = {{"summary", {{"ready", 1}, {"desiredReady", 1}}}};
    live.push_back(std::move(object));
  }
  return live;
}

const herd::controller::StackRef k_chat{"default", "chat"};

const herd::plugin::BundleChange& bundle_named(const BundleChanges& changes, const std::string& name) {
  const auto found = std::find_if(changes.bundles.begin(), changes.bundles.end(),
                                  [&](const auto& bundle) { return bundle.name == name; });
  if (found == changes.bundles.end()) {
    throw std::invalid_argument("no bundle " + name);
  }
  return *found;
}

std::string describe(const FieldChange& change) {
  const auto side = [](const std::optional<json>& value) {
    return value ? value->dump() : std::string("(none)");
  };
  return change.path + ": " +
         (change.sensitive ? "(sensitive)" : side(change.old_value) + " → " + side(change.new_value));
}

std::vector<std::string> described(const std::vector<FieldChange>& changes) {
  std::vector<std::string> out;
  out.reserve(changes.size());
  for (const auto& change : changes) {
    out.push_back(describe(change));
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// diff_bundles

TEST(DiffBundles, NothingInTheClusterIsAnAddOfEveryBundleWithItsKeyFields) {
  const BundleChanges changes = diff_bundles(k_chat, render(stack_document()), {});

  EXPECT_EQ(changes.to_add, 2U);
  EXPECT_EQ(changes.to_change + changes.to_destroy + changes.unchanged, 0U);
  EXPECT_TRUE(changes.has_changes());
  ASSERT_EQ(changes.bundles.size(), 2U);
  EXPECT_EQ(changes.bundles[0].name, "default-chat-app");
  EXPECT_EQ(changes.bundles[0].chart, "app");
  EXPECT_EQ(changes.bundles[0].action, BundleAction::add);
  EXPECT_THAT(described(changes.bundles[1].changes),
              ElementsAre("spec.helm.chart: (none) → \"web\"",
                          "spec.helm.repo: (none) → \"https://charts.example.com\"",
                          "spec.helm.version: (none) → \"2.0.0\"", "spec.helm.releaseName: (none) → \"web\"",
                          "spec.defaultNamespace: (none) → \"web\"",
                          "spec.dependsOn[0].name: (none) → \"default-chat-app\""));
}

TEST(DiffBundles, BundlesExactlyAsRenderedAreNoOpsWhateverTheServerAndFleetAdded) {
  const herd::core::RenderedStack rendered = render(stack_document());
  std::vector<json> live = as_live(rendered);
  live[0]["spec"].erase("paused");                         // false and absent are the same to Fleet
  live[1]["spec"]["helmOpOptions"]["helmOpCABundle"] = ""; // Fleet's, not Herd's

  const BundleChanges changes = diff_bundles(k_chat, rendered, live);

  EXPECT_FALSE(changes.has_changes());
  EXPECT_EQ(changes.unchanged, 2U);
  for (const auto& bundle : changes.bundles) {
    EXPECT_EQ(bundle.action, BundleAction::noop) << bundle.name;
    EXPECT_THAT(described(bundle.changes), ElementsAre()) << bundle.name;
  }
}

TEST(DiffBundles, AnotherVersionIsAChangeShownOldToNew) {
  json old_stack = stack_document();
  chart(old_stack, "app")["version"] = "1.2.0";
  const std::vector<json> live = as_live(render(old_stack));

  const BundleChanges changes = diff_bundles(k_chat, render(stack_document()), live);

  EXPECT_EQ(changes.to_change, 1U);
  EXPECT_EQ(changes.unchanged, 1U);
  const auto& app = bundle_named(changes, "default-chat-app");
  EXPECT_EQ(app.action, BundleAction::change);
  EXPECT_FALSE(app.drifted) << "the rendered hash changed too: the reconciler applies it";
  EXPECT_THAT(described(app.changes), ElementsAre("spec.helm.version: \"1.2.0\" → \"1.2.3\""));
  EXPECT_EQ(bundle_named(changes, "default-chat-web").action, BundleAction::noop);
}

TEST(DiffBundles, NestedValuesAreComparedLeafByLeafWithTheirPaths) {
  json old_stack = stack_document();
  chart(old_stack, "app")["values"]["inline"] = {
      {"image", {{"tag", "v1"}, {"pullPolicy", "Always"}}}, {"replicas", 1}, {"gpu", {{"enabled", false}}}};
  json new_stack = stack_document();
  chart(new_stack, "app")["values"]["inline"] = {{"image", {{"tag", "v2"}}},
                                                 {"replicas", 1},
                                                 {"gpu", {{"enabled", false}, {"count", 2}}},
                                                 {"nvidia.com/mig", "1g.5gb"}};

  const BundleChanges changes = diff_bundles(k_chat, render(new_stack), as_live(render(old_stack)));

  EXPECT_THAT(described(bundle_named(changes, "default-chat-app").changes),
              ElementsAre("spec.helm.values.gpu.count: (none) → 2",
                          "spec.helm.values.image.pullPolicy: \"Always\" → (none)",
                          "spec.helm.values.image.tag: \"v1\" → \"v2\"",
                          "spec.helm.values[\"nvidia.com/mig\"]: (none) → \"1g.5gb\""));
}

TEST(DiffBundles, FalseAndAbsentDifferInsideHelmValues) {
  json with_false = stack_document();
  chart(with_false, "app")["values"]["inline"] = {{"metrics", {{"enabled", false}}}, {"name", ""}};
  json without = stack_document();
  chart(without, "app")["values"]["inline"] = {{"metrics", json::object()}};

  const BundleChanges changes = diff_bundles(k_chat, render(without), as_live(render(with_false)));

  EXPECT_THAT(described(bundle_named(changes, "default-chat-app").changes),
              ElementsAre("spec.helm.values.metrics.enabled: false → (none)",
                          "spec.helm.values.name: \"\" → (none)"));
}

TEST(DiffBundles, AHerdBundleOfARemovedChartIsDestroyedAndForeignBundlesAreLeftAlone) {
  json old_stack = stack_document();
  old_stack["spec"]["charts"].push_back(
      {{"name", "old"}, {"repo", "https://charts.example.com"}, {"version", "0.1.0"}});
  std::vector<json> live = as_live(render(old_stack));
  json foreign = live.back();
  foreign["metadata"]["name"] = "someone-elses";
  foreign["metadata"]["labels"]["app.kubernetes.io/managed-by"] = "helm";
  live.push_back(foreign);

  const BundleChanges changes = diff_bundles(k_chat, render(stack_document()), live);

  EXPECT_EQ(changes.to_destroy, 1U);
  EXPECT_EQ(changes.to_add + changes.to_change, 0U);
  ASSERT_EQ(changes.bundles.size(), 3U);
  const auto& old = changes.bundles.back();
  EXPECT_EQ(old.name, "default-chat-old");
  EXPECT_EQ(old.chart, "old");
  EXPECT_EQ(old.action, BundleAction::destroy);
  EXPECT_THAT(described(old.changes), ::testing::Contains("spec.helm.version: \"0.1.0\" → (none)"));
}

TEST(DiffBundles, FieldsEditedOutsideHerdAreADriftedChange) {
  const herd::core::RenderedStack rendered = render(stack_document());
  std::vector<json> live = as_live(rendered);
  live[0]["spec"]["helm"]["version"] = "9.9.9"; // kubectl edit: the hash annotation stays
  live[0]["spec"]["targets"][0]["clusterSelector"]["matchExpressions"][0]["values"].push_back("c-m-other");

  const BundleChanges changes = diff_bundles(k_chat, rendered, live);

  const auto& app = bundle_named(changes, "default-chat-app");
  EXPECT_EQ(app.action, BundleAction::change);
  EXPECT_TRUE(app.drifted);
  EXPECT_THAT(described(app.changes), ElementsAre("spec.helm.version: \"9.9.9\" → \"1.2.3\"",
                                                  "spec.targets[name=cluster-ids].clusterSelector."
                                                  "matchExpressions[0].values[1]: \"c-m-other\" → (none)"));
}

TEST(DiffBundles, OnlyAnotherRenderedHashIsAChangeOfTheHash) {
  const herd::core::RenderedStack rendered = render(stack_document());
  std::vector<json> live = as_live(rendered);
  live[1]["metadata"]["annotations"]["herd.suse.com/rendered-hash"] = "0123";

  const BundleChanges changes = diff_bundles(k_chat, rendered, live);

  const auto& web = bundle_named(changes, "default-chat-web");
  EXPECT_EQ(web.action, BundleAction::change);
  ASSERT_EQ(web.changes.size(), 1U);
  EXPECT_EQ(web.changes[0].path, "metadata.annotations[\"herd.suse.com/rendered-hash\"]");
  EXPECT_EQ(web.changes[0].old_value, json("0123"));
}

TEST(DiffBundles, HerdLabelsAreComparedAndOtherLabelsIgnored) {
  const herd::core::RenderedStack rendered = render(stack_document());
  std::vector<json> live = as_live(rendered);
  live[0]["metadata"]["labels"]["herd.suse.com/chart"] = "ap";
  live[0]["metadata"]["labels"]["herd.suse.com/component"] = "policy";
  live[0]["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = "{}";

  const BundleChanges changes = diff_bundles(k_chat, rendered, live);

  EXPECT_THAT(described(bundle_named(changes, "default-chat-app").changes),
              ElementsAre("metadata.labels[\"herd.suse.com/chart\"]: \"ap\" → \"app\"",
                          "metadata.labels[\"herd.suse.com/component\"]: \"policy\" → (none)"));
}

TEST(DiffBundles, ANameHeldByABundleHerdMustNotTouchIsAConflict) {
  const herd::core::RenderedStack rendered = render(stack_document());
  std::vector<json> live = as_live(rendered);
  live[0]["metadata"]["labels"]["herd.suse.com/stack"] = "other";

  const BundleChanges changes = diff_bundles(k_chat, rendered, live);

  const auto& app = bundle_named(changes, "default-chat-app");
  EXPECT_EQ(app.action, BundleAction::conflict);
  EXPECT_EQ(app.owner, "Stack default/other");
  EXPECT_EQ(changes.conflicts, 1U);
  EXPECT_EQ(changes.to_destroy, 0U) << "never Herd's to delete either";
}

TEST(DiffBundles, SecretRefsShowOnlyNamesAndSecretManifestsAreWithheld) {
  json stack = stack_document();
  chart(stack, "app")["values"]["secretRefs"] = {{{"name", "app-credentials"}, {"key", "values.yaml"}}};
  const BundleChanges added = diff_bundles(k_chat, render(stack), {});
  EXPECT_THAT(
      described(bundle_named(added, "default-chat-app").changes),
      ::testing::IsSupersetOf({"spec.helm.valuesFrom[0].secretKeyRef.name: (none) → \"app-credentials\"",
                               "spec.helm.valuesFrom[0].secretKeyRef.key: (none) → \"values.yaml\""}));

  // A policy resource that is a Secret manifest: the path shows, the values never do.
  json rendered_bundle = {
      {"apiVersion", "fleet.cattle.io/v1alpha1"},
      {"kind", "Bundle"},
      {"metadata", {{"name", "b"}, {"namespace", "fleet-default"}}},
      {"spec",
       {{"resources",
         {{{"name", "Secret-x.yaml"},
           {"content", R"({"apiVersion":"v1","kind":"Secret","stringData":{"token":"new-s3cret"}})"}}}}}}};
  json live_bundle = rendered_bundle;
  live_bundle["spec"]["resources"][0]["content"] =
      "apiVersion: v1\nkind: Secret\nstringData:\n  token: old-s3cret\n";

  const std::vector<FieldChange> fields = diff_bundle_fields(rendered_bundle, live_bundle);

  ASSERT_EQ(fields.size(), 1U);
  EXPECT_EQ(fields[0].path, "spec.resources[name=Secret-x.yaml].content");
  EXPECT_TRUE(fields[0].sensitive);
  EXPECT_FALSE(fields[0].old_value);
  EXPECT_FALSE(fields[0].new_value);

  // Added or removed as a whole: withheld too.
  live_bundle["spec"]["resources"] = json::array();
  const std::vector<FieldChange> whole = diff_bundle_fields(rendered_bundle, live_bundle);
  ASSERT_EQ(whole.size(), 1U);
  EXPECT_EQ(whole[0].path, "spec.resources[name=Secret-x.yaml]");
  EXPECT_TRUE(whole[0].sensitive);
  EXPECT_FALSE(whole[0].new_value);
}

TEST(DiffBundles, NamedListItemsArePairedByNameSoAnInsertionIsOneChange) {
  json bundle = {{"metadata", {{"name", "b"}, {"namespace", "fleet-default"}}},
                 {"spec",
                  {{"dependsOn", {{{"name", "policy"}}, {{"name", "gpu"}}, {{"name", "db"}}}},
                   {"resources",
                    {{{"name", "Namespace-a.yaml"}, {"content", "{}"}},
                     {{"name", "Namespace-b.yaml"}, {"content", "{}"}}}}}}};
  json live = bundle;
  live["spec"]["dependsOn"].erase(1);
  live["spec"]["resources"][1]["content"] = R"({"kind":"Namespace"})";
  live["spec"]["resources"].push_back({{"name", "Namespace-gone.yaml"}, {"content", "{}"}});

  EXPECT_THAT(
      described(diff_bundle_fields(bundle, live)),
      ElementsAre(
          "spec.dependsOn[name=gpu]: (none) → {\"name\":\"gpu\"}",
          "spec.resources[name=Namespace-b.yaml].content: \"{\\\"kind\\\":\\\"Namespace\\\"}\" → \"{}\"",
          "spec.resources[name=Namespace-gone.yaml]: {\"content\":\"{}\",\"name\":\"Namespace-gone.yaml\"} → "
          "(none)"));
}

TEST(DiffBundles, OrderIsRenderOrderThenDestroyedByNameWhateverTheListingOrder) {
  json old_stack = stack_document();
  for (const char* name : {"zeta", "alpha"}) {
    old_stack["spec"]["charts"].push_back(
        {{"name", name}, {"repo", "https://charts.example.com"}, {"version", "1.0.0"}});
  }
  chart(old_stack, "web")["version"] = "1.0.0";
  std::vector<json> live = as_live(render(old_stack));
  const herd::core::RenderedStack rendered = render(stack_document());

  const BundleChanges first = diff_bundles(k_chat, rendered, live);
  std::reverse(live.begin(), live.end());
  const BundleChanges second = diff_bundles(k_chat, rendered, live);

  std::vector<std::string> names;
  for (std::size_t i = 0; i < first.bundles.size(); ++i) {
    names.push_back(first.bundles[i].name + " " +
                    std::string(herd::plugin::to_string(first.bundles[i].action)));
    EXPECT_EQ(first.bundles[i].name, second.bundles[i].name);
    EXPECT_EQ(described(first.bundles[i].changes), described(second.bundles[i].changes));
  }
  EXPECT_THAT(names, ElementsAre("default-chat-app noop", "default-chat-web change",
                                 "default-chat-alpha destroy", "default-chat-zeta destroy"));
}

TEST(DiffBundles, DeeplyNestedLiveValuesAreWalkedWithoutRecursion) {
  const herd::core::RenderedStack rendered = render(stack_document());
  std::vector<json> live = as_live(rendered);
  // 100,000 levels: a recursive walk, copy or dump of this would overflow the stack.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  live[0]["spec"]["helm"]["values"]["deep"] = json::parse(deep);

  const BundleChanges changes = diff_bundles(k_chat, rendered, live);

  const auto& app = bundle_named(changes, "default-chat-app");
  ASSERT_EQ(app.changes.size(), 1U);
  EXPECT_THAT(app.changes[0].path, ::testing::StartsWith("spec.helm.values.deep[0][0]"));
  EXPECT_FALSE(app.changes[0].new_value);
  EXPECT_THAT(app.changes[0].old_value->get<std::string>(), HasSubstr("levels deep"));
}

// ---------------------------------------------------------------------------------------------
// resolve_targets

json fleet_cluster(const std::string& name, json labels, const std::string& workspace = "fleet-default") {
  return {{"apiVersion", "fleet.cattle.io/v1alpha1"},
          {"kind", "Cluster"},
          {"metadata", {{"name", name}, {"namespace", workspace}, {"labels", std::move(labels)}}}};
}

json cluster_group(const std::string& name, json selector, json labels = json::object()) {
  json group = {{"apiVersion", "fleet.cattle.io/v1alpha1"},
                {"kind", "ClusterGroup"},
                {"metadata", {{"name", name}, {"namespace", "fleet-default"}, {"labels", std::move(labels)}}},
                {"spec", json::object()}};
  if (!selector.is_null()) {
    group["spec"]["selector"] = std::move(selector);
  }
  return group;
}

std::vector<json> fleet_clusters() {
  return {
      fleet_cluster("gpu-prod",
                    {{"management.cattle.io/cluster-name", "c-m-gpu01"}, {"gpu", "true"}, {"env", "prod"}}),
      fleet_cluster("edge", {{"management.cattle.io/cluster-name", "c-m-edge01"}, {"env", "prod"}}),
      fleet_cluster("lab", {{"management.cattle.io/cluster-name", "c-m-lab01"}, {"gpu", "true"}}),
      fleet_cluster("elsewhere", {{"management.cattle.io/cluster-name", "c-m-gpu01"}}, "fleet-local")};
}

json first_bundle(const json& stack) {
  return render(stack).bundles.front().object();
}

TEST(ResolveTargets, ClusterIdsMatchRanchersClusterNameLabelInTheBundlesWorkspaceOnly) {
  json stack = stack_document();
  stack["spec"]["targets"] = {{"clusterIds", {"c-m-gpu01", "c-m-gone"}}};

  const auto resolution = resolve_targets(first_bundle(stack), fleet_clusters(), {});

  EXPECT_THAT(resolution.clusters, ElementsAre("gpu-prod"));
  ASSERT_EQ(resolution.targets.size(), 1U);
  EXPECT_EQ(resolution.targets[0].name, "cluster-ids");
  EXPECT_EQ(resolution.targets[0].description, "clusters c-m-gpu01, c-m-gone");
  EXPECT_THAT(resolution.targets[0].missing_cluster_ids, ElementsAre("c-m-gone"));
  EXPECT_EQ(herd::plugin::cluster_display_name(fleet_clusters()[0]), "gpu-prod (c-m-gpu01)");
}

TEST(ResolveTargets, SelectorsMatchClusterLabelsAsKubernetesDoes) {
  json stack = stack_document();
  stack["spec"]["targets"] = {
      {"selector",
       {{"matchLabels", {{"gpu", "true"}}},
        {"matchExpressions", {{{"key", "env"}, {"operator", "NotIn"}, {"values", {"dev"}}}}}}}};
  EXPECT_THAT(resolve_targets(first_bundle(stack), fleet_clusters(), {}).clusters,
              ElementsAre("gpu-prod", "lab"));

  stack["spec"]["targets"]["selector"] = {{"matchExpressions", {{{"key", "env"}, {"operator", "Exists"}}}}};
  EXPECT_THAT(resolve_targets(first_bundle(stack), fleet_clusters(), {}).clusters,
              ElementsAre("edge", "gpu-prod"));

  stack["spec"]["targets"]["selector"] = {{"matchLabels", {{"gpu", "h100"}}}};
  const auto nothing = resolve_targets(first_bundle(stack), fleet_clusters(), {});
  EXPECT_THAT(nothing.clusters, ElementsAre());
  EXPECT_EQ(nothing.targets[0].description, "clusters labelled gpu=h100");
}

TEST(ResolveTargets, ClusterGroupsHoldTheClustersTheirSelectorMatches) {
  json stack = stack_document();
  stack["spec"]["targets"] = {{"clusterGroup", "prod"}};
  const std::vector<json> groups = {cluster_group("prod", {{"matchLabels", {{"env", "prod"}}}}),
                                    cluster_group("empty", nullptr)};

  const auto resolution = resolve_targets(first_bundle(stack), fleet_clusters(), groups);
  EXPECT_THAT(resolution.clusters, ElementsAre("edge", "gpu-prod"));
  EXPECT_EQ(resolution.targets[0].description, "cluster group prod");

  stack["spec"]["targets"] = {{"clusterGroup", "empty"}};
  EXPECT_THAT(resolve_targets(first_bundle(stack), fleet_clusters(), groups).clusters, ElementsAre())
      << "a group without a selector holds no cluster";
}

TEST(ResolveTargets, OverridesReachOnlyClustersTheStackTargets) {
  json stack = stack_document();
  stack["spec"]["targets"] = {{"selector", {{"matchLabels", {{"env", "prod"}}}}}};
  chart(stack, "app")["overrides"] = {
      {{"selector", {{"matchLabels", {{"gpu", "true"}}}}}, {"values", {{"inline", {{"gpus", 1}}}}}}};

  const auto resolution = resolve_targets(first_bundle(stack), fleet_clusters(), {});

  EXPECT_THAT(resolution.clusters, ElementsAre("edge", "gpu-prod"));
  ASSERT_EQ(resolution.targets.size(), 2U);
  EXPECT_EQ(resolution.targets[0].name, "override-0");
  EXPECT_THAT(resolution.targets[0].clusters, ElementsAre("gpu-prod"))
      << "lab is outside the Stack's targets";
}

TEST(ResolveTargets, ATargetWithoutCriteriaOrWithDoNotDeployReachesNothing) {
  json bundle = {
      {"metadata", {{"name", "b"}, {"namespace", "fleet-default"}}},
      {"spec", {{"targets", {{{"name", "empty"}}, {{"name", "all"}, {"clusterSelector", json::object()}}}}}}};
  auto resolution = resolve_targets(bundle, fleet_clusters(), {});
  EXPECT_THAT(resolution.targets[0].clusters, ElementsAre());
  EXPECT_EQ(resolution.targets[0].description, "nothing (the target sets no criterion)");
  EXPECT_THAT(resolution.clusters, ElementsAre("edge", "gpu-prod", "lab"))
      << "an empty selector: every cluster";

  bundle["spec"]["targets"].insert(bundle["spec"]["targets"].begin(),
                                   json({{"clusterName", "lab"}, {"doNotDeploy", true}}));
  resolution = resolve_targets(bundle, fleet_clusters(), {});
  EXPECT_THAT(resolution.clusters, ElementsAre("edge", "gpu-prod"));
  EXPECT_EQ(resolution.targets[0].name, "#0");
}

// ------------------------------------------------------------------------------------- the command, end to
// end

class LivePlan : public ::testing::Test {
protected:
  void SetUp() override {
    server = std::make_unique<api::ApiServer>(make_options());
    server->start();
    for (const char* name_space : {"team-a", "fleet-default"}) {
      server->put({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name_space}}}});
    }
    if (has_clusters()) {
      server->put(
          fleet_cluster("gpu-prod", {{"management.cattle.io/cluster-name", "c-m-gpu01"}, {"gpu", "true"}}));
      server->put(fleet_cluster("edge", {{"management.cattle.io/cluster-name", "c-m-edge01"}}));
    }
    kubeconfig = dir.file(
        "kubeconfig",
        "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: " + server->url() +
            "\ncontexts:\n- name: test\n  context: {cluster: test, user: test}\n"
            "current-context: test\nusers:\n- name: test\n  user: {}\n");
  }
  virtual api::Options make_options() { return {}; }
  virtual bool has_clusters() { return true; }

  // Stores the Bundles `stack` renders, as the reconciler would have applied them.
  void apply_rendered(const json& stack, const json& config_maps = json::object()) {
    for (const auto& bundle : render(stack, config_maps).bundles) {
      server->put(bundle.object());
    }
  }

  std::string stack_file(const json& stack) const { return dir.file("stack.yaml", stack.dump(2)); }

  // kubectl herd ARGUMENTS through the real kubectl, finding the plugin on PATH; stderr kept apart.
  CliResult kubectl(const std::string& arguments) const {
    const std::string bin = std::filesystem::path(HERD_PLUGIN_BINARY).parent_path().string();
    const std::string err_file = (dir.path() / "stderr.txt").string();
    // Its own stderr file: run_shell's is shared by every test process. The outer group takes run_shell's
    // redirection, which would otherwise replace this one.
    CliResult result = run_shell("{ { export HOME=" + dir.path().string() + " PATH=" + bin +
                                 ":$PATH KUBECONFIG=" + kubeconfig + " && kubectl herd " + arguments +
                                 "; } 2>" + err_file + "; }");
    std::ifstream err(err_file);
    std::ostringstream text;
    text << err.rdbuf();
    result.err = text.str();
    return result;
  }

  // kubectl herd ARGUMENTS in-process (the paths kubectl adds nothing to).
  CliResult herd(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--kubeconfig", kubeconfig, "--color", "never"});
    return run_cli(args);
  }

  static bool kubectl_missing() { return std::system("command -v kubectl >/dev/null 2>&1") != 0; }

  TempDir dir;
  std::unique_ptr<api::ApiServer> server;
  std::string kubeconfig;
};

TEST_F(LivePlan, NothingInTheClusterPlansToAddEveryBundle) {
  if (kubectl_missing()) {
    GTEST_SKIP() << "kubectl is not on PATH";
  }
  const CliResult result = kubectl("plan -f " + stack_file(stack_document()) + " --live");

  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  EXPECT_THAT(result.out, HasSubstr("Stack default/chat ("));
  EXPECT_THAT(result.out, HasSubstr(") against context \"test\"\n"
                                    "Targets: 2 Fleet Clusters in workspace fleet-default\n"
                                    "  app   gpu-prod (c-m-gpu01)\n"
                                    "  web   gpu-prod (c-m-gpu01)\n\n"
                                    "+ bundle default-chat-app (new)\n"
                                    "      spec.helm.chart: \"app\"\n"));
  EXPECT_THAT(result.out, HasSubstr("+ bundle default-chat-web (new)\n"));
  EXPECT_THAT(result.out, HasSubstr("      spec.dependsOn[0].name: \"default-chat-app\"\n"));
  EXPECT_THAT(result.out, ::testing::EndsWith("\nPlan: 2 to add, 0 to change, 0 to destroy.\n"));
  EXPECT_EQ(server->writes().size(), 4U) << "the plan writes nothing (4 seeded objects)";
}

TEST_F(LivePlan, AnotherVersionInTheClusterIsAChangeOldToNew) {
  if (kubectl_missing()) {
    GTEST_SKIP() << "kubectl is not on PATH";
  }
  json old_stack = stack_document();
  chart(old_stack, "app")["version"] = "1.2.0";
  apply_rendered(old_stack);

  const CliResult result = kubectl("plan -f " + stack_file(stack_document()) + " --live");

  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("\n~ bundle default-chat-app\n"
                                    "      spec.helm.version: \"1.2.0\" → \"1.2.3\"\n"
                                    "  bundle default-chat-web (no changes)\n\n"
                                    "Plan: 0 to add, 1 to change, 0 to destroy.\n"));
}

TEST_F(LivePlan, AHerdBundleOfARemovedChartIsDestroyed) {
  if (kubectl_missing()) {
    GTEST_SKIP() << "kubectl is not on PATH";
  }
  json old_stack = stack_document();
  old_stack["spec"]["charts"].push_back(
      {{"name", "old"}, {"repo", "https://charts.example.com"}, {"version", "0.1.0"}});
  apply_rendered(old_stack);

  const CliResult result = kubectl("plan -f " + stack_file(stack_document()) + " --live");

  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out,
              HasSubstr("  bundle default-chat-web (no changes)\n- bundle default-chat-old (destroy)\n"
                        "      spec.helm.chart: \"old\"\n"));
  EXPECT_THAT(result.out, HasSubstr("\nPlan: 0 to add, 0 to change, 1 to destroy.\n"));
  EXPECT_THAT(result.out, Not(HasSubstr("  old   "))) << "a destroyed Bundle reaches no cluster any more";
}

TEST_F(LivePlan, BundlesExactlyAsRenderedAreNoChanges) {
  if (kubectl_missing()) {
    GTEST_SKIP() << "kubectl is not on PATH";
  }
  apply_rendered(stack_document());

  const CliResult result = kubectl("plan -f " + stack_file(stack_document()) + " --live");

  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("\n  bundle default-chat-app (no changes)\n"
                                    "  bundle default-chat-web (no changes)\n\n"
                                    "No changes. The cluster matches the Stack.\n"));
}

TEST_F(LivePlan, DetailedExitcodeIsThreeWithChangesAndZeroWithout) {
  if (kubectl_missing()) {
    GTEST_SKIP() << "kubectl is not on PATH";
  }
  const std::string file = stack_file(stack_document());
  EXPECT_EQ(kubectl("plan -f " + file + " --live --detailed-exitcode").code, 3);
  EXPECT_EQ(kubectl("plan -f " + file + " --live").code, 0) << "changes alone are a success";

  apply_rendered(stack_document());
  const CliResult none = kubectl("plan -f " + file + " --live --detailed-exitcode");
  EXPECT_EQ(none.code, 0) << none.err;
  EXPECT_THAT(none.out, HasSubstr("No changes."));
}

TEST_F(LivePlan, PlanNameReadsTheStackStoredInTheCluster) {
  if (kubectl_missing()) {
    GTEST_SKIP() << "kubectl is not on PATH";
  }
  json stored = stack_document("team-a");
  stored["status"] = {{"phase", "Deployed"}};
  server->put(stored);
  apply_rendered(stack_document("team-a"));
  json changed = stack_document("team-a");
  chart(changed, "web")["version"] = "2.1.0";
  server->put(changed);

  const CliResult result = kubectl("plan chat -n team-a --detailed-exitcode");

  EXPECT_EQ(result.code, 3) << result.err;
  EXPECT_THAT(result.out,
              HasSubstr("Stack team-a/chat (stack.herd.suse.com/chat) against context \"test\"\n"));
  EXPECT_THAT(result.out, HasSubstr("  bundle team-a-chat-app (no changes)\n"
                                    "~ bundle team-a-chat-web\n"
                                    "      spec.helm.version: \"2.0.0\" → \"2.1.0\"\n"));
  EXPECT_THAT(result.out, HasSubstr("Plan: 0 to add, 1 to change, 0 to destroy."));
}

TEST_F(LivePlan, ATargetMatchingNoClusterIsAWarning) {
  if (kubectl_missing()) {
    GTEST_SKIP() << "kubectl is not on PATH";
  }
  json stack = stack_document();
  stack["spec"]["targets"] = {{"selector", {{"matchLabels", {{"gpu", "h100"}}}}},
                              {"clusterIds", {"c-m-edge01", "c-m-gone"}}};

  const CliResult result = kubectl("plan -f " + stack_file(stack) + " --live");

  EXPECT_EQ(result.code, 0) << "warnings alone pass";
  EXPECT_EQ(result.err,
            "warning: Stack default/chat: cluster id c-m-gone (target \"cluster-ids\") matches no Fleet "
            "Cluster in workspace fleet-default\n"
            "warning: Stack default/chat: target \"selector\" (clusters labelled gpu=h100) matches no "
            "Fleet Cluster in workspace fleet-default\n")
      << "each once, though both charts carry the targets";
  EXPECT_THAT(result.out, HasSubstr("  app   edge (c-m-edge01)\n"));
}

TEST_F(LivePlan, ConfigMapValuesAreReadFromTheClusterAndAMissingOneIsAnError) {
  json stack = stack_document();
  chart(stack, "app")["values"]["configMapRefs"] = {{{"name", "app-values"}}};
  const std::string file = stack_file(stack);

  const CliResult missing = herd({"plan", "-f", file, "--live"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(missing.out, "");
  EXPECT_THAT(missing.err,
              HasSubstr("error: Stack default/chat: ConfigMap default/app-values (configMapRefs) does "
                        "not exist\n"));

  apply_rendered(stack, {{"app-values", {{"replicas", 1}}}});
  server->put({{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata", {{"name", "app-values"}, {"namespace", "default"}}},
               {"data", {{"values.yaml", "replicas: 2\n"}}}});
  const CliResult changed = herd({"plan", "-f", file, "--live"});
  EXPECT_EQ(changed.code, 0) << changed.err;
  EXPECT_THAT(changed.out, HasSubstr("~ bundle default-chat-app\n      spec.helm.values.replicas: 1 → 2\n"));
}

TEST_F(LivePlan, SecretsAreNeverReadNorTheirValuesPrinted) {
  json stack = stack_document();
  chart(stack, "app")["values"]["secretRefs"] = {{{"name", "app-credentials"}}};
  server->put({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "app"}}}});
  server->put({{"apiVersion", "v1"},
               {"kind", "Secret"},
               {"metadata", {{"name", "app-credentials"}, {"namespace", "app"}}},
               {"stringData", {{"values.yaml", "password: hunter2\n"}}}});
  server->clear_logs();

  const CliResult text = herd({"plan", "-f", stack_file(stack), "--live"});
  const CliResult as_json = herd({"plan", "-f", stack_file(stack), "--live", "-o", "json"});

  EXPECT_EQ(text.code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("      spec.helm.valuesFrom[0].secretKeyRef.name: \"app-credentials\"\n"));
  EXPECT_THAT(text.out + as_json.out, Not(HasSubstr("hunter2")));
  EXPECT_EQ(server->request_count("", "secrets"), 0U);
}

TEST_F(LivePlan, JsonIsAMachineReadableDiff) {
  json old_stack = stack_document();
  chart(old_stack, "app")["version"] = "1.2.0";
  apply_rendered(old_stack);

  const CliResult result = herd({"plan", "-f", stack_file(stack_document()), "--live", "-o", "json"});

  ASSERT_EQ(result.code, 0) << result.err;
  const json plan = json::parse(result.out);
  ASSERT_EQ(plan["bundles"].size(), 2U);
  EXPECT_EQ(plan["bundles"][0],
            json({{"stack", "default/chat"},
                  {"namespace", "fleet-default"},
                  {"name", "default-chat-app"},
                  {"chart", "app"},
                  {"action", "change"},
                  {"clusters", {"gpu-prod"}},
                  {"changes", {{{"path", "spec.helm.version"}, {"old", "1.2.0"}, {"new", "1.2.3"}}}}}));
  EXPECT_EQ(plan["bundles"][1]["action"], "noop");
  EXPECT_EQ(
      plan["summary"],
      json({{"add", 0}, {"change", 1}, {"destroy", 0}, {"noop", 1}, {"conflict", 0}, {"changes", true}}));
  EXPECT_EQ(plan["warnings"], json::array());
}

TEST_F(LivePlan, ABundleEditedOutsideHerdIsAChangeWithANote) {
  apply_rendered(stack_document());
  json edited = *server->get("fleet.cattle.io/v1alpha1", "bundles", "fleet-default", "default-chat-web");
  edited["spec"]["helm"]["version"] = "2.0.1";
  server->put(edited);

  const CliResult result = herd({"plan", "-f", stack_file(stack_document()), "--live"});

  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out,
              HasSubstr("~ bundle default-chat-web\n"
                        "      spec.helm.version: \"2.0.1\" → \"2.0.0\"\n"
                        "      (changed outside Herd: the reconciler re-applies a Bundle when its "
                        "rendering changes, e.g. after kubectl herd rollout restart chat --chart web)\n"));
}

TEST_F(LivePlan, YamlPrintsTheSameDiffAsJson) {
  json old_stack = stack_document();
  old_stack["spec"]["charts"].push_back(
      {{"name", "old"}, {"repo", "https://charts.example.com"}, {"version", "0.1.0"}});
  apply_rendered(old_stack);
  const std::string file = stack_file(stack_document());

  const CliResult as_json = herd({"plan", "-f", file, "--live", "-o", "json"});
  const CliResult as_yaml = herd({"plan", "-f", file, "--live", "-o", "yaml"});

  ASSERT_EQ(as_yaml.code, 0) << as_yaml.err;
  const herd::core::YamlDocument document = herd::core::parse_yaml_document(as_yaml.out, "plan.yaml");
  ASSERT_TRUE(document.parsed) << as_yaml.out;
  EXPECT_EQ(document.value, json::parse(as_json.out));
  EXPECT_EQ(document.value["bundles"][2]["action"], "destroy");
  EXPECT_EQ(document.value["bundles"][2]["changes"][2],
            json({{"path", "spec.helm.version"}, {"old", "0.1.0"}}));
}

TEST_F(LivePlan, ManyNewBundlesAreLookedForInOneListNotOneGetEach) {
  json stack = stack_document();
  for (int i = 0; i < 20; ++i) {
    stack["spec"]["charts"].push_back({{"name", "extra-" + std::to_string(i)},
                                       {"repo", "https://charts.example.com"},
                                       {"version", "1.0.0"}});
  }
  json foreign = render(stack).bundles.back().object();
  foreign["metadata"]["labels"] = json::object();
  server->put(foreign);
  server->clear_logs();

  const CliResult result = herd({"plan", "-f", stack_file(stack), "--live"});

  EXPECT_EQ(result.code, 1) << "the name held by a foreign Bundle is found all the same";
  EXPECT_THAT(result.out,
              HasSubstr("! bundle default-chat-extra-19 (the name is held by not managed by Herd"));
  EXPECT_THAT(result.out, HasSubstr("+ bundle default-chat-extra-18 (new)"));
  EXPECT_EQ(server->request_count("GET", "bundles/"), 0U);
  EXPECT_EQ(server->request_count("GET", "bundles"), 2U) << "Herd's Bundles of the Stack, then the workspace";
}

TEST_F(LivePlan, AStackBeingDeletedTakesItsBundlesWithIt) {
  apply_rendered(stack_document());
  json deleting = stack_document("default");
  deleting["metadata"]["finalizers"] = {"herd.suse.com/bundles"};
  deleting["metadata"]["deletionTimestamp"] = "2025-01-01T00:00:00Z";
  server->put(deleting);

  const CliResult result = herd({"plan", "chat"});

  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.err, "warning: Stack default/chat is being deleted: its Bundles go with it\n");
  EXPECT_THAT(result.out, HasSubstr("- bundle default-chat-app (destroy)"));
  EXPECT_THAT(result.out, HasSubstr("Plan: 0 to add, 0 to change, 2 to destroy."));
}

TEST_F(LivePlan, ABundleNameHeldByAnotherOwnerFailsThePlan) {
  for (const auto& bundle : render(stack_document()).bundles) {
    json foreign = bundle.object();
    foreign["metadata"]["labels"] = {{"app.kubernetes.io/managed-by", "gitjob"}};
    server->put(foreign);
  }

  const CliResult result = herd({"plan", "-f", stack_file(stack_document()), "--live"});

  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.out,
              HasSubstr("! bundle default-chat-app (the name is held by not managed by Herd (managed by "
                        "\"gitjob\"): the reconciler will not write it)\n"));
  EXPECT_THAT(result.err, HasSubstr("2 Bundle names are held by objects Herd must not touch"));
}

TEST_F(LivePlan, AStackInAnotherNamespaceThanTheFlagIsRefusedAsKubectlApplyRefusesIt) {
  const CliResult result =
      herd({"plan", "-f", stack_file(stack_document("team-a")), "--live", "-n", "default"});

  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.err,
              HasSubstr("error: the namespace from the provided object \"team-a\" does not match the "
                        "namespace \"default\""));
}

TEST_F(LivePlan, AnInvalidStackIsRefusedWithItsFindings) {
  json stack = stack_document();
  chart(stack, "web")["dependsOn"] = {"nope"};

  const CliResult result = herd({"plan", "-f", stack_file(stack), "--live", "--detailed-exitcode"});

  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(result.err, HasSubstr("[HERD103]"));
}

TEST_F(LivePlan, AnUnknownStackIsTheServersNotFound) {
  if (kubectl_missing()) {
    GTEST_SKIP() << "kubectl is not on PATH";
  }
  const CliResult result = kubectl("plan nope");

  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "Error from server (NotFound): stacks.herd.suse.com \"nope\" not found\n");
}

TEST_F(LivePlan, UsageErrorsExitTwo) {
  const std::string file = stack_file(stack_document());
  for (const auto& args : std::vector<std::vector<std::string>>{{"plan", "chat", "-f", file},
                                                                {"plan", "-f", file, "--detailed-exitcode"},
                                                                {"plan", "chat", "-o", "dot"},
                                                                {"plan", "chat", "--values-from", "dir"},
                                                                {"plan", "chat", "-A"}}) {
    const CliResult result = herd(args);
    EXPECT_EQ(result.code, 2) << ::testing::PrintToString(args);
    EXPECT_EQ(result.out, "");
  }
  const CliResult no_kubeconfig = run_cli({"--kubeconfig", (dir.path() / "absent").string(), "plan", "chat"});
  EXPECT_EQ(no_kubeconfig.code, 2);
  EXPECT_THAT(no_kubeconfig.err, HasSubstr("error: kubeconfig " + (dir.path() / "absent").string()));
}

class LivePlanWithoutFleet : public LivePlan {
protected:
  api::Options make_options() override {
    api::Options options;
    std::erase_if(options.resources,
                  [](const api::ResourceType& type) { return type.group == "fleet.cattle.io"; });
    return options;
  }
  bool has_clusters() override { return false; }
};

TEST_F(LivePlanWithoutFleet, MissingFleetCrdsSayWhatIsMissing) {
  if (kubectl_missing()) {
    GTEST_SKIP() << "kubectl is not on PATH";
  }
  const CliResult result = kubectl("plan -f " + stack_file(stack_document()) + " --live");

  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "error: the server doesn't have a resource type \"bundles.fleet.cattle.io\" (is Fleet "
            "installed? Herd deploys through Fleet's CRDs)\n");
}

class LivePlanWithoutHerd : public LivePlan {
protected:
  api::Options make_options() override {
    api::Options options;
    std::erase_if(options.resources, [](const api::ResourceType& type) { return type.plural == "stacks"; });
    return options;
  }
};

TEST_F(LivePlanWithoutHerd, MissingStackCrdSaysHowToInstallIt) {
  if (kubectl_missing()) {
    GTEST_SKIP() << "kubectl is not on PATH";
  }
  const CliResult result = kubectl("plan chat");

  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.err,
              HasSubstr("error: the server doesn't have a resource type \"stacks.herd.suse.com\""));
}

} // namespace
