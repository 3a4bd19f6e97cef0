// kubectl herd rollout status STACK (DESIGN §7, issue 6): the pure view and decision (rollout_status.hpp),
// then the real kubectl running the plugin against the test API server (tests/apiserver) while a thread of
// the test writes the Stack's status as the reconciler would: non-terminal output line by line, every exit
// code, a dropped watch, a 410 relist, and one terminal session in tmux compared with tests/golden/.
//
// The scripted status updates never race the command: a thread waits (polling, generous limit) until the
// command's watch is open, then writes; a watch resumes from the list's resourceVersion, so every update
// after the list arrives as its own event, however fast they come.
//
// Golden file: tests/golden/rollout-status-tty.txt. After an intended change, regenerate with
//   HERD_UPDATE_GOLDEN=1 ./build/bin/herd-plugin-tests --gtest_filter='RolloutStatusCommand.Terminal*'

#include "../../plugin/src/rollout_status.hpp"
#include "../support/text_lines.hpp"
#include "cli_helpers.hpp"

#include <herd/test_apiserver/api_server.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using herd::plugin::fit_to_rows;
using herd::plugin::fit_to_width;
using herd::plugin::parse_rollout_timeout;
using herd::plugin::redraw_prefix;
using herd::plugin::render_rollout_view;
using herd::plugin::rollout_view_changes;
using herd::plugin::RolloutStatusOutcome;
using herd::plugin::testing::CliResult;
using herd::plugin::testing::run_shell;
using herd::plugin::testing::source_path;
using herd::plugin::testing::TempDir;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Kind = herd::plugin::RolloutStatusOutcome::Kind;

using herd::testing::lines_of;

namespace {

namespace api = herd::test_apiserver;

// ---------------------------------------------------------------------------------------- Stacks and status

// The Stack "rag": qdrant, vllm (after qdrant), open-webui (after vllm), on two clusters; no status yet.
json rag_stack(int generation = 1) {
  return {{"apiVersion", "herd.suse.com/v1"},
          {"kind", "Stack"},
          {"metadata", {{"name", "rag"}, {"namespace", "default"}, {"generation", generation}}},
          {"spec",
           {{"targets", {{"clusterIds", {"c-m-gpu01", "c-m-gpu02"}}}},
            {"charts",
             {{{"name", "qdrant"}, {"repo", "https://qdrant.github.io/qdrant-helm"}, {"version", "1.12.0"}},
              {{"name", "vllm"},
               {"repo", "https://vllm-project.github.io/production-stack"},
               {"version", "0.1.0"},
               {"dependsOn", {"qdrant"}}},
              {{"name", "open-webui"},
               {"repo", "https://helm.openwebui.com"},
               {"version", "5.0.0"},
               {"dependsOn", {"vllm"}}}}}}}};
}

json bundle(const std::string& chart, int ready, int desired, const std::string& state) {
  return {{"chart", chart},
          {"name", "rag-" + chart},
          {"state", state},
          {"readyClusters", std::to_string(ready) + "/" + std::to_string(desired)}};
}

json deployment(const std::string& chart,
                const std::string& cluster,
                const std::string& state,
                const std::string& message = "") {
  json entry = {{"chartName", chart},
                {"clusterId", cluster},
                {"status", state},
                {"lastUpdated", "2025-05-01T12:00:00Z"}};
  if (!message.empty()) {
    entry["message"] = message;
  }
  return entry;
}

json waiting(const std::string& chart, const std::string& dependency, const std::string& cluster) {
  return deployment(chart, cluster, "WaitingForDependency",
                    "waiting for dependency " + dependency + " on " + cluster);
}

// A status as compute_stack_status shapes it; the summary is counted from `bundles`.
json status_of(const std::string& phase,
               const json& bundles,
               const json& deployments = json::array(),
               const std::string& message = "",
               int observed_generation = 1) {
  int charts = 0;
  int ready_bundles = 0;
  int desired = 0;
  int ready = 0;
  for (const auto& entry : bundles) {
    if (entry["chart"] == "herd-policy") {
      continue;
    }
    const std::string counts = entry["readyClusters"];
    const int r = std::stoi(counts.substr(0, counts.find('/')));
    const int d = std::stoi(counts.substr(counts.find('/') + 1));
    ++charts;
    ready_bundles += (r == d && d > 0) ? 1 : 0;
    desired += d;
    ready += r;
  }
  return {{"observedGeneration", observed_generation},
          {"phase", phase},
          {"message", message},
          {"summary",
           {{"charts", charts},
            {"clusters", 2},
            {"readyBundles", ready_bundles},
            {"desiredDeployments", desired},
            {"readyDeployments", ready},
            {"omittedDeployments", 0}}},
          {"bundles", bundles},
          {"deployments", deployments}};
}

json with_status(json stack, json status) {
  stack["status"] = std::move(status);
  return stack;
}

// The scripted rollout, as the reconciler would report it.
json pending_status() {
  return status_of("Pending",
                   {bundle("qdrant", 0, 0, "Pending"), bundle("vllm", 0, 0, "Pending"),
                    bundle("open-webui", 0, 0, "Pending")},
                   json::array(), "no Bundle exists yet: waiting for 3 Bundles to be created");
}

json deploying_status() {
  return status_of(
      "Deploying",
      {bundle("qdrant", 0, 2, "NotReady"), bundle("vllm", 0, 2, "ErrApplied"),
       bundle("open-webui", 0, 2, "ErrApplied")},
      {deployment("qdrant", "c-m-gpu01", "NotReady", "StatefulSet qdrant/qdrant: 0/1 replicas ready"),
       deployment("qdrant", "c-m-gpu02", "NotReady", "StatefulSet qdrant/qdrant: 0/1 replicas ready"),
       waiting("vllm", "qdrant", "c-m-gpu01"), waiting("vllm", "qdrant", "c-m-gpu02"),
       waiting("open-webui", "vllm", "c-m-gpu01"), waiting("open-webui", "vllm", "c-m-gpu02")});
}

json half_way_status() {
  return status_of("Deploying",
                   {bundle("qdrant", 2, 2, "Ready"), bundle("vllm", 1, 2, "NotReady"),
                    bundle("open-webui", 0, 2, "ErrApplied")},
                   {deployment("vllm", "c-m-gpu02", "NotReady", "Deployment vllm/vllm: 0/1 available"),
                    deployment("open-webui", "c-m-gpu01", "NotReady"),
                    waiting("open-webui", "vllm", "c-m-gpu02"), deployment("qdrant", "c-m-gpu01", "Ready"),
                    deployment("qdrant", "c-m-gpu02", "Ready"), deployment("vllm", "c-m-gpu01", "Ready")});
}

json deployed_status() {
  json deployments = json::array();
  for (const char* chart : {"qdrant", "vllm", "open-webui"}) {
    for (const char* cluster : {"c-m-gpu01", "c-m-gpu02"}) {
      deployments.push_back(deployment(chart, cluster, "Ready"));
    }
  }
  return status_of(
      "Deployed",
      {bundle("qdrant", 2, 2, "Ready"), bundle("vllm", 2, 2, "Ready"), bundle("open-webui", 2, 2, "Ready")},
      deployments, "all 3 charts ready on 2 clusters");
}

json failed_status() {
  return status_of("Failed",
                   {bundle("qdrant", 2, 2, "Ready"), bundle("vllm", 0, 2, "ErrApplied"),
                    bundle("open-webui", 0, 2, "ErrApplied")},
                   {deployment("vllm", "c-m-gpu01", "ErrApplied", "image pull failed: vllm/vllm:v9"),
                    deployment("vllm", "c-m-gpu02", "ErrApplied", "image pull failed: vllm/vllm:v9"),
                    waiting("open-webui", "vllm", "c-m-gpu01"), waiting("open-webui", "vllm", "c-m-gpu02")},
                   "vllm ErrApplied on c-m-gpu01: image pull failed: vllm/vllm:v9 (and 1 more deployments "
                   "in error)");
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    out += line + "\n";
  }
  return out;
}

