// The Stack status users read with kubectl get / rollout status (DESIGN §2, issue 5): the phase follows what
// Fleet reports (Ready 0/0 is NoTargets, a dependency wait is not a failure, failures name chart and
// cluster), counts are complete while details are capped, the result validates against the Stack status
// schema, and the same inputs always give the same bytes (so an unchanged Stack causes no /status write).

#include "controller_fixtures.hpp"
#include "status_schema.hpp"

#include <herd/controller/bundle_sync.hpp>
#include <herd/controller/stack_status.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herd::controller {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* k_now = "2025-05-01T12:00:00Z";
constexpr const char* k_later = "2025-05-01T12:05:00Z";

const json* find_condition(const json& status, const std::string& type) {
  for (const auto& condition : status["conditions"]) {
    if (condition["type"] == type) {
      return &condition;
    }
  }
  return nullptr;
}

// A Stack on two Fleet clusters (gpu01, gpu02 = Rancher c-m-gpu01, c-m-gpu02) and what Fleet reports.
class StackStatus : public ::testing::Test {
protected:
  json stack = test::effective(test::rag_stack());
  core::RenderedStack rendered = test::render(stack);
  std::vector<json> bundles;
  std::vector<json> deployments;
  std::vector<json> clusters = {test::fleet_cluster("gpu01", "c-m-gpu01"),
                                test::fleet_cluster("gpu02", "c-m-gpu02")};
  std::vector<Collision> collisions;
  std::vector<ApplyError> apply_errors;
  std::vector<std::string> validation_errors;

  const json& bundle(const std::string& chart) { return test::rendered_bundle(rendered, chart); }

  // Every chart ready on both clusters.
  void all_ready() {
    bundles.clear();
    deployments.clear();
    for (const auto* chart : {"gpu-operator", "qdrant", "ollama"}) {
      bundles.push_back(test::fleet_bundle(bundle(chart), 2, 2));
      for (const auto* cluster : {"gpu01", "gpu02"}) {
        deployments.push_back(test::bundle_deployment(bundle(chart), cluster, "Ready"));
      }
    }
  }

  // Replaces the deployment of `chart` on `cluster` and recounts its Bundle's ready clusters.
  void set_deployment(const std::string& chart,
                      const std::string& cluster,
                      const std::string& state,
                      const std::string& message = "") {
    const std::string name = test::name_of(bundle(chart));
    int ready = 0;
    for (auto& deployment : deployments) {
      if (deployment["metadata"]["name"] == name &&
          deployment["metadata"]["labels"]["fleet.cattle.io/cluster"] == cluster) {
        deployment = test::bundle_deployment(bundle(chart), cluster, state, message);
      }
      if (deployment["metadata"]["name"] == name) {
        ready += deployment["status"]["ready"].get<bool>() ? 1 : 0;
      }
    }
    for (auto& observed : bundles) {
      if (observed["metadata"]["name"] == name) {
        observed = test::fleet_bundle(bundle(chart), 2, ready, ready == 2 ? "" : state);
      }
    }
  }

  json compute(const json* previous = nullptr, const std::string& now = k_now) {
    StatusInput input;
    input.stack = &stack;
    input.rendered = validation_errors.empty() ? &rendered : nullptr;
    input.validation_errors = validation_errors;
    input.bundles = bundles;
    input.bundle_deployments = deployments;
    input.clusters = clusters;
    input.collisions = collisions;
    input.apply_errors = apply_errors;
    input.previous = previous;
    input.now = now;
    json status = compute_stack_status(input);
    EXPECT_THAT(test::StatusSchema::get().problems(status), IsEmpty()) << status.dump(2);
    return status;
  }
};

TEST_F(StackStatus, PendingBeforeAnyBundleExists) {
  const json status = compute();
  EXPECT_EQ(status["phase"], "Pending");
  EXPECT_EQ(status["observedGeneration"], 3);
  EXPECT_EQ(status["summary"]["charts"], 3);
  EXPECT_EQ(status["summary"]["clusters"], 0);
  EXPECT_EQ(status["bundles"][0]["state"], "Pending");
  EXPECT_EQ((*find_condition(status, "BundlesApplied"))["status"], "True");
  EXPECT_EQ((*find_condition(status, "Ready"))["status"], "False");
  EXPECT_EQ((*find_condition(status, "Ready"))["reason"], "Pending");
}

