// The reconciler end to end (issue 5, "Tests"): herd-controller's StackController against the test API
// server. The user acts through a kubectl-like client, Fleet is played by writing Bundle status and
// BundleDeployments, and every expectation is on what the server stores and on its write log.

#include "stack_controller_fixture.hpp"

#include <gmock/gmock.h>

namespace herd::test {
namespace {

using ::testing::HasSubstr;

class StackControllerTest : public StackControllerFixture {};

json charts_of(const json& stack) {
  return stack["spec"]["charts"];
}

TEST_F(StackControllerTest, CreateAddsTheFinalizerAndAppliesBundlesExactlyAsPlanRendersThem) {
  start_controller();
  const json stack = user_stack("rag");
  ASSERT_TRUE(create_and_settle(stack)) << bundle_difference(stack);
  const json stored = *stored_stack(stack);
  EXPECT_EQ(stored["metadata"]["finalizers"], json::array({"herd.suse.com/bundles"}));
  const auto rendered = rendered_bundles(stack);
  EXPECT_EQ(rendered.size(), 3U);
  for (const auto& [key, bundle] : bundles_of(stack)) {
    EXPECT_EQ(bundle["spec"], rendered.at(key)["spec"]) << key;
    EXPECT_EQ(bundle["metadata"]["labels"], rendered.at(key)["metadata"]["labels"]) << key;
    EXPECT_EQ(bundle["metadata"]["annotations"][std::string(core::k_rendered_hash_annotation)],
              rendered.at(key)["metadata"]["annotations"][std::string(core::k_rendered_hash_annotation)])
        << key;
  }
  // Written by server-side apply as herd-controller, once each.
  for (const auto& write : writes_of("bundles")) {
    EXPECT_EQ(write.verb, "apply");
    EXPECT_EQ(write.field_manager, "herd-controller");
  }
  EXPECT_EQ(writes_of("bundles").size(), 3U);

  const json& status = stored["status"];
  EXPECT_THAT(status["phase"].get<std::string>(), ::testing::AnyOf("Pending", "Deploying"));
  EXPECT_EQ(status["observedGeneration"], stored["metadata"]["generation"]);
  const json validated = condition(status, "Validated");
  ASSERT_TRUE(validated.is_object()) << status.dump(2);
  EXPECT_EQ(validated["status"], "True");

  // An Event for the phase it entered, on the Stack.
  const auto phase_event = [&]() -> std::optional<json> {
    for (const auto& event : server->list("v1", "events", "team-a")) {
      if (event["reason"] == status["phase"]) {
        return event;
      }
    }
    return std::nullopt;
  };
  ASSERT_TRUE(eventually([&] { return phase_event().has_value(); }));
  const json event = *phase_event();
  EXPECT_EQ(event["involvedObject"]["kind"], "Stack");
  EXPECT_EQ(event["involvedObject"]["name"], "rag");
  EXPECT_EQ(event["involvedObject"]["uid"], stored["metadata"]["uid"]);
  EXPECT_EQ(event["type"], "Normal");
}

TEST_F(StackControllerTest, EditingOneChartReappliesOnlyItsBundle) {
  auto& controller = start_controller();
  json stack = user_stack("rag");
  ASSERT_TRUE(create_and_settle(stack)) << bundle_difference(stack);
  ASSERT_TRUE(controller.wait_reconciles(2));
  server->clear_logs();

  edit_chart_version(stack, 1, "0.9.2"); // qdrant

  ASSERT_TRUE(eventually([&] { return settled(stack); })) << bundle_difference(stack);
  ASSERT_TRUE(controller.wait_reconciles(2)); // resyncs after the change write nothing more
  const auto writes = writes_of("bundles");
  ASSERT_EQ(writes.size(), 1U);
  EXPECT_EQ(writes[0].verb, "apply");
  EXPECT_EQ(writes[0].name, "team-a-rag-qdrant");
  EXPECT_EQ(bundles_of(stack).at("fleet-default/team-a-rag-qdrant")["spec"]["helm"]["version"], "0.9.2");
}

TEST_F(StackControllerTest, RemovingAChartDeletesOnlyItsBundle) {
  auto& controller = start_controller();
  json stack = user_stack("rag");
  ASSERT_TRUE(create_and_settle(stack)) << bundle_difference(stack);
  const auto before = bundles_of(stack);
  server->clear_logs();

  json charts = charts_of(stack);
  charts.erase(2); // ollama: nothing depends on it
  edit_charts(stack, charts);

  ASSERT_TRUE(eventually([&] { return settled(stack); })) << bundle_difference(stack);
  ASSERT_TRUE(controller.wait_reconciles(2));
  const auto writes = writes_of("bundles");
  ASSERT_EQ(writes.size(), 1U);
  EXPECT_EQ(writes[0].verb, "delete");
  EXPECT_EQ(writes[0].name, "team-a-rag-ollama");
  const auto after = bundles_of(stack);
  EXPECT_EQ(after.size(), 2U);
  for (const auto& [key, bundle] : after) {
    EXPECT_EQ(bundle["metadata"]["resourceVersion"], before.at(key)["metadata"]["resourceVersion"]) << key;
  }
}

TEST_F(StackControllerTest, DeletingTheStackDeletesItsBundlesThenReleasesTheFinalizer) {
  start_controller();
  const json stack = user_stack("rag");
  const json other = user_stack("other");
  create_stack(stack);
  create_stack(other);
  ASSERT_TRUE(eventually([&] { return settled(stack) && settled(other); }));
  server->clear_logs();

  delete_stack(stack);
  ASSERT_TRUE(eventually([&] { return !stored_stack(stack).has_value(); }));
  EXPECT_TRUE(bundles_of(stack).empty());
  EXPECT_TRUE(converged(other)) << bundle_difference(other);

  // Order in the write log: every Bundle delete committed before the finalizer was released.
  const auto log = server->writes();
  std::uint64_t last_bundle_delete = 0;
  std::uint64_t stack_gone = 0;
  int bundle_deletes = 0;
  bool deleting_reported = false;
  for (const auto& write : log) {
    if (write.resource == "bundles") {
      EXPECT_EQ(write.verb, "delete");
      EXPECT_THAT(write.name, ::testing::StartsWith("team-a-rag-"));
      last_bundle_delete = std::max(last_bundle_delete, write.resource_version);
      ++bundle_deletes;
    }
    if (write.resource == "stacks" && write.name == "rag" && write.event == "DELETED") {
      stack_gone = write.resource_version;
    }
    if (write.resource == "stacks" && write.subresource == "status") {
      deleting_reported = true;
    }
  }
  EXPECT_EQ(bundle_deletes, 3);
  EXPECT_GT(stack_gone, last_bundle_delete);
  EXPECT_TRUE(deleting_reported) << "the status should say Deleting while Bundles go";
}

TEST_F(StackControllerTest, FleetsFinalizerOnABundleHoldsTheStackUntilTheBundleIsGone) {
  start_controller();
  const json stack = user_stack("rag");
  ASSERT_TRUE(create_and_settle(stack));
  // Fleet puts its own finalizer on the Bundles it processes.
  auto held = user->merge_patch(kube::resources::bundles, "fleet-default", "team-a-rag-qdrant",
                                {{"metadata", {{"finalizers", {"fleet.cattle.io/bundle-finalizer"}}}}});
  ASSERT_TRUE(held) << held.error().to_string();

  delete_stack(stack);
  ASSERT_TRUE(eventually([&] {
    const auto bundle = server->get(k_fleet_api, "bundles", "fleet-default", "team-a-rag-qdrant");
    return bundles_of(stack).size() == 1 && bundle && (*bundle)["metadata"].contains("deletionTimestamp");
  }));
  ASSERT_TRUE(reaches_phase(stack, "Deleting")) << status_of(stack).dump(2);
  ASSERT_TRUE(stored_stack(stack).has_value());
  EXPECT_EQ((*stored_stack(stack))["metadata"]["finalizers"], json::array({"herd.suse.com/bundles"}));

  // Fleet is done with it: the Bundle goes, and then the Stack.
  auto released = user->merge_patch(kube::resources::bundles, "fleet-default", "team-a-rag-qdrant",
                                    {{"metadata", {{"finalizers", nullptr}}}});
  ASSERT_TRUE(released) << released.error().to_string();
  ASSERT_TRUE(eventually([&] { return !stored_stack(stack).has_value(); }));
  EXPECT_TRUE(all_bundles().empty());
}

TEST_F(StackControllerTest, FleetReadyEverywhereIsDeployed) {
  start_controller();
  fleet_clusters();
  const json stack = user_stack("rag");
  ASSERT_TRUE(create_and_settle(stack));

  fleet_ready_everywhere(stack);
  ASSERT_TRUE(reaches_phase(stack, "Deployed")) << status_of(stack).dump(2);
  // Fleet's Bundle summaries can say ready before the last BundleDeployment reaches the controller's cache:
  // the list of deployments completes on the reconcile that follows.
  ASSERT_TRUE(eventually([&] { return status_of(stack).value("deployments", json::array()).size() == 6U; }))
      << status_of(stack).dump(2);
  const json status = status_of(stack);
  EXPECT_EQ(status["message"], "all 3 charts ready on 2 clusters");
  EXPECT_EQ(status["targetClusters"], json::array({"c-m-gpu01", "c-m-gpu02"}));
  EXPECT_EQ(status["deployments"].size(), 6U);
  EXPECT_EQ((condition(status, "Ready"))["status"], "True");
}

TEST_F(StackControllerTest, FleetErrorOnOneClusterIsDegradedNamingTheCluster) {
  start_controller();
  fleet_clusters();
  const json stack = user_stack("rag");
  ASSERT_TRUE(create_and_settle(stack));
  for (const auto& [key, bundle] : bundles_of(stack)) {
    const bool ollama = key == "fleet-default/team-a-rag-ollama";
    fleet_summary(key, 2, ollama ? 1 : 2, ollama ? 1 : 0);
    fleet_deployment(key, "gpu01", "Ready");
    fleet_deployment(key, "gpu02", ollama ? "ErrApplied" : "Ready",
                     ollama ? "failed to install: Service \"ollama\" is invalid" : "");
  }
  ASSERT_TRUE(reaches_phase(stack, "Degraded")) << status_of(stack).dump(2);
  // The message names the cluster once its BundleDeployment is in the controller's cache (the Bundle's
  // summary may come first).
  EXPECT_TRUE(eventually([&] {
    return status_of(stack)["message"] ==
           "ollama ErrApplied on c-m-gpu02: failed to install: Service \"ollama\" is invalid";
  })) << status_of(stack).dump(2);

  // The same error on the other cluster too: the chart runs nowhere.
  fleet_summary("fleet-default/team-a-rag-ollama", 2, 0, 2);
  fleet_deployment("fleet-default/team-a-rag-ollama", "gpu01", "ErrApplied",
                   "chart not found: ollama-0.24.0");
  ASSERT_TRUE(reaches_phase(stack, "Failed")) << status_of(stack).dump(2);
  EXPECT_TRUE(eventually([&] {
    return status_of(stack)["message"].get<std::string>().find("on c-m-gpu0") != std::string::npos;
  })) << status_of(stack).dump(2);
}

TEST_F(StackControllerTest, FleetZeroOfZeroIsNoTargets) {
  start_controller();
  const json stack = user_stack("rag");
  ASSERT_TRUE(create_and_settle(stack));
  for (const auto& [key, bundle] : bundles_of(stack)) {
    fleet_summary(key, 0, 0);
  }
  ASSERT_TRUE(reaches_phase(stack, "NoTargets")) << status_of(stack).dump(2);
  EXPECT_EQ((condition(status_of(stack), "Ready"))["status"], "False");
}

TEST_F(StackControllerTest, FleetDependencyWaitStaysDeploying) {
  auto& controller = start_controller();
  fleet_clusters();
  const json stack = user_stack("rag");
  ASSERT_TRUE(create_and_settle(stack));
  fleet_ready_everywhere(stack);
  ASSERT_TRUE(reaches_phase(stack, "Deployed")) << status_of(stack).dump(2);

  fleet_summary("fleet-default/team-a-rag-qdrant", 2, 1);
  fleet_deployment("fleet-default/team-a-rag-qdrant", "gpu01", "NotReady");
  fleet_summary("fleet-default/team-a-rag-ollama", 2, 1, 1);
  fleet_deployment("fleet-default/team-a-rag-ollama", "gpu01", "ErrApplied",
                   "dependent bundle(s) are not ready: [team-a-rag-qdrant]");
  const auto waiting = [&] {
    for (const auto& entry : status_of(stack).value("deployments", json::array())) {
      if (entry["chartName"] == "ollama" && entry["clusterId"] == "c-m-gpu01") {
        return entry["status"] == "WaitingForDependency";
      }
    }
    return false;
  };
  ASSERT_TRUE(eventually(waiting)) << status_of(stack).dump(2);
  ASSERT_TRUE(controller.wait_reconciles(2));
  const json status = status_of(stack);
  EXPECT_EQ(status["phase"], "Deploying");
  EXPECT_THAT(status["message"].get<std::string>(), HasSubstr("qdrant NotReady on c-m-gpu01"));
  for (const auto& entry : status["deployments"]) {
    if (entry["chartName"] == "ollama" && entry["clusterId"] == "c-m-gpu01") {
      EXPECT_EQ(entry["message"], "waiting for dependency qdrant on c-m-gpu01");
    }
  }
}

TEST_F(StackControllerTest, ConfigMapValuesMissingThenCreatedThenChanged) {
  auto& controller = start_controller();
  json stack = user_stack("rag");
  stack["spec"]["charts"][2]["values"]["configMapRefs"] = json::array({{{"name", "ollama-values"}}});
  create_stack(stack);

  // Missing: an error in status, and no Bundle at all (never Bundles without the values).
  ASSERT_TRUE(reaches_phase(stack, "Failed")) << status_of(stack).dump(2);
  const json validated = condition(status_of(stack), "Validated");
  ASSERT_TRUE(validated.is_object()) << status_of(stack).dump(2);
  EXPECT_EQ(validated["status"], "False");
  EXPECT_THAT(validated["message"].get<std::string>(), HasSubstr("ConfigMap team-a/ollama-values"));
  ASSERT_TRUE(controller.wait_reconciles(2));
  EXPECT_TRUE(all_bundles().empty());

  const json config_map = {{"apiVersion", "v1"},
                           {"kind", "ConfigMap"},
                           {"metadata", {{"name", "ollama-values"}, {"namespace", "team-a"}}},
                           {"data", {{"values.yaml", "replicaCount: 2\nollama:\n  models: [llama3]\n"}}}};
  server->put(config_map);
  // The generation did not change: wait for the status of the reconcile that rendered, not just for Bundles.
  ASSERT_TRUE(eventually([&] {
    return settled(stack) && condition(status_of(stack), "Validated").value("status", "") == "True";
  })) << bundle_difference(stack);
  const json values = bundles_of(stack).at("fleet-default/team-a-rag-ollama")["spec"]["helm"]["values"];
  EXPECT_EQ(values["replicaCount"], 2);
  EXPECT_EQ(values["ollama"]["models"], json::array({"llama3"}));
  EXPECT_EQ(values["ollama"]["gpu"]["enabled"], true); // inline merged on top
  EXPECT_NE(phase_of(stack), "Failed");

  ASSERT_TRUE(controller.wait_reconciles(2));
  server->clear_logs();
  json changed = config_map;
  changed["data"]["values.yaml"] = "replicaCount: 5\n";
  server->put(changed);
  ASSERT_TRUE(eventually([&] {
    return converged(stack) &&
           bundles_of(stack).at("fleet-default/team-a-rag-ollama")["spec"]["helm"]["values"].value(
               "replicaCount", 0) == 5;
  })) << bundle_difference(stack);
  ASSERT_TRUE(controller.wait_reconciles(2));
  const auto writes = writes_of("bundles");
  ASSERT_EQ(writes.size(), 1U);
  EXPECT_EQ(writes[0].name, "team-a-rag-ollama");
}

TEST_F(StackControllerTest, ForeignBundleHoldingARenderedNameIsNeverTouched) {
  const json foreign = {{"apiVersion", k_fleet_api},
                        {"kind", "Bundle"},
                        {"metadata",
                         {{"name", "team-a-rag-qdrant"},
                          {"namespace", "fleet-default"},
                          {"labels", {{"app.kubernetes.io/managed-by", "Helm"}}}}},
                        {"spec", {{"helm", {{"chart", "qdrant"}, {"version", "0.1.0"}}}}}};
  const json seeded = server->put(foreign);
  auto& controller = start_controller();
  const json stack = user_stack("rag");
  create_stack(stack);

  ASSERT_TRUE(reaches_phase(stack, "Failed")) << status_of(stack).dump(2);
  const json status = status_of(stack);
  EXPECT_EQ(status["message"],
            "chart qdrant: Bundle fleet-default/team-a-rag-qdrant already exists and is not "
            "managed by Herd (managed by \"Helm\"); Herd leaves it alone");
  EXPECT_EQ((condition(status, "BundlesApplied"))["reason"], "NameCollision");
  // The other charts are applied.
  ASSERT_TRUE(eventually([&] { return bundles_of(stack).size() == 2; }));
  ASSERT_TRUE(controller.wait_reconciles(3));

  delete_stack(stack);
  ASSERT_TRUE(eventually([&] { return !stored_stack(stack).has_value(); }));
  EXPECT_TRUE(bundles_of(stack).empty());
  const auto still = server->get(k_fleet_api, "bundles", "fleet-default", "team-a-rag-qdrant");
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(*still, seeded);
  for (const auto& write : writes_of("bundles")) {
    if (write.name == "team-a-rag-qdrant") {
      EXPECT_EQ(write.field_manager, "herd-test-seed") << write.verb;
    }
  }
  EXPECT_EQ(server->request_count("", "bundles/team-a-rag-qdrant") -
                server->request_count("GET", "bundles/team-a-rag-qdrant"),
            0U);
}

TEST_F(StackControllerTest, AnEditThePolicyForbidsTouchesNoBundle) {
  auto& controller = start_controller();
  json stack = user_stack("rag");
  ASSERT_TRUE(create_and_settle(stack)) << bundle_difference(stack);
  server->clear_logs();

  // Stored while the webhook was down: the reconciler judges it as the webhook would have.
  auto patched = user->merge_patch(kube::resources::stacks, "team-a", "rag",
                                   {{"spec", {{"workspace", "fleet-team-a"}}}});
  ASSERT_TRUE(patched) << patched.error().to_string();
  ASSERT_TRUE(reaches_phase(stack, "Failed")) << status_of(stack).dump(2);
  const json validated = condition(status_of(stack), "Validated");
  EXPECT_EQ(validated["status"], "False");
  EXPECT_THAT(validated["message"].get<std::string>(), HasSubstr("fleet-team-a"));
  EXPECT_EQ(status_of(stack)["observedGeneration"], (*patched)["metadata"]["generation"]);
  ASSERT_TRUE(controller.wait_reconciles(2));
  EXPECT_TRUE(writes_of("bundles").empty());
  EXPECT_TRUE(converged(stack)) << bundle_difference(stack); // the Bundles of the last valid spec stay
}

TEST_F(StackControllerTest, MovingToAnotherWorkspaceAppliesThereAndDeletesTheOldBundles) {
  auto& controller = start_controller();
  put_namespace("fleet-local");
  json stack = user_stack("rag");
  ASSERT_TRUE(create_and_settle(stack)) << bundle_difference(stack);
  server->clear_logs();

  auto patched =
      user->merge_patch(kube::resources::stacks, "team-a", "rag", {{"spec", {{"workspace", "fleet-local"}}}});
  ASSERT_TRUE(patched) << patched.error().to_string();
  stack["spec"]["workspace"] = "fleet-local";
  ASSERT_TRUE(eventually([&] { return settled(stack); })) << bundle_difference(stack);
  ASSERT_TRUE(controller.wait_reconciles(2));
  for (const auto& [key, bundle] : all_bundles()) {
    EXPECT_THAT(key, ::testing::StartsWith("fleet-local/"));
  }
  std::map<std::string, int> verbs;
  for (const auto& write : writes_of("bundles")) {
    ++verbs[write.name_space + " " + write.verb];
  }
  EXPECT_EQ(verbs, (std::map<std::string, int>{{"fleet-default delete", 3}, {"fleet-local apply", 3}}));
}

TEST_F(StackControllerTest, StackDeletedWhileNoControllerRunsIsFinalizedByTheNextOne) {
  const json stack = user_stack("rag");
  {
    auto& first = start_controller({.identity = "herd-a"});
    ASSERT_TRUE(create_and_settle(stack)) << bundle_difference(stack);
    first.stop();
  }
  delete_stack(stack);
  ASSERT_TRUE(stored_stack(stack).has_value()) << "the finalizer holds it";
  EXPECT_EQ(bundles_of(stack).size(), 3U);

  start_controller({.identity = "herd-b"});
  ASSERT_TRUE(eventually([&] { return !stored_stack(stack).has_value(); }));
  EXPECT_TRUE(all_bundles().empty());
}

TEST_F(StackControllerTest, ResyncWithNothingChangedSendsZeroWriteRequests) {
  auto& controller = start_controller({.resync_period = 300ms});
  fleet_clusters();
  const json stack = user_stack("rag");
  const json other = user_stack("other", "team-b");
  create_stack(stack);
  create_stack(other);
  ASSERT_TRUE(eventually([&] { return settled(stack) && settled(other); }));
  fleet_ready_everywhere(stack);
  ASSERT_TRUE(reaches_phase(stack, "Deployed"));
  ASSERT_TRUE(controller.wait_reconciles(4));
  server->clear_logs();
  const int attempts = controller.write_attempts();

  // At least two whole resyncs of both Stacks (300 ms apart).
  ASSERT_TRUE(controller.wait_reconciles(6));
  EXPECT_EQ(write_requests(), 0U);
  EXPECT_EQ(controller.write_attempts(), attempts);
  EXPECT_TRUE(server->writes().empty());
}

// --namespace: Stacks of other namespaces are not this controller's business, not even their finalizer.
TEST_F(StackControllerTest, OneNamespaceModeLeavesOtherNamespacesAlone) {
  auto& controller = start_controller({.name_space = "team-a"});
  const json mine = user_stack("rag");
  const json theirs = user_stack("rag", "team-b");
  create_stack(theirs);
  ASSERT_TRUE(create_and_settle(mine));
  ASSERT_TRUE(controller.wait_reconciles(3)); // resyncs of team-a's Stack have run meanwhile
  EXPECT_TRUE(bundles_of(theirs).empty());
  const auto stored = stored_stack(theirs);
  ASSERT_TRUE(stored);
  EXPECT_FALSE((*stored)["metadata"].contains("finalizers"));
  EXPECT_FALSE(stored->contains("status"));
}

// spec.paused holds every Bundle of the Stack (Fleet's Bundle.spec.paused) and the phase says so; resuming
// releases them.
TEST_F(StackControllerTest, PausingTheStackPausesEveryBundleAndResumingReleasesThem) {
  start_controller();
  const json stack = user_stack("rag");
  ASSERT_TRUE(create_and_settle(stack));
  const auto set_paused = [&](bool paused) {
    auto patched =
        user->merge_patch(kube::resources::stacks, "team-a", "rag", {{"spec", {{"paused", paused}}}});
    ASSERT_TRUE(patched) << patched.error().to_string();
  };
  const auto all_paused = [&](bool paused) {
    const auto bundles = bundles_of(stack);
    return !bundles.empty() && std::ranges::all_of(bundles, [&](const auto& entry) {
      return entry.second["spec"].value("paused", false) == paused;
    });
  };
  set_paused(true);
  ASSERT_TRUE(eventually([&] { return all_paused(true) && phase_of(stack) == "Paused"; }))
      << status_of(stack).dump(2);
  set_paused(false);
  ASSERT_TRUE(eventually([&] { return all_paused(false) && phase_of(stack) != "Paused"; }))
      << status_of(stack).dump(2);
}

} // namespace
} // namespace herd::test
