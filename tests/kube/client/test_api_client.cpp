// ApiClient against the test API server over plain HTTP: the verbs, paging, path prefix, credentials and
// retries.
#include "client_test_support.hpp"

#include <herd/kube/api_client.hpp>
#include <herd/test_apiserver/api_server.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <sys/stat.h>
#include <thread>

namespace herd::kube {
namespace {

using nlohmann::json;
using test_apiserver::ApiServer;
using test_apiserver::FaultRule;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

class ApiClientTest : public ::testing::Test {
protected:
  void SetUp() override {
    test_apiserver::Options options;
    configure_server(options);
    server = std::make_unique<ApiServer>(options);
    server->start();
    client = test::make_client(test::config_for(*server), test::recording_options(waits));
  }
  // What a derived test changes in the server's options.
  virtual void configure_server(test_apiserver::Options& /*options*/) {}

  std::unique_ptr<ApiServer> server;
  test::RecordedWaits waits;
  std::unique_ptr<ApiClient> client;
};

TEST_F(ApiClientTest, CreatesAndGetsAnObject) {
  const auto created = client->create(resources::config_maps, "default", test::config_map("a"));
  ASSERT_TRUE(created) << created.error().to_string();
  EXPECT_FALSE((*created)["metadata"]["uid"].get<std::string>().empty());
  const auto got = client->get(resources::config_maps, "default", "a");
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ((*got)["data"]["key"], "1");
  EXPECT_EQ((*got)["metadata"]["resourceVersion"], (*created)["metadata"]["resourceVersion"]);
}

TEST_F(ApiClientTest, MissingObjectIsNotFoundWithTheStatusMessage) {
  const auto got = client->get(resources::config_maps, "default", "nope");
  ASSERT_FALSE(got);
  EXPECT_TRUE(got.error().not_found());
  EXPECT_EQ(got.error().reason, "NotFound");
  EXPECT_EQ(got.error().message, "configmaps \"nope\" not found");
  EXPECT_EQ(got.error().to_string(), "404 NotFound: configmaps \"nope\" not found");
}

TEST_F(ApiClientTest, CreatingAnExistingObjectIsAlreadyExistsAndNotRetried) {
  ASSERT_TRUE(client->create(resources::config_maps, "default", test::config_map("a")));
  const auto again = client->create(resources::config_maps, "default", test::config_map("a"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().status, 409);
  EXPECT_EQ(again.error().reason, "AlreadyExists");
  EXPECT_EQ(server->request_count("POST", ".*"), 2U);
}

TEST_F(ApiClientTest, ListFollowsContinueUntilTheLastPage) {
  for (int i = 0; i < 7; ++i) {
    server->put(test::config_map("cm-" + std::to_string(i)));
  }
  const std::string newest = server->resource_version();
  ListOptions options;
  options.limit = 3;
  const auto listed = client->list(resources::config_maps, "default", options);
  ASSERT_TRUE(listed) << listed.error().to_string();
  ASSERT_EQ(listed->items.size(), 7U);
  EXPECT_EQ(listed->items[0]["metadata"]["name"], "cm-0");
  EXPECT_EQ(listed->items[6]["metadata"]["name"], "cm-6");
  EXPECT_EQ(listed->resource_version, newest);
  EXPECT_EQ(server->request_count("GET", "configmaps\\?limit=3"), 3U);
  EXPECT_EQ(server->request_count("GET", "continue="), 2U);
}

TEST_F(ApiClientTest, ListSendsEncodedSelectors) {
  auto labelled = test::config_map("web");
  labelled["metadata"]["labels"] = {{"app", "web"}, {"tier", "front"}};
  server->put(labelled);
  server->put(test::config_map("other"));
  ListOptions options;
  options.label_selector = "app in (web,api),tier!=back";
  const auto listed = client->list(resources::config_maps, "default", options);
  ASSERT_TRUE(listed) << listed.error().to_string();
  ASSERT_EQ(listed->items.size(), 1U);
  EXPECT_EQ(listed->items[0]["metadata"]["name"], "web");
  options = {};
  options.field_selector = "metadata.name=other";
  const auto by_name = client->list(resources::config_maps, "", options);
  ASSERT_TRUE(by_name) << by_name.error().to_string();
  ASSERT_EQ(by_name->items.size(), 1U);
  EXPECT_EQ(by_name->items[0]["metadata"]["name"], "other");
}

TEST_F(ApiClientTest, ListStartsAgainOnceWhenTheContinueTokenExpires) {
  for (int i = 0; i < 5; ++i) {
    server->put(test::config_map("cm-" + std::to_string(i)));
  }
  // The first page's answer comes, then history is compacted: the continue token is now too old.
  std::atomic<bool> compacted{false};
  ListOptions options;
  options.limit = 2;
  std::thread compactor([&] {
    while (server->request_count("GET", "limit=2$") == 0) {
      std::this_thread::sleep_for(1ms);
    }
    server->put(test::config_map("late"));
    server->compact_history();
    compacted = true;
  });
  // Slow the continue request down until the history is compacted.
  server->add_fault(
      FaultRule{.method = "GET", .target_regex = "continue=", .times = 1, .latency = 300ms, .message = ""});
  const auto listed = client->list(resources::config_maps, "default", options);
  compactor.join();
  ASSERT_TRUE(compacted);
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_EQ(listed->items.size(), 6U); // the fresh list, late object included, nothing twice
  EXPECT_EQ(listed->resource_version, server->resource_version());
}

TEST_F(ApiClientTest, ServerSideApplyCreatesThenUpdatesAsTheFieldManager) {
  auto object = test::config_map("applied", "one");
  auto applied = client->apply(resources::config_maps, "default", "applied", object);
  ASSERT_TRUE(applied) << applied.error().to_string();
  object["data"]["key"] = "two";
  applied = client->apply(resources::config_maps, "default", "applied", object);
  ASSERT_TRUE(applied) << applied.error().to_string();
  EXPECT_EQ((*applied)["data"]["key"], "two");
  const auto requests = server->requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests.back().content_type, "application/apply-patch+yaml");
  EXPECT_EQ(requests.back().field_manager, "herd-controller");
  EXPECT_THAT(requests.back().query, HasSubstr("force=true"));
  const auto writes = server->writes();
  ASSERT_EQ(writes.size(), 2U);
  EXPECT_EQ(writes[0].verb, "apply");
  EXPECT_EQ(writes[1].field_manager, "herd-controller");
}

TEST_F(ApiClientTest, MergePatchAndJsonPatchChangeTheObject) {
  server->put(test::config_map("p"));
  const auto merged =
      client->merge_patch(resources::config_maps, "default", "p", {{"data", {{"extra", "x"}}}});
  ASSERT_TRUE(merged) << merged.error().to_string();
  EXPECT_EQ((*merged)["data"], (json{{"key", "1"}, {"extra", "x"}}));
  const auto patched = client->json_patch(resources::config_maps, "default", "p",
                                          json::array({{{"op", "remove"}, {"path", "/data/extra"}}}));
  ASSERT_TRUE(patched) << patched.error().to_string();
  EXPECT_EQ((*patched)["data"], (json{{"key", "1"}}));
}

TEST_F(ApiClientTest, StatusUpdateWithAStaleResourceVersionIsAConflict) {
  const json stack = {{"apiVersion", "herd.suse.com/v1"},
                      {"kind", "Stack"},
                      {"metadata", {{"name", "s"}, {"namespace", "default"}}},
                      {"spec", {{"charts", json::array()}}}};
  const auto created = client->create(resources::stacks, "default", stack);
  ASSERT_TRUE(created) << created.error().to_string();
  json update = *created;
  update["status"] = {{"phase", "Pending"}};
  const auto updated = client->replace(resources::stacks, "default", update, "status");
  ASSERT_TRUE(updated) << updated.error().to_string();
  EXPECT_EQ((*updated)["status"]["phase"], "Pending");
  update["status"]["phase"] = "Deployed"; // still the old resourceVersion
  const auto stale = client->replace(resources::stacks, "default", update, "status");
  ASSERT_FALSE(stale);
  EXPECT_TRUE(stale.error().conflict());
  EXPECT_THAT(stale.error().message, HasSubstr("the object has been modified"));
  EXPECT_EQ(server->request_count("PUT", "/status"), 2U); // 409 is the caller's, never retried
}

TEST_F(ApiClientTest, DeleteReportsAMissingObjectAsNotFound) {
  server->put(test::config_map("d"));
  const auto deleted = client->remove(resources::config_maps, "default", "d");
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  EXPECT_FALSE(server->get("v1", "configmaps", "default", "d"));
  const auto again = client->remove(resources::config_maps, "default", "d");
  ASSERT_FALSE(again);
  EXPECT_TRUE(again.error().not_found());
}

TEST_F(ApiClientTest, DeleteWithAWrongUidPreconditionIsAConflict) {
  server->put(test::config_map("d"));
  DeleteOptions options;
  options.precondition_uid = "not-the-uid";
  const auto refused = client->remove(resources::config_maps, "default", "d", options);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().status, 409);
  EXPECT_TRUE(server->get("v1", "configmaps", "default", "d"));
}

TEST_F(ApiClientTest, ObserverSeesEveryAttempt) {
  std::vector<std::pair<std::string, int>> seen;
  auto options = test::recording_options(waits);
  options.observer = [&seen](std::string_view method, int status) { seen.emplace_back(method, status); };
  auto observed = test::make_client(test::config_for(*server), options);
  server->add_fault(FaultRule{.method = "GET", .status = 503, .times = 1, .message = ""});
  ASSERT_FALSE(observed->get(resources::config_maps, "default", "none"));
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, int>>{{"GET", 503}, {"GET", 404}}));
}