// ------------------------------------------------------------------------------------------------- the view

TEST(RolloutView, GroupsChartsByWaveWithTheNotReadyClustersAndTheirMessages) {
  const auto view = render_rollout_view(with_status(rag_stack(), deploying_status()));

  EXPECT_EQ(joined(view.texts()),
            "Waiting for stack \"rag\" rollout to finish: Deploying, 0 of 3 charts ready, 0 of 6 deployments "
            "ready...\n"
            "wave 1\n"
            "  qdrant      0/2  NotReady\n"
            "    c-m-gpu01 NotReady: StatefulSet qdrant/qdrant: 0/1 replicas ready\n"
            "    c-m-gpu02 NotReady: StatefulSet qdrant/qdrant: 0/1 replicas ready\n"
            "wave 2\n"
            "  vllm        0/2  WaitingForDependency\n"
            "    waiting for dependency qdrant on c-m-gpu01\n"
            "    waiting for dependency qdrant on c-m-gpu02\n"
            "wave 3\n"
            "  open-webui  0/2  WaitingForDependency\n"
            "    waiting for dependency vllm on c-m-gpu01\n"
            "    waiting for dependency vllm on c-m-gpu02\n");
}

TEST(RolloutView, ListsOnlyTheClustersThatAreNotReadyAndShowsTheWorstWhenFleetsErrAppliedIsADependencyWait) {
  const auto view = render_rollout_view(with_status(rag_stack(), half_way_status()));

  EXPECT_EQ(joined(view.texts()),
            "Waiting for stack \"rag\" rollout to finish: Deploying, 1 of 3 charts ready, 3 of 6 deployments "
            "ready...\n"
            "wave 1\n"
            "  qdrant      2/2  Ready\n"
            "wave 2\n"
            "  vllm        1/2  NotReady\n"
            "    c-m-gpu02 NotReady: Deployment vllm/vllm: 0/1 available\n"
            "wave 3\n"
            "  open-webui  0/2  NotReady\n"
            "    c-m-gpu01 NotReady\n"
            "    waiting for dependency vllm on c-m-gpu02\n");
}

