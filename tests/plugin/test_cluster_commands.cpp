// The cluster commands (DESIGN §7): kubectl herd get [STACK] [-A] [-o wide|json|yaml] and kubectl herd
// rollout pause|resume|restart STACK, against the test API server (tests/apiserver) reached through a
// kubeconfig file, run in-process and through the real kubectl binary finding the plugin on PATH.

#include "../../plugin/src/age.hpp"
#include "../support/timestamps.hpp"
#include "cli_helpers.hpp"

#include <herd/core/bundle_renderer.hpp>
#include <herd/core/policy.hpp>
#include <herd/core/stack.hpp>
#include <herd/core/yaml_loader.hpp>
#include <herd/test_apiserver/api_server.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

using herd::plugin::testing::CliResult;
using herd::plugin::testing::run_cli;
using herd::plugin::testing::run_shell;
using herd::plugin::testing::TempDir;
using herd::testing::ago;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

namespace {

namespace api = herd::test_apiserver;

// A Stack with charts `app` and `web`, optionally with a status.
json stack(const std::string& name_space, const std::string& name, json status = nullptr) {
  json object = {
      {"apiVersion", "herd.suse.com/v1"},
      {"kind", "Stack"},
      {"metadata",
       {{"name", name}, {"namespace", name_space}, {"creationTimestamp", ago(std::chrono::hours(96))}}},
      {"spec",
       {{"targets", {{"clusterIds", {"c-m-gpu01"}}}},
        {"charts",
         {{{"name", "app"}, {"repo", "https://charts.example.com"}, {"version", "1.2.3"}},
          {{"name", "web"},
           {"repo", "https://charts.example.com"},
           {"version", "2.0.0"},
           {"dependsOn", {"app"}}}}}}}};
  if (!status.is_null()) {
    object["status"] = std::move(status);
  }
  return object;
}

json status(const std::string& phase, int clusters, int ready, const std::string& message) {
  return {{"phase", phase},
          {"message", message},
          {"summary", {{"charts", 2}, {"clusters", clusters}, {"readyBundles", ready}}}};
}

class ClusterCommands : public ::testing::Test {
protected:
  void SetUp() override {
    server = std::make_unique<api::ApiServer>(make_options());
    server->start();
    server->put({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "team-a"}}}});
    kubeconfig = dir.file("kubeconfig", kubeconfig_text(server->url()));
  }
  virtual api::Options make_options() { return {}; }

  static std::string kubeconfig_text(const std::string& url) {
    return "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: " + url +
           "\ncontexts:\n- name: test\n  context: {cluster: test, user: test}\n"
           "current-context: test\nusers:\n- name: test\n  user: {}\n";
  }

  // kubectl herd ARGS against the test server, in-process.
  CliResult herd(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--kubeconfig", kubeconfig});
    return run_cli(args);
  }

  json stored(const std::string& name_space, const std::string& name) const {
    const auto object = server->get("herd.suse.com/v1", "stacks", name_space, name);
    return object ? *object : json();
  }

  TempDir dir;
  std::unique_ptr<api::ApiServer> server;
  std::string kubeconfig;
};

// ------------------------------------------------------------------------------------------------------ get

TEST_F(ClusterCommands, GetPrintsTheTableOfTheContextsNamespace) {
  server->put(stack("default", "rag-platform", status("Deploying", 12, 1, "waiting for app on c-m-gpu01")));
  server->put(stack("default", "chat", status("Deployed", 3, 2, "")));
  server->put(stack("team-a", "elsewhere", status("Deployed", 1, 2, "")));

  const CliResult result = herd({"get"});

  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "NAME           PHASE       CLUSTERS   CHARTS   READY   AGE\n"
                        "chat           Deployed    3          2        2/2     4d\n"
                        "rag-platform   Deploying   12         2        1/2     4d\n");
  EXPECT_EQ(result.err, "");
}

TEST_F(ClusterCommands, GetAllNamespacesLeadsWithTheNamespaceColumn) {
  server->put(stack("default", "chat", status("Deployed", 3, 2, "")));
  server->put(stack("team-a", "elsewhere", status("Failed", 1, 0, "chart app: image pull failed")));

  const CliResult result = herd({"get", "-A"});

  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "NAMESPACE   NAME        PHASE      CLUSTERS   CHARTS   READY   AGE\n"
                        "default     chat        Deployed   3          2        2/2     4d\n"
                        "team-a      elsewhere   Failed     1          2        0/2     4d\n");
}