TEST_F(StackStatus, DeployedWhenEveryBundleIsReadyOnEveryCluster) {
  all_ready();
  const json status = compute();
  EXPECT_EQ(status["phase"], "Deployed");
  EXPECT_EQ(status["message"], "all 3 charts ready on 2 clusters");
  EXPECT_EQ(status["summary"], json::parse(R"({"charts": 3, "clusters": 2, "readyBundles": 3,
    "desiredDeployments": 6, "readyDeployments": 6, "omittedDeployments": 0})"));
  EXPECT_EQ(status["targetClusters"], json::array({"c-m-gpu01", "c-m-gpu02"}));
  EXPECT_EQ(status["bundles"][1], json::parse(R"({"chart": "qdrant", "name": "team-a-rag-qdrant",
    "state": "Ready", "readyClusters": "2/2"})"));
  EXPECT_EQ(status["deployments"].size(), 6U);
  EXPECT_EQ(status["deployments"][0], json::parse(R"({"chartName": "gpu-operator", "clusterId": "c-m-gpu01",
    "status": "Ready", "lastUpdated": "2025-05-01T12:00:00Z"})"));
  const json& ready = *find_condition(status, "Ready");
  EXPECT_EQ(ready["status"], "True");
  EXPECT_EQ(ready["observedGeneration"], 3);
  EXPECT_EQ(ready["lastTransitionTime"], k_now);
}

TEST_F(StackStatus, ReadyZeroOfZeroIsNoTargetsNotSuccess) {
  for (const auto* chart : {"gpu-operator", "qdrant", "ollama"}) {
    bundles.push_back(test::fleet_bundle(bundle(chart), 0, 0));
  }
  const json status = compute();
  EXPECT_EQ(status["phase"], "NoTargets");
  EXPECT_EQ(status["message"],
            "charts gpu-operator, qdrant, ollama match no cluster (Fleet reports 0/0): check spec.targets");
  EXPECT_EQ(status["bundles"][0]["state"], "NoTargets");
  EXPECT_EQ(status["bundles"][0]["readyClusters"], "0/0");
  EXPECT_EQ((*find_condition(status, "Ready"))["status"], "False");
}

TEST_F(StackStatus, OneBundleWithoutTargetsIsNoTargetsEvenIfTheOthersAreReady) {
  all_ready();
  bundles[2] = test::fleet_bundle(bundle("ollama"), 0, 0);
  deployments.resize(4);
  const json status = compute();
  EXPECT_EQ(status["phase"], "NoTargets");
  EXPECT_EQ(status["message"], "chart ollama match no cluster (Fleet reports 0/0): check spec.targets");
}

TEST_F(StackStatus, DependencyWaitIsDeployingNotFailed) {
  all_ready();
  set_deployment("qdrant", "gpu01", "NotReady");
  set_deployment("ollama", "gpu01", "ErrApplied", "dependent bundle(s) are not ready: [team-a-rag-qdrant]");
  const json status = compute();
  EXPECT_EQ(status["phase"], "Deploying");
  EXPECT_THAT(status["message"].get<std::string>(),
              HasSubstr("1/3 charts ready, 4/6 deployments ready; qdrant NotReady on c-m-gpu01"));
  const json& waiting = status["deployments"][1];
  EXPECT_EQ(waiting["chartName"], "ollama");
  EXPECT_EQ(waiting["clusterId"], "c-m-gpu01");
  EXPECT_EQ(waiting["status"], "WaitingForDependency");
  EXPECT_EQ(waiting["message"], "waiting for dependency qdrant on c-m-gpu01");
}

TEST_F(StackStatus, OnlyDependencyWaitsLeftNameTheDependency) {
  all_ready();
  set_deployment("ollama", "gpu02", "ErrApplied",
                 "dependent bundle(s) are not ready: [team-a-rag-qdrant team-a-rag-gpu-operator]");
  const json status = compute();
  EXPECT_EQ(status["phase"], "Deploying");
  EXPECT_THAT(status["message"].get<std::string>(),
              HasSubstr("ollama waiting for dependencies qdrant, gpu-operator on c-m-gpu02"));
}