TEST_F(ApiClientTest, TooManyRequestsHonoursRetryAfter) {
  server->put(test::config_map("r"));
  server->add_fault(
      FaultRule{.method = "GET", .status = 429, .times = 2, .retry_after_seconds = 3, .message = ""});
  const auto got = client->get(resources::config_maps, "default", "r");
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(waits.snapshot(), (std::vector<std::chrono::milliseconds>{3s, 3s}));
}

TEST_F(ApiClientTest, RetryAfterIsCapped) {
  auto options = test::recording_options(waits);
  options.retry_after_cap = 2s;
  auto capped = test::make_client(test::config_for(*server), options);
  server->add_fault(
      FaultRule{.method = "GET", .status = 429, .times = 1, .retry_after_seconds = 3600, .message = ""});
  EXPECT_TRUE(capped->list(resources::config_maps, "default"));
  EXPECT_EQ(waits.snapshot(), (std::vector<std::chrono::milliseconds>{2s}));
}

TEST_F(ApiClientTest, ServerErrorsBackOffExponentiallyAndGiveUpAfterMaxAttempts) {
  server->add_fault(FaultRule{.method = "GET", .status = 500, .message = ""});
  const auto got = client->get(resources::config_maps, "default", "x");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().status, 500);
  EXPECT_EQ(server->request_count("GET", ".*"), 5U);
  EXPECT_EQ(waits.snapshot(), (std::vector<std::chrono::milliseconds>{200ms, 400ms, 800ms, 1600ms}));
}