TEST_F(ClusterCommands, GetWideAddsTheReasonTheStatusGives) {
  server->put(stack("default", "chat", status("Deployed", 3, 2, "")));
  server->put(stack("default", "rag", status("Deploying", 2, 1, "waiting for dependency app\non c-m-gpu01")));

  const CliResult result = herd({"get", "-o", "wide"});

  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out,
            "NAME   PHASE       CLUSTERS   CHARTS   READY   AGE   REASON\n"
            "chat   Deployed    3          2        2/2     4d    <none>\n"
            "rag    Deploying   2          2        1/2     4d    waiting for dependency app on c-m-gpu01\n");
}

TEST_F(ClusterCommands, GetOfAStackTheReconcilerHasNotReportedOnCountsTheSpecsCharts) {
  server->put(stack("default", "fresh"));

  const CliResult result = herd({"get", "fresh"});

  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "NAME    PHASE   CLUSTERS   CHARTS   READY   AGE\n"
                        "fresh                      2        0/2     4d\n");
}

TEST_F(ClusterCommands, GetNamespaceFlagWorksAfterTheCommandToo) {
  server->put(stack("team-a", "elsewhere", status("Deployed", 1, 2, "")));

  const CliResult result = herd({"get", "-n", "team-a"});

  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("elsewhere"));
}

TEST_F(ClusterCommands, GetOneStackAsJsonPrintsTheObjectWithoutManagedFields) {
  server->put(stack("default", "chat", status("Deployed", 3, 2, "")));

  const CliResult result = herd({"get", "chat", "-o", "json"});

  ASSERT_EQ(result.code, 0) << result.err;
  const json printed = json::parse(result.out);
  EXPECT_EQ(printed["kind"], "Stack");
  EXPECT_EQ(printed["metadata"]["name"], "chat");
  EXPECT_EQ(printed["status"]["phase"], "Deployed");
  EXPECT_FALSE(printed["metadata"].contains("managedFields"));
  EXPECT_THAT(result.out, HasSubstr("\n    \"kind\": \"Stack\"")) << "kubectl indents JSON by 4";
}

TEST_F(ClusterCommands, GetSeveralAsJsonOrYamlPrintsAList) {
  server->put(stack("default", "chat", status("Deployed", 3, 2, "")));
  server->put(stack("team-a", "elsewhere", status("Deployed", 1, 2, "")));

  const CliResult as_json = herd({"get", "-A", "-o", "json"});
  ASSERT_EQ(as_json.code, 0) << as_json.err;
  const json list = json::parse(as_json.out);
  EXPECT_EQ(list["apiVersion"], "v1");
  EXPECT_EQ(list["kind"], "List");
  ASSERT_EQ(list["items"].size(), 2U);
  EXPECT_EQ(list["items"][1]["metadata"]["namespace"], "team-a");

  const CliResult as_yaml = herd({"get", "-A", "-o", "yaml"});
  ASSERT_EQ(as_yaml.code, 0) << as_yaml.err;
  const herd::core::YamlDocument document = herd::core::parse_yaml_document(as_yaml.out, "out.yaml");
  ASSERT_TRUE(document.parsed) << as_yaml.out;
  EXPECT_EQ(document.value["kind"], "List");
  EXPECT_EQ(document.value["items"][0]["metadata"]["name"], "chat");
  EXPECT_EQ(document.value["items"], list["items"]) << "yaml and json print the same objects";
}

TEST_F(ClusterCommands, GetInAnEmptyNamespaceSaysSoOnStderrAsKubectlDoes) {
  const CliResult result = herd({"get", "-n", "nothing-here"});
  EXPECT_EQ(result.code, 0);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "No resources found in nothing-here namespace.\n");

  const CliResult all = herd({"get", "-A"});
  EXPECT_EQ(all.code, 0);
  EXPECT_EQ(all.err, "No resources found\n");

  const CliResult as_json = herd({"get", "-o", "json"});
  EXPECT_EQ(as_json.code, 0);
  EXPECT_EQ(json::parse(as_json.out)["items"], json::array()) << "an empty List, like kubectl";
}