TEST_F(StackStatus, ErrorOnSomeClustersIsDegradedWithFleetsMessageNamingTheCluster) {
  all_ready();
  set_deployment("ollama", "gpu02", "ErrApplied",
                 "failed to install: Service \"ollama\" is invalid: spec.ports[0].port: Invalid value: 0");
  const json status = compute();
  EXPECT_EQ(status["phase"], "Degraded");
  EXPECT_EQ(status["message"], "ollama ErrApplied on c-m-gpu02: failed to install: Service \"ollama\" is "
                               "invalid: spec.ports[0].port: Invalid value: 0");
  EXPECT_EQ(status["deployments"][0]["status"], "ErrApplied");
  EXPECT_EQ(status["deployments"][0]["clusterId"], "c-m-gpu02");
  EXPECT_EQ(status["bundles"][2]["state"], "ErrApplied");
  EXPECT_EQ(status["bundles"][2]["readyClusters"], "1/2");
  EXPECT_EQ(status["summary"]["readyBundles"], 2);
}

TEST_F(StackStatus, ErrorOnEveryClusterIsFailed) {
  all_ready();
  set_deployment("ollama", "gpu01", "ErrApplied", "chart not found: ollama-0.24.0");
  set_deployment("ollama", "gpu02", "ErrApplied", "chart not found: ollama-0.24.0");
  const json status = compute();
  EXPECT_EQ(status["phase"], "Failed");
  EXPECT_EQ(status["message"], "ollama ErrApplied on c-m-gpu01: chart not found: ollama-0.24.0 (and 1 more "
                               "deployments in error)");
}

TEST_F(StackStatus, NotReadyWithAnErroredResourceIsAnError) {
  all_ready();
  set_deployment("qdrant", "gpu01", "NotReady");
  for (auto& deployment : deployments) {
    if (deployment["metadata"]["name"] == "team-a-rag-qdrant" &&
        deployment["metadata"]["labels"]["fleet.cattle.io/cluster"] == "gpu01") {
      deployment["status"]["conditions"] = json::array();
      deployment["status"]["nonReadyStatus"] =
          json::parse(R"([{"apiVersion": "apps/v1", "kind": "StatefulSet",
        "name": "qdrant", "namespace": "qdrant", "summary": {"state": "in-progress", "error": true,
        "transitioning": false, "message": ["back-off restarting failed container"]}}])");
    }
  }
  const json status = compute();
  EXPECT_EQ(status["phase"], "Degraded");
  EXPECT_EQ(status["message"],
            "qdrant NotReady on c-m-gpu01: StatefulSet qdrant/qdrant: back-off restarting failed container");
}

TEST_F(StackStatus, DriftIsDegraded) {
  all_ready();
  set_deployment("gpu-operator", "gpu01", "Modified");
  EXPECT_EQ(compute()["phase"], "Degraded");
}

TEST_F(StackStatus, DeploymentsListWorstFirst) {
  all_ready();
  set_deployment("gpu-operator", "gpu02", "WaitApplied");
  set_deployment("qdrant", "gpu02", "Modified");
  set_deployment("ollama", "gpu01", "ErrApplied", "dependent bundle(s) are not ready: [team-a-rag-qdrant]");
  set_deployment("ollama", "gpu02", "ErrApplied", "timed out waiting for the condition");
  const json status = compute();
  std::vector<std::string> order;
  for (const auto& entry : status["deployments"]) {
    order.push_back(entry["status"].get<std::string>() + " " + entry["chartName"].get<std::string>() + " " +
                    entry["clusterId"].get<std::string>());
  }
  EXPECT_THAT(order,
              ElementsAre("ErrApplied ollama c-m-gpu02", "Modified qdrant c-m-gpu02",
                          "WaitApplied gpu-operator c-m-gpu02", "WaitingForDependency ollama c-m-gpu01",
                          "Ready gpu-operator c-m-gpu01", "Ready qdrant c-m-gpu01"));
}

TEST_F(StackStatus, BundleNotYetProcessedByFleetIsDeploying) {
  all_ready();
  bundles[1]["metadata"]["generation"] = 2; // just applied; Fleet still reports generation 1
  const json status = compute();
  EXPECT_EQ(status["phase"], "Deploying");
  EXPECT_EQ(status["bundles"][1]["state"], "Pending");
}