TEST(RolloutView, FleetsErrAppliedStaysWhenADeploymentIsReallyInErrorOrNotListed) {
  json status = half_way_status();
  status["deployments"][1]["status"] = "ErrApplied";
  EXPECT_EQ(render_rollout_view(with_status(rag_stack(), status)).texts()[7],
            "  open-webui  0/2  ErrApplied");

  status = deploying_status();
  status["deployments"].erase(status["deployments"].size() - 1); // c-m-gpu02 not listed (the status's cap)
  EXPECT_EQ(render_rollout_view(with_status(rag_stack(), status)).texts()[10],
            "  open-webui  0/2  ErrApplied");
}

TEST(RolloutView, BeforeTheReconcilerReportsWaitsForTheSpecUpdateWithPendingCharts) {
  const auto view = render_rollout_view(rag_stack());

  EXPECT_EQ(joined(view.texts()), "Waiting for stack \"rag\" spec update to be observed...\n"
                                  "wave 1\n"
                                  "  qdrant      -/-  Pending\n"
                                  "wave 2\n"
                                  "  vllm        -/-  Pending\n"
                                  "wave 3\n"
                                  "  open-webui  -/-  Pending\n");
}

TEST(RolloutView, AStatusOfAnOlderGenerationSaysTheSpecUpdateIsNotObservedYet) {
  const auto view = render_rollout_view(with_status(rag_stack(2), deployed_status()));

  EXPECT_EQ(view.texts().front(), "Waiting for stack \"rag\" spec update to be observed...");
}

TEST(RolloutView, DeployedStackSaysSoWithoutWaiting) {
  const auto view = render_rollout_view(with_status(rag_stack(), deployed_status()));

  EXPECT_EQ(view.texts().front(), "stack \"rag\": Deployed, 3 of 3 charts ready, 6 of 6 deployments ready");
}

TEST(RolloutView, ThePolicyBundleIsWaveZero) {
  json status = deployed_status();
  status["bundles"].insert(status["bundles"].begin(), bundle("herd-policy", 1, 2, "NotReady"));
  status["deployments"].insert(
      status["deployments"].begin(),
      deployment("herd-policy", "c-m-gpu02", "NotReady", "NvSecurityRule rag: pending"));

  const auto view = render_rollout_view(with_status(rag_stack(), status));

  EXPECT_THAT(view.texts(), ElementsAre(::testing::_, "wave 0 (policy)", "  herd-policy  1/2  NotReady",
                                        "    c-m-gpu02 NotReady: NvSecurityRule rag: pending", "wave 1",
                                        "  qdrant       2/2  Ready", "wave 2", "  vllm         2/2  Ready",
                                        "wave 3", "  open-webui   2/2  Ready"));
}

TEST(RolloutView, CapsTheClustersUnderAChartAndCountsTheRestFromFleetsFigures) {
  json deployments = json::array();
  for (int i = 1; i <= 7; ++i) {
    deployments.push_back(deployment("qdrant", "c-m-" + std::to_string(i), "NotReady"));
  }
  // The status listed 7 of them (its cap); Fleet counts 40 not ready.
  const json status = status_of("Deploying",
                                {bundle("qdrant", 10, 50, "NotReady"), bundle("vllm", 50, 50, "Ready"),
                                 bundle("open-webui", 50, 50, "Ready")},
                                deployments);

  const auto texts = render_rollout_view(with_status(rag_stack(), status)).texts();

  ASSERT_EQ(texts.size(), 1U + 2U + 5U + 1U + 4U);
  EXPECT_EQ(texts[2], "  qdrant      10/50  NotReady");
  EXPECT_EQ(texts[3], "    c-m-1 NotReady");
  EXPECT_EQ(texts[7], "    c-m-5 NotReady");
  EXPECT_EQ(texts[8], "    and 35 more clusters not ready");
  EXPECT_EQ(texts[9], "wave 2");
}

TEST(RolloutView, MessagesCannotBreakLinesOrSendEscapeSequences) {
  json status = half_way_status();
  status["deployments"][0]["message"] = "line one\nline two\x1b[2J\xc2\x9b"
                                        "31m done";

  const auto texts = render_rollout_view(with_status(rag_stack(), status)).texts();

  EXPECT_EQ(texts[5], "    c-m-gpu02 NotReady: line one line two [2J 31m done");
}

TEST(RolloutView, ChartsOnADependencyCycleComeLast) {
  json stack = rag_stack();
  stack["spec"]["charts"][0]["dependsOn"] = {"open-webui"};

  const auto texts = render_rollout_view(stack).texts();

  EXPECT_THAT(texts, ElementsAre(::testing::_, "no wave (dependency cycle)", "  qdrant      -/-  Pending",
                                 "  vllm        -/-  Pending", "  open-webui  -/-  Pending"));
}

TEST(RolloutViewChanges, TheFirstViewIsPrintedWhole) {
  const auto view = render_rollout_view(rag_stack());

  EXPECT_EQ(rollout_view_changes({}, view), view.texts());
}

TEST(RolloutViewChanges, NothingWhenNothingChanged) {
  const auto view = render_rollout_view(with_status(rag_stack(), deploying_status()));

  EXPECT_TRUE(rollout_view_changes(view, view).empty());
}