TEST_F(ClusterCommands, GetOfAMissingStackIsTheServersNotFound) {
  const CliResult result = herd({"get", "nope"});

  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "Error from server (NotFound): stacks.herd.suse.com \"nope\" not found\n");
}

TEST_F(ClusterCommands, GetByNameAcrossAllNamespacesIsAUsageError) {
  const CliResult result = herd({"get", "chat", "-A"});

  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.err, "error: a resource cannot be retrieved by name across all namespaces\n");
}

TEST_F(ClusterCommands, UnreachableServerIsNamedAndFailsFast) {
  const std::string url = server->url();
  server->stop();
  const auto start = std::chrono::steady_clock::now();

  const CliResult result = herd({"get"});

  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.err, HasSubstr("error: cannot reach the cluster of context \"test\": "));
  EXPECT_THAT(result.err, HasSubstr(url));
}

TEST_F(ClusterCommands, SlowServerIsCutByTheRequestTimeout) {
  api::FaultRule slow;
  slow.method = "GET";
  slow.latency = std::chrono::milliseconds(3000);
  server->add_fault(slow);
  const auto start = std::chrono::steady_clock::now();

  const CliResult result = herd({"--request-timeout", "300ms", "get"});

  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500));
  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.err, HasSubstr("error: cannot reach the cluster of context \"test\""));
  EXPECT_EQ(herd({"--request-timeout", "soon", "get"}).code, 2);
}

TEST_F(ClusterCommands, MissingKubeconfigIsAToolErrorNamingTheFile) {
  const CliResult result = run_cli({"--kubeconfig", (dir.path() / "absent").string(), "get"});

  EXPECT_EQ(result.code, 2);
  EXPECT_THAT(result.err, HasSubstr("error: kubeconfig " + (dir.path() / "absent").string()));
}

// kubectl-herd loads its cluster commands from kubectl-herd-cluster.so next to it (or in lib/ beside it), so
// the offline commands start without cpp-httplib and OpenSSL. Copied alone, it still lints and says what a
// cluster command misses.
TEST(ClusterModule, BinaryWithoutItsModuleLintsAndNamesTheMissingModule) {
  const TempDir dir;
  const std::filesystem::path alone = dir.path() / "kubectl-herd";
  std::filesystem::copy_file(HERD_PLUGIN_BINARY, alone);
  const std::string source = HERD_SOURCE_DIR;

  const CliResult lint = run_shell(alone.string() + " lint " + source + "/examples/minimal.yaml");
  EXPECT_EQ(lint.code, 0) << lint.err;

  const CliResult get = run_shell(alone.string() + " get --kubeconfig " + (dir.path() / "absent").string());
  EXPECT_EQ(get.code, 2);
  EXPECT_THAT(get.err, HasSubstr("kubectl-herd-cluster.so, which is neither next to " + alone.string()));
  EXPECT_THAT(get.err, HasSubstr("kubectl krew install herd"));
}

class ClusterWithoutHerd : public ClusterCommands {
protected:
  api::Options make_options() override {
    api::Options options;
    std::erase_if(options.resources, [](const api::ResourceType& type) { return type.plural == "stacks"; });
    return options;
  }
};

TEST_F(ClusterWithoutHerd, MissingCrdSaysHowToInstallIt) {
  const CliResult result = herd({"get"});

  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.err,
              HasSubstr("error: the server doesn't have a resource type \"stacks.herd.suse.com\""));
  EXPECT_THAT(result.err, HasSubstr("kubectl apply -f manifests/crds/"));
}

class ClusterWithToken : public ClusterCommands {
protected:
  api::Options make_options() override {
    api::Options options;
    options.token = "secret";
    return options;
  }
};

TEST_F(ClusterWithToken, UnauthorizedIsWordedAsKubectlWordsIt) {
  const CliResult result = herd({"rollout", "pause", "chat"});

  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "error: You must be logged in to the server (Unauthorized)\n");
}

// -------------------------------------------------------------------------------------------------- rollout

TEST_F(ClusterCommands, PauseSetsSpecPausedAndSaysPaused) {
  server->put(stack("team-a", "chat"));

  const CliResult result = herd({"rollout", "pause", "chat", "-n", "team-a"});

  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "stack.herd.suse.com/chat paused\n");
  EXPECT_EQ(stored("team-a", "chat")["spec"]["paused"], true);
  EXPECT_EQ(server->writes().back().field_manager, "kubectl-herd");
}