TEST_F(ApiClientTest, NotImplementedIsNotRetried) {
  server->add_fault(FaultRule{.method = "GET", .status = 501, .message = ""});
  EXPECT_EQ(client->get(resources::config_maps, "default", "x").error().status, 501);
  EXPECT_EQ(server->request_count("GET", ".*"), 1U);
}

TEST_F(ApiClientTest, EveryThirdRequestFailingStillConverges) {
  server->add_fault(FaultRule{.method = "", .status = 500, .every_nth = 3, .message = ""});
  for (int i = 0; i < 10; ++i) {
    const std::string name = "cm-" + std::to_string(i);
    const auto applied = client->apply(resources::config_maps, "default", name, test::config_map(name));
    ASSERT_TRUE(applied) << applied.error().to_string();
  }
  const auto listed = client->list(resources::config_maps, "default");
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_EQ(listed->items.size(), 10U);
  EXPECT_FALSE(waits.snapshot().empty());
}

TEST_F(ApiClientTest, CreateIsNotRetriedAfterAServerError) {
  server->add_fault(FaultRule{.method = "POST", .status = 500, .times = 1, .message = ""});
  const auto created = client->create(resources::config_maps, "default", test::config_map("once"));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().status, 500);
  EXPECT_EQ(server->request_count("POST", ".*"), 1U);
}