TEST(RolloutViewChanges, TheHeaderThenTheChangedLinesUnderTheirWaveAndChart) {
  const auto before = render_rollout_view(with_status(rag_stack(), deploying_status()));
  const auto after = render_rollout_view(with_status(rag_stack(), half_way_status()));

  EXPECT_EQ(joined(rollout_view_changes(before, after)),
            "Waiting for stack \"rag\" rollout to finish: Deploying, 1 of 3 charts ready, 3 of 6 deployments "
            "ready...\n"
            "wave 1\n"
            "  qdrant      2/2  Ready\n"
            "wave 2\n"
            "  vllm        1/2  NotReady\n"
            "    c-m-gpu02 NotReady: Deployment vllm/vllm: 0/1 available\n"
            "wave 3\n"
            "  open-webui  0/2  NotReady\n"
            "    c-m-gpu01 NotReady\n");
}

TEST(RolloutViewChanges, AClusterLineThatWentAwayShowsItsChart) {
  json status = half_way_status();
  status["deployments"].push_back(deployment("qdrant", "c-m-gpu01", "Modified", "drift: ConfigMap qdrant"));
  const auto before = render_rollout_view(with_status(rag_stack(), status));
  status["deployments"].erase(status["deployments"].size() - 1); // Fleet corrected the drift

  const auto after = render_rollout_view(with_status(rag_stack(), status));

  EXPECT_THAT(rollout_view_changes(before, after),
              ElementsAre(HasSubstr("Waiting for stack"), "wave 1", "  qdrant      2/2  Ready"));
}

// --------------------------------------------------------------------------------------------- the decision

TEST(RolloutStatusOutcome, DeployedForTheCurrentGenerationIsRolledOut) {
  const auto outcome = herd::plugin::decide_rollout_status(with_status(rag_stack(), deployed_status()));

  EXPECT_EQ(outcome.kind, Kind::rolled_out);
  EXPECT_EQ(outcome.exit_code(), 0);
  EXPECT_EQ(outcome.message("rag"), "stack \"rag\" successfully rolled out");
}

TEST(RolloutStatusOutcome, AnyPhaseOfAnOlderGenerationIsWaiting) {
  for (const json& status : {deployed_status(), failed_status()}) {
    const auto outcome = herd::plugin::decide_rollout_status(with_status(rag_stack(2), status));
    EXPECT_EQ(outcome.kind, Kind::waiting) << status["phase"];
    EXPECT_EQ(outcome.exit_code(), 1);
    EXPECT_EQ(outcome.message("rag"), "");
  }
  EXPECT_EQ(herd::plugin::decide_rollout_status(rag_stack()).kind, Kind::waiting) << "no status at all";
}

TEST(RolloutStatusOutcome, FailedCarriesTheStatusMessage) {
  const auto outcome = herd::plugin::decide_rollout_status(with_status(rag_stack(), failed_status()));

  EXPECT_EQ(outcome.kind, Kind::failed);
  EXPECT_EQ(outcome.exit_code(), 1);
  EXPECT_EQ(
      outcome.message("rag"),
      "error: stack \"rag\" failed: vllm ErrApplied on c-m-gpu01: image pull failed: vllm/vllm:v9 (and 1 "
      "more deployments in error)");
}

TEST(RolloutStatusOutcome, PhasesThatCanStillBecomeDeployedKeepWaiting) {
  for (const char* phase : {"Pending", "Deploying", "Degraded", "Paused", "NoTargets", ""}) {
    json status = deploying_status();
    status["phase"] = phase;
    EXPECT_EQ(herd::plugin::decide_rollout_status(with_status(rag_stack(), status)).kind, Kind::waiting)
        << phase;
  }
}

TEST(RolloutStatusOutcome, ADeletionTimestampEndsTheWait) {
  json stack = with_status(rag_stack(2), deployed_status());
  stack["metadata"]["deletionTimestamp"] = "2025-05-01T12:00:00Z";

  const auto outcome = herd::plugin::decide_rollout_status(stack);

  EXPECT_EQ(outcome.kind, Kind::deleting);
  EXPECT_EQ(outcome.message("rag"), "error: stack \"rag\" is being deleted");
  EXPECT_EQ(render_rollout_view(stack).texts().front(),
            "stack \"rag\": Deleting, 3 of 3 charts ready, 6 of 6 deployments ready");
}

TEST(RolloutStatusOutcome, EndsTheLoopDecidesAreWordedAsKubectlWordsThem) {
  EXPECT_EQ((RolloutStatusOutcome{Kind::timed_out, {}}.message("rag")),
            "error: timed out waiting for the condition");
  EXPECT_EQ((RolloutStatusOutcome{Kind::interrupted, {}}.message("rag")), "error: interrupted");
  EXPECT_EQ((RolloutStatusOutcome{Kind::deleted, {}}.message("rag")),
            "error: stack \"rag\" has been deleted");
  for (const Kind kind : {Kind::timed_out, Kind::interrupted, Kind::deleted, Kind::deleting}) {
    EXPECT_EQ((RolloutStatusOutcome{kind, {}}.exit_code()), 1);
    EXPECT_TRUE((RolloutStatusOutcome{kind, {}}.done()));
  }
}