TEST_F(StackStatus, PausedStackIsPaused) {
  all_ready();
  stack["spec"]["paused"] = true;
  const json status = compute();
  EXPECT_EQ(status["phase"], "Paused");
  EXPECT_EQ(status["message"], "rollout paused (spec.paused); 3/3 charts ready, 6/6 deployments ready");
}

TEST_F(StackStatus, DeletionTimestampMeansDeleting) {
  all_ready();
  stack["metadata"]["deletionTimestamp"] = "2025-05-01T11:59:00Z";
  const json status = compute();
  EXPECT_EQ(status["phase"], "Deleting");
  EXPECT_EQ((*find_condition(status, "BundlesApplied"))["reason"], "Deleting");
}

TEST_F(StackStatus, InvalidStackReportsFindingsAndKeepsWhatFleetSaid) {
  all_ready();
  const json before = compute();
  validation_errors = {R"(spec.charts[2].dependsOn[0]: unknown chart "qdrnt" (did you mean "qdrant"?))"};
  stack["metadata"]["generation"] = 4;
  const json status = compute(&before, k_later);
  EXPECT_EQ(status["phase"], "Failed");
  EXPECT_THAT(status["message"].get<std::string>(), HasSubstr("unknown chart \"qdrnt\""));
  const json& validated = *find_condition(status, "Validated");
  EXPECT_EQ(validated["status"], "False");
  EXPECT_EQ(validated["reason"], "Invalid");
  EXPECT_THAT(validated["message"].get<std::string>(), HasSubstr("spec.charts[2].dependsOn[0]"));
  EXPECT_EQ(validated["lastTransitionTime"], k_later);
  EXPECT_EQ(status["observedGeneration"], 4);
  EXPECT_EQ(status["deployments"], before["deployments"]);
  EXPECT_EQ(status["bundles"], before["bundles"]);
  EXPECT_EQ((*find_condition(status, "SecurityConfigured")), (*find_condition(before, "SecurityConfigured")));
}

TEST_F(StackStatus, NameCollisionFailsAndSaysWhoOwnsTheBundle) {
  all_ready();
  bundles[1]["metadata"]["labels"] = {{"app.kubernetes.io/managed-by", "Helm"}};
  collisions.push_back({"qdrant", "fleet-default", "team-a-rag-qdrant", "not managed by Herd"});
  const json status = compute();
  EXPECT_EQ(status["phase"], "Failed");
  EXPECT_EQ(status["message"],
            "chart qdrant: Bundle fleet-default/team-a-rag-qdrant already exists and is not "
            "managed by Herd; Herd leaves it alone");
  EXPECT_EQ(status["bundles"][1]["state"], "Collision");
  const json& applied = *find_condition(status, "BundlesApplied");
  EXPECT_EQ(applied["status"], "False");
  EXPECT_EQ(applied["reason"], "NameCollision");
  // The foreign Bundle's deployments are not this Stack's.
  for (const auto& entry : status["deployments"]) {
    EXPECT_NE(entry["chartName"], "qdrant");
  }
}

TEST_F(StackStatus, ApplyErrorFailsAndBecomesAWarningEvent) {
  apply_errors.push_back({"ollama", "team-a-rag-ollama", "admission webhook denied the request"});
  const json status = compute();
  EXPECT_EQ(status["phase"], "Failed");
  EXPECT_EQ((*find_condition(status, "BundlesApplied"))["reason"], "ApplyFailed");
  EXPECT_EQ(status["bundles"][2]["state"], "ApplyFailed");
  const StackEvent event = apply_error_event(apply_errors[0]);
  EXPECT_EQ(event.type, "Warning");
  EXPECT_EQ(event.reason, "ApplyFailed");
  EXPECT_EQ(event.message,
            "chart ollama: applying Bundle team-a-rag-ollama failed: admission webhook denied the request");
}