TEST_F(ClusterCommands, PausingAPausedStackIsKubectlsAlreadyPausedError) {
  json paused = stack("default", "chat");
  paused["spec"]["paused"] = true;
  server->put(paused);
  const std::string version = server->resource_version();

  const CliResult result = herd({"rollout", "pause", "chat"});

  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "error: stacks.herd.suse.com \"chat\" is already paused\n");
  EXPECT_EQ(server->resource_version(), version) << "nothing written";
}

TEST_F(ClusterCommands, ResumeClearsSpecPausedAndRefusesARunningStack) {
  json paused = stack("default", "chat");
  paused["spec"]["paused"] = true;
  server->put(paused);

  const CliResult resumed = herd({"rollout", "resume", "chat"});
  EXPECT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(resumed.out, "stack.herd.suse.com/chat resumed\n");
  EXPECT_EQ(stored("default", "chat")["spec"]["paused"], false);

  const CliResult again = herd({"rollout", "resume", "chat"});
  EXPECT_EQ(again.code, 1);
  EXPECT_EQ(again.err, "error: stacks.herd.suse.com \"chat\" is not paused\n");
}

TEST_F(ClusterCommands, RolloutOfAMissingStackIsNotFound) {
  const CliResult result = herd({"rollout", "restart", "nope"});

  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "Error from server (NotFound): stacks.herd.suse.com \"nope\" not found\n");
}

TEST_F(ClusterCommands, RolloutNeedsAnActionAndAStack) {
  EXPECT_EQ(herd({"rollout"}).code, 2);
  EXPECT_EQ(herd({"rollout", "pause"}).code, 2);
  EXPECT_EQ(herd({"rollout", "status"}).code, 2);
}

TEST_F(ClusterCommands, RestartIncrementsTheStacksCounterEachTime) {
  server->put(stack("default", "chat"));

  const CliResult first = herd({"rollout", "restart", "chat"});
  EXPECT_EQ(first.code, 0) << first.err;
  EXPECT_EQ(first.out, "stack.herd.suse.com/chat restarted\n");
  EXPECT_EQ(stored("default", "chat")["metadata"]["annotations"]["herd.suse.com/force-sync-generation"], "1");

  EXPECT_EQ(herd({"rollout", "restart", "chat"}).code, 0);
  EXPECT_EQ(stored("default", "chat")["metadata"]["annotations"]["herd.suse.com/force-sync-generation"], "2");
}

TEST_F(ClusterCommands, RestartedStackRendersBundlesWithForceSyncGeneration) {
  server->put(stack("default", "chat"));
  ASSERT_EQ(herd({"rollout", "restart", "chat"}).code, 0);
  ASSERT_EQ(herd({"rollout", "restart", "chat", "--chart", "web"}).code, 0);
  ASSERT_EQ(herd({"rollout", "restart", "chat", "--chart", "web"}).code, 0);

  const json object = stored("default", "chat");
  EXPECT_EQ(object["metadata"]["annotations"]["force-sync-generation.herd.suse.com/web"], "2");
  EXPECT_FALSE(object["metadata"]["annotations"].contains("force-sync-generation.herd.suse.com/app"));
  const herd::core::RenderedStack rendered =
      herd::core::render_bundles(herd::core::stack_from_json(object), herd::core::default_policy());
  for (const auto& bundle : rendered.bundles) {
    EXPECT_EQ(bundle.object()["spec"]["forceSyncGeneration"], bundle.chart() == "web" ? 3 : 1)
        << bundle.chart();
  }
}

TEST_F(ClusterCommands, RestartOfAnUnknownChartNamesTheChartsThatExist) {
  server->put(stack("default", "chat"));
  const std::string version = server->resource_version();

  const CliResult result = herd({"rollout", "restart", "chat", "--chart", "wbe"});

  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "error: stacks.herd.suse.com \"chat\" has no chart \"wbe\" (did you mean \"web\"?); "
                        "its charts: app, web\n");
  EXPECT_EQ(server->resource_version(), version) << "nothing written";
}

TEST_F(ClusterCommands, RestartOfAPausedStackIsRefusedAsKubectlRefusesIt) {
  json paused = stack("default", "chat");
  paused["spec"]["paused"] = true;
  server->put(paused);

  const CliResult result = herd({"rollout", "restart", "chat"});

  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err,
            "error: stacks.herd.suse.com \"chat\" can't restart paused stack (run rollout resume first)\n");
}