// ----------------------------------------------------------------------------------- timeout and terminal

TEST(RolloutTimeout, ReadsGoDurations) {
  EXPECT_EQ(parse_rollout_timeout("0"), 0);
  EXPECT_EQ(parse_rollout_timeout("0s"), 0);
  EXPECT_EQ(parse_rollout_timeout("10m"), 600000);
  EXPECT_EQ(parse_rollout_timeout("1h30m"), 5400000);
  EXPECT_EQ(parse_rollout_timeout("1.5s"), 1500);
  EXPECT_EQ(parse_rollout_timeout("10"), std::nullopt) << "Go wants a unit";
  EXPECT_EQ(parse_rollout_timeout("-1s"), std::nullopt);
  EXPECT_EQ(parse_rollout_timeout("soon"), std::nullopt);
}

TEST(RolloutTerminal, LinesAreCutToTheWidthInCharacters) {
  EXPECT_EQ(fit_to_width("short", 10), "short");
  EXPECT_EQ(fit_to_width("exactly10!", 10), "exactly10!");
  EXPECT_EQ(fit_to_width("a line that is too long", 10), "a line ...");
  EXPECT_EQ(fit_to_width("\xc3\xa9t\xc3\xa9 \xc3\xa9t\xc3\xa9 \xc3\xa9t\xc3\xa9", 8),
            "\xc3\xa9t\xc3\xa9 \xc3\xa9...")
      << "UTF-8 characters count once and are never split";
  EXPECT_EQ(fit_to_width("anything", 0), "anything") << "0: width unknown";
}

TEST(RolloutTerminal, AViewTallerThanTheScreenSaysHowManyLinesItHides) {
  const std::vector<std::string> lines = {"1", "2", "3", "4", "5", "6"};
  EXPECT_EQ(fit_to_rows(lines, 7), lines);
  EXPECT_EQ(fit_to_rows(lines, 0), lines);
  EXPECT_THAT(fit_to_rows(lines, 5),
              ElementsAre("1", "2", "3", "... 3 more lines (-o json prints them all)"));
}

TEST(RolloutTerminal, RedrawMovesUpOverTheLastViewAndClearsIt) {
  EXPECT_EQ(redraw_prefix(0), "");
  EXPECT_EQ(redraw_prefix(7), "\r\033[7A\033[J");
}

// ------------------------------------------------------------------------------ through the real kubectl