TEST_F(StackStatus, SecurityAndObservabilityReportOnlyWhatHerdRendered) {
  json prod = test::rag_stack();
  prod["spec"]["env"] = "prod"; // the default policy requires security and observability there
  stack = test::effective(prod);
  rendered = test::render(stack);
  const json status = compute();
  EXPECT_EQ(status["security"], json::parse(R"({"enabled": true, "policyBundle": "team-a-rag-herd-policy",
    "rules": 2})")); // qdrant and ollama: the charts whose NeuVector service name Herd pins
  EXPECT_EQ(status["observability"], json::parse(R"({"enabled": true, "serviceMonitors": 2})"))
      << "gpu-operator and qdrant have ServiceMonitor values; ollama has none, so nothing is invented";
  EXPECT_EQ(status["bundles"][0]["chart"], "herd-policy");
  EXPECT_EQ((*find_condition(status, "SecurityConfigured"))["reason"], "PolicyBundleNotReady");
  EXPECT_EQ((*find_condition(status, "ObservabilityConfigured"))["status"], "True");

  const json plain = test::effective(test::rag_stack());
  stack = plain;
  rendered = test::render(stack);
  const json off = compute();
  EXPECT_EQ(off["security"], json::parse(R"({"enabled": false})"));
  EXPECT_EQ((*find_condition(off, "SecurityConfigured"))["reason"], "Disabled");
}

TEST_F(StackStatus, ComputingTwiceGivesIdenticalBytes) {
  all_ready();
  set_deployment("ollama", "gpu02", "ErrApplied", "timed out");
  EXPECT_EQ(compute().dump(), compute().dump());
}

TEST_F(StackStatus, UnchangedInputsWithPreviousStatusChangeNothing) {
  all_ready();
  set_deployment("ollama", "gpu02", "WaitApplied");
  const json first = compute();
  const json again = compute(&first, k_later);
  EXPECT_FALSE(status_changed(first, again)) << json::diff(first, again).dump(2);
  EXPECT_EQ(first.dump(), again.dump());
  EXPECT_FALSE(phase_change_event(first, again).has_value());
}

TEST_F(StackStatus, ChangesMoveOnlyTheTimesOfWhatChanged) {
  all_ready();
  set_deployment("ollama", "gpu02", "WaitApplied");
  const json first = compute();
  set_deployment("ollama", "gpu02", "Ready");
  const json next = compute(&first, k_later);
  EXPECT_TRUE(status_changed(first, next));
  EXPECT_EQ((*find_condition(next, "Ready"))["lastTransitionTime"], k_later);
  EXPECT_EQ((*find_condition(next, "Validated"))["lastTransitionTime"], k_now);
  for (const auto& entry : next["deployments"]) {
    const bool changed = entry["chartName"] == "ollama" && entry["clusterId"] == "c-m-gpu02";
    EXPECT_EQ(entry["lastUpdated"], changed ? k_later : k_now) << entry.dump();
  }
}

TEST_F(StackStatus, ClustersThatStopMatchingDisappear) {
  all_ready();
  const json first = compute();
  std::erase_if(deployments,
                [](const json& d) { return d["metadata"]["labels"]["fleet.cattle.io/cluster"] == "gpu02"; });
  for (auto& observed : bundles) {
    observed["status"]["summary"]["desiredReady"] = 1;
    observed["status"]["summary"]["ready"] = 1;
    observed["status"]["display"]["readyClusters"] = "1/1";
  }
  const json next = compute(&first, k_later);
  EXPECT_EQ(next["targetClusters"], json::array({"c-m-gpu01"}));
  EXPECT_EQ(next["summary"]["clusters"], 1);
  EXPECT_EQ(next["deployments"].size(), 3U);
  EXPECT_EQ(next["phase"], "Deployed");
}

TEST_F(StackStatus, UnknownFleetClusterIsReportedByItsFleetName) {
  all_ready();
  clusters.clear();
  EXPECT_EQ(compute()["targetClusters"], json::array({"gpu01", "gpu02"}));
}

TEST_F(StackStatus, PhaseChangeEvents) {
  const json pending = compute();
  all_ready();
  const json deployed = compute(&pending, k_later);
  const auto to_deployed = phase_change_event(pending, deployed);
  ASSERT_TRUE(to_deployed.has_value());
  EXPECT_EQ(to_deployed->type, "Normal");
  EXPECT_EQ(to_deployed->reason, "Deployed");
  EXPECT_EQ(to_deployed->message, "Pending -> Deployed: all 3 charts ready on 2 clusters");

  set_deployment("ollama", "gpu01", "ErrApplied", "boom");
  set_deployment("ollama", "gpu02", "ErrApplied", "boom");
  const auto to_failed = phase_change_event(deployed, compute(&deployed, k_later));
  ASSERT_TRUE(to_failed.has_value());
  EXPECT_EQ(to_failed->type, "Warning");
  EXPECT_EQ(to_failed->reason, "Failed");

  const auto first = phase_change_event(json(), pending);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->message, "(none) -> Pending: no Bundle exists yet: waiting for 3 Bundles to be created");
}