TEST_F(ApiClientTest, CreateIsRetriedOnTooManyRequests) {
  server->add_fault(
      FaultRule{.method = "POST", .status = 429, .times = 1, .retry_after_seconds = 1, .message = ""});
  EXPECT_TRUE(client->create(resources::config_maps, "default", test::config_map("later")));
  EXPECT_EQ(server->request_count("POST", ".*"), 2U);
}

TEST_F(ApiClientTest, DroppedConnectionsAreRetried) {
  server->put(test::config_map("x"));
  server->add_fault(FaultRule{.method = "GET", .times = 2, .drop_connection = true, .message = ""});
  const auto got = client->get(resources::config_maps, "default", "x");
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(waits.snapshot().size(), 2U);
}

TEST_F(ApiClientTest, ConnectionRefusedUntilTheServerStarts) {
  server->put(test::config_map("x"));
  server->stop();
  {
    const std::lock_guard lock(waits.mutex);
    waits.on_wait = [this] {
      if (waits.waits.size() == 2) {
        server->start();
      }
    };
  }
  const auto got = client->get(resources::config_maps, "default", "x");
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(waits.snapshot().size(), 2U);
}

TEST_F(ApiClientTest, ConnectionRefusedIsReportedWithTheServer) {
  server->stop();
  const auto got = client->get(resources::config_maps, "default", "x");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().status, 0);
  EXPECT_EQ(got.error().message, "cannot connect to http://127.0.0.1:" + std::to_string(server->port()) +
                                     " (connection refused or host unreachable)");
}

TEST_F(ApiClientTest, ASlowAnswerTimesOut) {
  auto options = test::recording_options(waits);
  options.request_timeout = 300ms;
  options.max_attempts = 1;
  auto impatient = test::make_client(test::config_for(*server), options);
  server->add_fault(FaultRule{.method = "GET", .times = 1, .latency = 1500ms, .message = ""});
  const auto got = impatient->get(resources::config_maps, "default", "x");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().status, 0);
  EXPECT_EQ(got.error().message,
            "no complete answer from http://127.0.0.1:" + std::to_string(server->port()) +
                " (connection closed, or timed out after 300ms)");
}

TEST_F(ApiClientTest, ManyThreadsShareOneClient) {
  std::vector<std::thread> threads;
  threads.reserve(8);
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!client->apply(resources::config_maps, "default", name, test::config_map(name)) ||
            !client->get(resources::config_maps, "default", name)) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(server->list("v1", "configmaps", "default").size(), 80U);
}

class ApiClientPrefixTest : public ApiClientTest {
protected:
  void configure_server(test_apiserver::Options& options) override {
    options.path_prefix = "/k8s/clusters/c-m-xxxx";
  }
};

TEST_F(ApiClientPrefixTest, TheServerPathPrefixesEveryRequest) {
  ASSERT_TRUE(client->create(resources::config_maps, "default", test::config_map("a")));
  ASSERT_TRUE(client->list(resources::config_maps, "default"));
  const auto requests = server->requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].path, "/api/v1/namespaces/default/configmaps");
  EXPECT_EQ(requests[0].status, 201);
  EXPECT_EQ(requests[1].status, 200);
}

class ApiClientTokenTest : public ApiClientTest {
protected:
  void configure_server(test_apiserver::Options& options) override { options.token = "secret-token"; }
};

TEST_F(ApiClientTokenTest, SendsTheBearerToken) {
  auto config = test::config_for(*server);
  config.token = "secret-token";
  auto authorized = test::make_client(config, test::recording_options(waits));
  EXPECT_TRUE(authorized->list(resources::config_maps, "default"));
}

TEST_F(ApiClientTokenTest, AWrongTokenIsUnauthorizedWithoutRetries) {
  auto config = test::config_for(*server);
  config.token = "wrong-token";
  auto refused_client = test::make_client(config, test::recording_options(waits));
  const auto refused = refused_client->list(resources::config_maps, "default");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().status, 401);
  EXPECT_EQ(refused.error().reason, "Unauthorized");
  EXPECT_THAT(refused.error().to_string(), ::testing::Not(HasSubstr("wrong-token")));
  EXPECT_EQ(server->request_count("", ".*"), 1U);
}