class RolloutStatusCommand : public ::testing::Test {
protected:
  void SetUp() override {
    if (std::system("command -v kubectl >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "kubectl is not on PATH";
    }
    server = std::make_unique<api::ApiServer>();
    server->start();
    kubeconfig =
        dir.file("kubeconfig", "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n"
                               "    server: " +
                                   server->url() +
                                   "\ncontexts:\n- name: test\n  context: {cluster: test, user: test}\n"
                                   "current-context: test\nusers:\n- name: test\n  user: {}\n");
  }

  void TearDown() override {
    if (writer.joinable()) {
      writer.join();
    }
  }

  // The environment that makes `kubectl herd` this build's plugin, talking to the test server.
  [[nodiscard]] std::string environment() const {
    const std::string bin = std::filesystem::path(HERD_PLUGIN_BINARY).parent_path().string();
    return "HOME=" + dir.path().string() + " PATH=" + bin + ":$PATH KUBECONFIG=" + kubeconfig;
  }

  // `kubectl herd ARGUMENTS`, its stdout a pipe (not a terminal); bounded so a bug cannot hang the suite.
  [[nodiscard]] CliResult kubectl(const std::string& arguments) const {
    return run_shell("export " + environment() + " && timeout 120 kubectl herd " + arguments);
  }

  // Polls `condition` every 20 ms for up to a minute (generous: the machine may be busy); false if it never
  // held.
  static bool eventually(const std::function<bool()>& condition) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    while (std::chrono::steady_clock::now() < give_up) {
      if (condition()) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  [[nodiscard]] std::size_t watch_requests() const {
    return server->request_count("GET", "/stacks\\?.*watch=");
  }
  [[nodiscard]] std::size_t list_requests() const {
    std::size_t count = 0;
    for (const auto& request : server->requests()) {
      count += request.method == "GET" && request.path.ends_with("/stacks") && !request.watch ? 1 : 0;
    }
    return count;
  }

  // Writes the Stack's status as the reconciler's PUT /status would: the generation stays what it was.
  void publish(const json& status, int generation = 1) {
    server->put(with_status(rag_stack(generation), status));
  }

  // Runs `steps` on a thread once the command watches (its list is done, so nothing written later is missed).
  void once_watching(std::function<void()> steps) {
    writer = std::thread([this, steps = std::move(steps)] {
      if (!eventually([this] { return server->open_watches() > 0; })) {
        ADD_FAILURE() << "the command never started watching";
        return;
      }
      steps();
    });
  }

  TempDir dir;
  std::unique_ptr<api::ApiServer> server;
  std::string kubeconfig;
  std::thread writer;
};

TEST_F(RolloutStatusCommand, AScriptedRolloutPrintsEachChangeUntilDeployed) {
  server->put(rag_stack());
  once_watching([this] {
    publish(pending_status());
    publish(deploying_status());
    publish(half_way_status());
    publish(deployed_status());
  });

  const CliResult result = kubectl("rollout status rag");

  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(
      lines_of(result.out),
      (std::vector<std::string>{
          // the listed Stack: the reconciler has not reported yet
          "Waiting for stack \"rag\" spec update to be observed...",
          "wave 1",
          "  qdrant      -/-  Pending",
          "wave 2",
          "  vllm        -/-  Pending",
          "wave 3",
          "  open-webui  -/-  Pending",
          // Pending: every chart line changed
          // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): the long lines are split at the column limit
          "Waiting for stack \"rag\" rollout to finish: Pending, 0 of 3 charts ready, 0 of 0 deployments "
          "ready...",
          "wave 1",
          "  qdrant      0/0  Pending",
          "wave 2",
          "  vllm        0/0  Pending",
          "wave 3",
          "  open-webui  0/0  Pending",
          // Deploying: qdrant comes up, the others wait for their dependency
          "Waiting for stack \"rag\" rollout to finish: Deploying, 0 of 3 charts ready, 0 of 6 deployments "
          "ready...",
          "wave 1",
          "  qdrant      0/2  NotReady",
          "    c-m-gpu01 NotReady: StatefulSet qdrant/qdrant: 0/1 replicas ready",
          "    c-m-gpu02 NotReady: StatefulSet qdrant/qdrant: 0/1 replicas ready",
          "wave 2",
          "  vllm        0/2  WaitingForDependency",
          "    waiting for dependency qdrant on c-m-gpu01",
          "    waiting for dependency qdrant on c-m-gpu02",
          "wave 3",
          "  open-webui  0/2  WaitingForDependency",
          "    waiting for dependency vllm on c-m-gpu01",
          "    waiting for dependency vllm on c-m-gpu02",
          // half way: only what changed (open-webui still waits on c-m-gpu02: not repeated)
          "Waiting for stack \"rag\" rollout to finish: Deploying, 1 of 3 charts ready, 3 of 6 deployments "
          "ready...",
          "wave 1",
          "  qdrant      2/2  Ready",
          "wave 2",
          "  vllm        1/2  NotReady",
          "    c-m-gpu02 NotReady: Deployment vllm/vllm: 0/1 available",
          "wave 3",
          "  open-webui  0/2  NotReady",
          "    c-m-gpu01 NotReady",
          // Deployed
          "stack \"rag\": Deployed, 3 of 3 charts ready, 6 of 6 deployments ready",
          "wave 2",
          "  vllm        2/2  Ready",
          "wave 3",
          "  open-webui  2/2  Ready",
          "stack \"rag\" successfully rolled out",
      }));
}

TEST_F(RolloutStatusCommand, AnAlreadyDeployedStackExitsZeroAtOnce) {
  server->put(with_status(rag_stack(), deployed_status()));

  const CliResult result = kubectl("rollout status rag");

  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("stack \"rag\": Deployed, 3 of 3 charts ready"));
  EXPECT_THAT(result.out, ::testing::EndsWith("\nstack \"rag\" successfully rolled out\n"));
  EXPECT_EQ(watch_requests(), 0U) << "done from the list alone";
}

TEST_F(RolloutStatusCommand, FailedExitsOneWithTheStatusMessage) {
  server->put(with_status(rag_stack(), deploying_status()));
  once_watching([this] { publish(failed_status()); });

  const CliResult result = kubectl("rollout status rag");

  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "error: stack \"rag\" failed: vllm ErrApplied on c-m-gpu01: image pull failed: "
                        "vllm/vllm:v9 (and 1 more deployments in error)\n");
  EXPECT_THAT(result.out, HasSubstr("    c-m-gpu01 ErrApplied: image pull failed: vllm/vllm:v9\n"));
}

TEST_F(RolloutStatusCommand, TimeoutExitsOneAsKubectlWordsIt) {
  server->put(with_status(rag_stack(), deploying_status()));

  const CliResult result = kubectl("rollout status rag --timeout 1s");

  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "error: timed out waiting for the condition\n");
  EXPECT_THAT(result.out, HasSubstr("Waiting for stack \"rag\" rollout to finish: Deploying"));
}

TEST_F(RolloutStatusCommand, DeletingTheStackEndsTheWatchWithAnError) {
  server->put(with_status(rag_stack(), deploying_status()));
  once_watching([this] { server->remove("herd.suse.com/v1", "stacks", "default", "rag"); });

  const CliResult result = kubectl("rollout status rag");

  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "error: stack \"rag\" has been deleted\n");
}

TEST_F(RolloutStatusCommand, AStackBeingDeletedEndsTheWatchWithAnError) {
  server->put(with_status(rag_stack(), deploying_status()));
  once_watching([this] {
    json stack = with_status(rag_stack(), deploying_status());
    stack["metadata"]["deletionTimestamp"] = "2025-05-01T12:00:00Z";
    stack["metadata"]["finalizers"] = {"herd.suse.com/bundles"};
    server->put(stack);
  });

  const CliResult result = kubectl("rollout status rag");

  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "error: stack \"rag\" is being deleted\n");
  EXPECT_THAT(result.out, HasSubstr("stack \"rag\": Deleting, 0 of 3 charts ready"));
}