// DESIGN §2: 10 charts on 5,000 clusters keep the status under 100 KiB, counts complete, details capped.
TEST(StackStatusBounds, TenChartsOnFiveThousandClustersStayUnder100KiB) {
  json document = test::rag_stack("big");
  document["spec"]["targets"] = {{"selector", {{"matchLabels", {{"gpu", "true"}}}}}};
  document["spec"]["charts"] = json::array();
  for (int i = 0; i < 10; ++i) {
    document["spec"]["charts"].push_back({{"name", "chart-" + std::to_string(i)},
                                          {"repo", "https://charts.example.com"},
                                          {"version", "1.0.0"}});
  }
  const json stack = test::effective(document);
  const core::RenderedStack rendered = test::render(stack);
  constexpr int k_clusters = 5000;
  std::vector<json> bundles;
  std::vector<json> deployments;
  std::vector<json> clusters;
  clusters.reserve(k_clusters);
  for (int c = 0; c < k_clusters; ++c) {
    clusters.push_back(
        test::fleet_cluster("cluster-" + std::to_string(c), "c-m-" + std::to_string(100000 + c)));
  }
  const std::string long_error = "failed to install: " + std::string(2000, 'x');
  for (const auto& bundle : rendered.bundles) {
    bundles.push_back(test::fleet_bundle(bundle.object(), k_clusters, k_clusters / 2, "ErrApplied"));
    for (int c = 0; c < k_clusters; ++c) {
      deployments.push_back(test::bundle_deployment(bundle.object(), "cluster-" + std::to_string(c),
                                                    c % 2 == 0 ? "Ready" : "ErrApplied", long_error));
    }
  }
  StatusInput input;
  input.stack = &stack;
  input.rendered = &rendered;
  input.bundles = bundles;
  input.bundle_deployments = deployments;
  input.clusters = clusters;
  input.now = k_now;
  const json status = compute_stack_status(input);
  EXPECT_LT(status.dump().size(), 100U * 1024U);
  EXPECT_EQ(status["summary"]["clusters"], k_clusters);
  EXPECT_EQ(status["summary"]["desiredDeployments"], 10 * k_clusters);
  EXPECT_EQ(status["summary"]["readyDeployments"], 10 * k_clusters / 2);
  EXPECT_EQ(status["deployments"].size(), k_default_max_deployments);
  EXPECT_EQ(status["summary"]["omittedDeployments"], 10 * k_clusters - 100);
  EXPECT_EQ(status["targetClusters"].size(), k_default_max_target_clusters);
  EXPECT_EQ(status["phase"], "Degraded");
  for (const auto& entry : status["deployments"]) {
    EXPECT_EQ(entry["status"], "ErrApplied"); // the not-ready ones first
  }
  EXPECT_THAT(test::StatusSchema::get().problems(status), IsEmpty());

  // Re-computing with that status as the previous one writes nothing.
  input.previous = &status;
  input.now = k_later;
  EXPECT_FALSE(status_changed(status, compute_stack_status(input)));
}

TEST(StackStatusBounds, LongMessagesAreCutOnCharacterBoundaries) {
  json stack = test::effective(test::rag_stack());
  const core::RenderedStack rendered = test::render(stack);
  const json& ollama = test::rendered_bundle(rendered, "ollama");
  std::vector<json> bundles = {test::fleet_bundle(ollama, 1, 0, "ErrApplied")};
  std::string message;
  for (int i = 0; i < 300; ++i) {
    message += "é"; // two bytes each
  }
  std::vector<json> deployments = {test::bundle_deployment(ollama, "gpu01", "ErrApplied", "x" + message)};
  StatusInput input;
  input.stack = &stack;
  input.rendered = &rendered;
  input.bundles = bundles;
  input.bundle_deployments = deployments;
  input.now = k_now;
  const json status = compute_stack_status(input);
  EXPECT_NO_THROW((void)status.dump());
  EXPECT_LE(status["deployments"][0]["message"].get<std::string>().size(), 400U);
}

} // namespace
} // namespace herd::controller