TEST_F(ApiClientTokenTest, ATokenFileIsReadAgainAfterA401) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("herd-kube-client-token-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  test::write_text(dir / "token", "secret-token\n");
  auto config = test::config_for(*server);
  config.token_file = (dir / "token").string();
  auto file_client = test::make_client(config, test::recording_options(waits));
  ASSERT_TRUE(file_client->list(resources::config_maps, "default"));
  server->set_token("rotated-token");
  test::write_text(dir / "token", "rotated-token\n");
  const auto listed = file_client->list(resources::config_maps, "default");
  EXPECT_TRUE(listed) << listed.error().to_string();
  EXPECT_EQ(server->request_count("", ".*"), 3U); // ok, 401, ok
  std::filesystem::remove_all(dir);
}

TEST_F(ApiClientTokenTest, ExecPluginRunsOnceAndAgainOnlyAfterA401) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("herd-kube-client-exec-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  test::write_text(dir / "token", "secret-token");
  const auto script = dir / "plugin.sh";
  test::write_text(
      script, "#!/bin/sh\n"
              "echo run >> '" +
                  (dir / "runs").string() +
                  "'\n"
                  "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                  "\"status\":{\"token\":\"%s\"}}' \"$(cat '" +
                  (dir / "token").string() + "')\"\n");
  ::chmod(script.c_str(), 0755);
  const auto runs = [&dir] {
    const std::string text = test::read_text(dir / "runs");
    return std::count(text.begin(), text.end(), '\n');
  };
  auto config = test::config_for(*server);
  ExecConfig exec;
  exec.api_version = "client.authentication.k8s.io/v1";
  exec.command = script.string();
  exec.interactive_mode = "Never";
  exec.origin = "test";
  config.exec = exec;
  auto exec_client = test::make_client(config, test::recording_options(waits));
  ASSERT_TRUE(exec_client->list(resources::config_maps, "default"));
  ASSERT_TRUE(exec_client->list(resources::config_maps, "default"));
  EXPECT_EQ(runs(), 1); // cached: no expiry
  server->set_token("rotated-token");
  test::write_text(dir / "token", "rotated-token");
  const auto listed = exec_client->list(resources::config_maps, "default");
  EXPECT_TRUE(listed) << listed.error().to_string();
  EXPECT_EQ(runs(), 2);
  ASSERT_TRUE(exec_client->list(resources::config_maps, "default"));
  EXPECT_EQ(runs(), 2);
  // A plugin whose fresh token is refused too: one re-run, then the 401 is the answer.
  server->set_token("unknown-to-the-plugin");
  const auto refused = exec_client->list(resources::config_maps, "default");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().status, 401);
  EXPECT_EQ(runs(), 3);
  std::filesystem::remove_all(dir);
}

TEST(ApiClientConfigTest, Socks5ProxiesAreRefusedClearly) {
  ClusterConfig config;
  config.server_url = *parse_server_url("https://example.com:6443");
  config.proxy = *parse_url("socks5://proxy.example.com:1080");
  const auto client = ApiClient::create(config);
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().message,
            "socks5 proxies are not supported (proxy socks5://proxy.example.com:1080)");
}

TEST(ApiClientConfigTest, BackoffIsFullJitterUnderTheCap) {
  EXPECT_EQ(backoff_delay(0, 100ms, 1s, 1.0), 100ms);
  EXPECT_EQ(backoff_delay(3, 100ms, 1s, 1.0), 800ms);
  EXPECT_EQ(backoff_delay(4, 100ms, 1s, 1.0), 1000ms);
  EXPECT_EQ(backoff_delay(4, 100ms, 1s, 0.5), 500ms);
  EXPECT_EQ(backoff_delay(60, 100ms, 1s, 0.0), 0ms);
}

TEST(ApiClientConfigTest, PercentEncodesSelectors) {
  EXPECT_EQ(percent_encode("app in (a,b),!x"), "app%20in%20%28a%2Cb%29%2C%21x");
  EXPECT_EQ(percent_encode("a-b_c.d~e"), "a-b_c.d~e");
}

} // namespace
} // namespace herd::kube