TEST_F(RolloutStatusCommand, WatchFalsePrintsOnceAndExitsZeroOnlyWhenRolledOut) {
  server->put(with_status(rag_stack(), deploying_status()));

  const CliResult waiting_once = kubectl("rollout status rag --watch=false");

  EXPECT_EQ(waiting_once.code, 1);
  EXPECT_EQ(waiting_once.err, "");
  EXPECT_EQ(waiting_once.out,
            joined(render_rollout_view(with_status(rag_stack(), deploying_status())).texts()));
  EXPECT_EQ(watch_requests(), 0U);

  server->put(with_status(rag_stack(), deployed_status()));
  const CliResult rolled_out = kubectl("rollout status rag --watch=false");
  EXPECT_EQ(rolled_out.code, 0) << rolled_out.err;
  EXPECT_THAT(rolled_out.out, ::testing::EndsWith("stack \"rag\" successfully rolled out\n"));
}

TEST_F(RolloutStatusCommand, OutputJsonPrintsTheStatusSnapshot) {
  server->put(with_status(rag_stack(), deploying_status()));

  const CliResult deploying = kubectl("rollout status rag -o json");

  EXPECT_EQ(deploying.code, 1);
  EXPECT_EQ(deploying.err, "");
  EXPECT_EQ(json::parse(deploying.out), deploying_status());

  server->put(with_status(rag_stack(), deployed_status()));
  const CliResult deployed = kubectl("rollout status rag -o json");
  EXPECT_EQ(deployed.code, 0) << deployed.err;
  EXPECT_EQ(json::parse(deployed.out), deployed_status()) << "the document alone: it is piped to jq";
}

TEST_F(RolloutStatusCommand, WaitsWhileTheObservedGenerationLags) {
  // The spec changed (generation 2); the status still speaks of generation 1, and says Deployed.
  server->put(with_status(rag_stack(2), deployed_status()));

  const CliResult once = kubectl("rollout status rag --watch=false");
  EXPECT_EQ(once.code, 1);
  EXPECT_EQ(lines_of(once.out).front(), "Waiting for stack \"rag\" spec update to be observed...");

  once_watching([this] {
    json status = deployed_status();
    status["observedGeneration"] = 2;
    publish(status, 2);
  });
  const CliResult watched = kubectl("rollout status rag");
  EXPECT_EQ(watched.code, 0) << watched.err;
  EXPECT_EQ(lines_of(watched.out).front(), "Waiting for stack \"rag\" spec update to be observed...");
  EXPECT_THAT(watched.out, ::testing::EndsWith("stack \"rag\" successfully rolled out\n"));
}

TEST_F(RolloutStatusCommand, ADroppedWatchIsResumedFromTheLastResourceVersion) {
  server->put(with_status(rag_stack(), pending_status()));
  once_watching([this] {
    publish(deploying_status());
    server->drop_watches();
    if (!eventually([this] { return watch_requests() >= 2 && server->open_watches() > 0; })) {
      ADD_FAILURE() << "the command did not watch again";
    }
    publish(half_way_status());
    publish(deployed_status());
  });

  const CliResult result = kubectl("rollout status rag");

  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("Deploying, 0 of 3 charts ready"));
  EXPECT_THAT(result.out, HasSubstr("Deploying, 1 of 3 charts ready"));
  EXPECT_THAT(result.out, ::testing::EndsWith("stack \"rag\" successfully rolled out\n"));
  EXPECT_EQ(list_requests(), 1U) << "resumed, not listed again";
  for (const auto& request : server->requests()) {
    if (request.watch) {
      EXPECT_THAT(request.query, HasSubstr("fieldSelector=metadata.name%3Drag"));
      EXPECT_THAT(request.query, HasSubstr("resourceVersion="));
    }
  }
}

TEST_F(RolloutStatusCommand, An410GoneListsAgainAndCarriesOn) {
  server->put(with_status(rag_stack(), deploying_status()));
  once_watching([this] {
    api::FaultRule gone;
    gone.method = "GET";
    gone.target_regex = "watch=";
    gone.status = 410;
    gone.times = 1;
    server->add_fault(gone);
    server->drop_watches();
    if (!eventually([this] { return list_requests() >= 2 && server->open_watches() > 0; })) {
      ADD_FAILURE() << "the command did not list again";
    }
    publish(deployed_status());
  });

  const CliResult result = kubectl("rollout status rag");

  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, ::testing::EndsWith("stack \"rag\" successfully rolled out\n"));
}

TEST_F(RolloutStatusCommand, AnUnknownStackIsNotFoundAsKubectlSaysIt) {
  const CliResult result = kubectl("rollout status nope");

  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "Error from server (NotFound): stacks.herd.suse.com \"nope\" not found\n");
}