TEST_F(ClusterCommands, RestartRetriesWhenTheStackChangedUnderIt) {
  server->put(stack("default", "chat"));
  // The first PATCH meets a conflict, as when the controller wrote the Stack between our read and write.
  api::FaultRule conflict;
  conflict.method = "PATCH";
  conflict.status = 409;
  conflict.times = 1;
  server->add_fault(conflict);

  const CliResult result = herd({"rollout", "restart", "chat"});

  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(stored("default", "chat")["metadata"]["annotations"]["herd.suse.com/force-sync-generation"], "1");
}

// ---------------------------------------------------------------------------------------- the real kubectl

TEST_F(ClusterCommands, KubectlRunsThePluginsClusterCommandsWithKubeconfigFromTheEnvironment) {
  if (std::system("command -v kubectl >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "kubectl is not on PATH";
  }
  server->put(stack("default", "chat", status("Deployed", 3, 2, "")));
  const std::string bin = std::filesystem::path(HERD_PLUGIN_BINARY).parent_path().string();
  const auto kubectl = [&](const std::string& arguments) {
    return run_shell("export HOME=$(mktemp -d) PATH=" + bin + ":$PATH KUBECONFIG=" + kubeconfig +
                     " && kubectl herd " + arguments);
  };

  const CliResult listed = kubectl("get");
  EXPECT_EQ(listed.code, 0) << listed.err;
  EXPECT_EQ(listed.out, "NAME   PHASE      CLUSTERS   CHARTS   READY   AGE\n"
                        "chat   Deployed   3          2        2/2     4d\n");

  const CliResult missing = kubectl("get nope");
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.err,
              HasSubstr("Error from server (NotFound): stacks.herd.suse.com \"nope\" not found"));

  const CliResult paused = kubectl("rollout pause chat");
  EXPECT_EQ(paused.code, 0) << paused.err;
  EXPECT_EQ(paused.out, "stack.herd.suse.com/chat paused\n");
  EXPECT_EQ(kubectl("rollout pause chat").code, 1);
}

// ------------------------------------------------------------------------------------------------------ age

TEST(HumanDuration, MatchesKubectlsAgeColumn) {
  using herd::plugin::human_duration;
  using std::chrono::seconds;
  EXPECT_EQ(human_duration(seconds(-5)), "<invalid>");
  EXPECT_EQ(human_duration(seconds(-1)), "0s");
  EXPECT_EQ(human_duration(seconds(5)), "5s");
  EXPECT_EQ(human_duration(seconds(119)), "119s");
  EXPECT_EQ(human_duration(seconds(180)), "3m");
  EXPECT_EQ(human_duration(seconds(210)), "3m30s");
  EXPECT_EQ(human_duration(seconds(45 * 60)), "45m");
  EXPECT_EQ(human_duration(seconds(2 * 3600 + 59 * 60)), "179m");
  EXPECT_EQ(human_duration(seconds(5 * 3600 + 10 * 60)), "5h10m");
  EXPECT_EQ(human_duration(seconds(30 * 3600)), "30h");
  EXPECT_EQ(human_duration(seconds(4 * 86400)), "4d");
  EXPECT_EQ(human_duration(seconds(4 * 86400 + 3 * 3600)), "4d3h");
  EXPECT_EQ(human_duration(seconds(100 * 86400)), "100d");
  EXPECT_EQ(human_duration(seconds(800 * 86400)), "2y70d");
  EXPECT_EQ(human_duration(seconds(3000 * 86400)), "8y");
}

TEST(HumanDuration, AgeSinceReadsCreationTimestamps) {
  const auto now = std::chrono::system_clock::from_time_t(1714564800); // 2024-05-01T12:00:00Z
  EXPECT_EQ(herd::plugin::age_since("2024-05-01T11:59:55Z", now), "5s");
  EXPECT_EQ(herd::plugin::age_since("2024-05-01T11:57:00.123Z", now), "3m");
  EXPECT_EQ(herd::plugin::age_since("2024-05-01T13:00:00+02:00", now), "60m");
  EXPECT_EQ(herd::plugin::age_since("not a time", now), "<unknown>");
  EXPECT_EQ(herd::plugin::age_since("", now), "<unknown>");
}

} // namespace