TEST_F(RolloutStatusCommand, UsageErrorsExitTwo) {
  server->put(with_status(rag_stack(), deployed_status()));

  const CliResult no_stack = kubectl("rollout status");
  EXPECT_EQ(no_stack.code, 2);
  EXPECT_THAT(no_stack.err, HasSubstr("STACK is required"));

  const CliResult bad_timeout = kubectl("rollout status rag --timeout soon");
  EXPECT_EQ(bad_timeout.code, 2);
  EXPECT_EQ(bad_timeout.err,
            "error: invalid argument \"soon\" for \"--timeout\" flag: time: invalid duration \"soon\"\n");

  EXPECT_EQ(kubectl("rollout status rag -o xml").code, 2);
  EXPECT_EQ(kubectl("rollout status rag --watch=maybe").code, 2);
}

TEST_F(RolloutStatusCommand, SigtermEndsTheWatchWithInterrupted) {
  server->put(with_status(rag_stack(), deploying_status()));
  const std::string pid_file = (dir.path() / "pid").string();
  // The plugin's own command line names this test's kubeconfig: no other process matches ("[k]" keeps the
  // shell running pgrep from matching itself).
  const std::string pgrep =
      "pgrep -f '[k]ubectl-herd rollout status rag --kubeconfig " + kubeconfig + "' > " + pid_file;
  once_watching([pgrep, pid_file] {
    if (!eventually([&] { return std::system(pgrep.c_str()) == 0; })) {
      ADD_FAILURE() << "no kubectl-herd process";
      return;
    }
    std::ifstream file(pid_file);
    std::string pid;
    std::getline(file, pid);
    EXPECT_EQ(std::system(("kill -TERM " + pid).c_str()), 0);
  });

  const CliResult result = kubectl("rollout status rag --kubeconfig " + kubeconfig);

  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "error: interrupted\n");
}

// ------------------------------------------------------------------------------------------- on a terminal

// Compares `actual` with tests/golden/`name`; with HERD_UPDATE_GOLDEN=1, rewrites the file instead.
void expect_rollout_golden(const std::string& name, const std::string& actual) {
  const std::string path = source_path("tests/golden/" + name);
  const char* update = std::getenv("HERD_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    std::cerr << "updated " << path << "\n";
    return;
  }
  std::ifstream file(path, std::ios::binary);
  ASSERT_TRUE(file) << "missing golden file " << path << " (create it with HERD_UPDATE_GOLDEN=1)";
  std::ostringstream expected;
  expected << file.rdbuf();
  EXPECT_EQ(expected.str(), actual) << "the screen differs from " << path
                                    << " (if the change is intended, regenerate with HERD_UPDATE_GOLDEN=1)";
}

// Whether this machine can give tmux a terminal: a bare chroot (or a container without /dev/pts mounted)
// opens /dev/ptmx but has no devpts to hand out the other end, and tmux then fails with "fork failed: No such
// device".
bool pseudo_terminals_available() {
  const int primary = posix_openpt(O_RDWR | O_NOCTTY);
  if (primary < 0) {
    return false;
  }
  bool available = false;
  if (grantpt(primary) == 0 && unlockpt(primary) == 0) {
    if (const char* name = ptsname(primary)) {
      const int secondary = open(name, O_RDWR | O_NOCTTY);
      available = secondary >= 0;
      if (available) {
        close(secondary);
      }
    }
  }
  close(primary);
  return available;
}

// The screen without its trailing blank rows.
std::string trimmed_screen(const std::string& screen) {
  std::vector<std::string> rows = lines_of(screen);
  while (!rows.empty() && rows.back().find_first_not_of(' ') == std::string::npos) {
    rows.pop_back();
  }
  for (auto& row : rows) {
    row.erase(row.find_last_not_of(' ') + 1);
  }
  return joined(rows);
}

TEST_F(RolloutStatusCommand, TerminalViewIsRedrawnInPlace) {
  if (std::system("command -v tmux >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "tmux is not installed (apt-get install tmux)";
  }
  if (!pseudo_terminals_available()) {
    GTEST_SKIP() << "no pseudo-terminals here (/dev/pts is not mounted): tmux cannot open a terminal";
  }
  server->put(rag_stack());
  // A tmux server of our own (its socket in the temporary directory), a 100x30 terminal running the command
  // and then saying how it exited.
  const std::string socket = (dir.path() / "tmux.sock").string();
  const std::string tmux = "tmux -S " + socket + " -f /dev/null ";
  const std::string script =
      dir.file("run.sh", "export " + environment() +
                             "\nkubectl herd rollout status rag\necho \"[exit $?]\"\nexec sleep 600\n");
  ASSERT_EQ(std::system((tmux + "new-session -d -s rollout -x 100 -y 30 'sh " + script + "'").c_str()), 0);
  once_watching([this] {
    publish(pending_status());
    publish(deploying_status());
    publish(half_way_status());
    publish(failed_status());
  });

  std::string screen;
  const bool exited = eventually([&] {
    screen = run_shell(tmux + "capture-pane -p -t rollout").out;
    return screen.find("[exit ") != std::string::npos;
  });
  std::system((tmux + "kill-server").c_str());

  ASSERT_TRUE(exited) << screen;
  expect_rollout_golden("rollout-status-tty.txt", trimmed_screen(screen));
}

} // namespace
