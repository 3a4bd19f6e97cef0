// The reconciler under faults (issue 8, "Fault injection for the reconciler") and with two replicas (issue 5,
// "two controller instances → one leader"). Every scenario ends the same way: after the faults stop, the
// server holds exactly the Bundles the Stacks render to, each committed as often as its content changed
// (no Herd Bundle of an existing Stack deleted, nothing applied twice), the status describes the current
// generation, and further resyncs send no write request at all.

#include "stack_controller_fixture.hpp"

#include <gmock/gmock.h>

namespace herd::test {
namespace {

class StackControllerFaultTest : public StackControllerFixture {
protected:
  // The whole cluster's Bundles are exactly those `stacks` render to, each settled.
  void expect_exactly(const std::vector<json>& stacks) {
    std::set<std::string> expected;
    for (const auto& stack : stacks) {
      EXPECT_TRUE(settled(stack)) << stack["metadata"]["name"] << ": " << bundle_difference(stack);
      for (const auto& [key, bundle] : rendered_bundles(stack)) {
        expected.insert(key);
      }
    }
    std::set<std::string> actual;
    for (const auto& [key, bundle] : all_bundles()) {
      actual.insert(key);
    }
    EXPECT_EQ(actual, expected);
  }

  void expect_no_bundle_deleted() {
    for (const auto& write : writes_of("bundles")) {
      EXPECT_NE(write.verb, "delete") << write.name;
    }
  }

  // No Bundle was deleted, and each Bundle of `stacks` was committed exactly once.
  void expect_written_once(const std::vector<json>& stacks) {
    expect_no_bundle_deleted();
    const auto counts = bundle_write_counts();
    for (const auto& stack : stacks) {
      for (const auto& [key, bundle] : rendered_bundles(stack)) {
        EXPECT_EQ(counts.contains(key) ? counts.at(key) : 0, 1) << key;
      }
    }
  }

  // Once converged, resyncs of every Stack write nothing.
  void expect_quiet(ControllerInstance& controller, std::size_t stacks) {
    ASSERT_TRUE(controller.wait_reconciles(static_cast<double>(stacks) * 2 + 2));
    server->clear_logs();
    ASSERT_TRUE(controller.wait_reconciles(static_cast<double>(stacks) * 2 + 2));
    EXPECT_EQ(write_requests(), 0U);
  }

  // Requests the server answered with `status` (and whose method is `method`, when given).
  std::size_t requests_answered(int status, const std::string& method = "") const {
    std::size_t count = 0;
    for (const auto& request : server->requests()) {
      count += request.status == status && (method.empty() || request.method == method) ? 1 : 0;
    }
    return count;
  }

  // An edit written straight into storage (server->put), for when the API is hostile to the user's client
  // too.
  void put_charts(json& stack, const json& charts) {
    auto stored = stored_stack(stack);
    ASSERT_TRUE(stored);
    (*stored)["spec"]["charts"] = charts;
    (*stored)["metadata"].erase("generation"); // the server bumps it, as for a spec change through the API
    (*stored)["metadata"].erase("managedFields");
    server->put(*stored);
    stack["spec"]["charts"] = charts;
  }
};

TEST_F(StackControllerFaultTest, ApiServerDownAtStartThenUp) {
  const json a = user_stack("rag");
  const json b = user_stack("other", "team-b");
  create_stack(a);
  create_stack(b);
  server->stop();

  auto& controller = start_controller();
  ASSERT_TRUE(eventually([&] { return controller.unanswered() >= 5; }));
  EXPECT_FALSE(controller.controller().synced());
  server->start();

  ASSERT_TRUE(eventually([&] { return settled(a) && settled(b); }, 15s))
      << bundle_difference(a) << bundle_difference(b);
  expect_exactly({a, b});
  expect_written_once({a, b});
  expect_quiet(controller, 2);
}

TEST_F(StackControllerFaultTest, DroppedWatchesWhileStacksChange) {
  auto& controller = start_controller();
  json a = user_stack("rag");
  const json b = user_stack("other", "team-b");
  create_stack(a);
  for (int i = 0; i < 6; ++i) {
    edit_chart_version(a, 1, "0.9." + std::to_string(10 + i));
    if (i == 2) {
      create_stack(b);
    }
    server->drop_watches();
    ASSERT_TRUE(eventually([&] { return server->open_watches() >= 5; })) << "the informers watch again";
  }

  ASSERT_TRUE(eventually([&] { return settled(a) && settled(b); }))
      << bundle_difference(a) << bundle_difference(b);
  expect_exactly({a, b});
  const auto counts = bundle_write_counts();
  expect_no_bundle_deleted();
  EXPECT_EQ(counts.at("fleet-default/team-a-rag-gpu-operator"), 1);
  EXPECT_EQ(counts.at("fleet-default/team-a-rag-ollama"), 1);
  EXPECT_LE(counts.at("fleet-default/team-a-rag-qdrant"), 7); // at most once per version
  for (const auto& [key, bundle] : rendered_bundles(b)) {
    EXPECT_EQ(counts.at(key), 1) << key;
  }
  expect_quiet(controller, 2);
}

// A 410 storm: the history is compacted and every watch cut, again and again, while Stacks change; each
// time the informers resume or relist. Nothing is lost or written twice.
TEST_F(StackControllerFaultTest, A410StormWhileStacksChangeConverges) {
  auto& controller = start_controller();
  json a = user_stack("rag");
  const json b = user_stack("other", "team-b");
  create_stack(a);
  create_stack(b);
  ASSERT_TRUE(eventually([&] { return settled(a) && settled(b); }));
  for (int i = 0; i < 8; ++i) {
    edit_chart_version(a, 1, "0.9." + std::to_string(20 + i));
    server->compact_history();
    server->drop_watches();
    std::this_thread::sleep_for(30ms);
  }
  delete_stack(b);
  server->compact_history();
  server->drop_watches();

  ASSERT_TRUE(eventually([&] { return settled(a) && !stored_stack(b); })) << bundle_difference(a);
  expect_exactly({a});
  // (Whether a cut watch needed a relist depends on how far it had read: RelistAfterCompactionLosesNoDeletion
  // forces one.)
  const auto counts = bundle_write_counts();
  EXPECT_EQ(counts.at("fleet-default/team-a-rag-gpu-operator"), 1);
  EXPECT_EQ(counts.at("fleet-default/team-a-rag-ollama"), 1);
  EXPECT_LE(counts.at("fleet-default/team-a-rag-qdrant"), 9); // at most once per version
  expect_quiet(controller, 1);
}

TEST_F(StackControllerFaultTest, RelistAfterCompactionLosesNoDeletion) {
  auto& controller = start_controller();
  const json a = user_stack("rag");
  const json b = user_stack("other", "team-b");
  create_stack(a);
  create_stack(b);
  ASSERT_TRUE(eventually([&] { return settled(a) && settled(b); }));

  // Every watch is cut, and resuming takes a while; meanwhile the Stack is deleted, someone deletes a Bundle
  // of the other Stack, and the history those watches would resume from is compacted away (410 → relist).
  const int slow =
      server->add_fault({.method = "GET", .target_regex = "watch=", .latency = 1500ms, .message = {}});
  server->drop_watches();
  const std::size_t lists_before = server->request_count("GET", "/stacks(\\?(?!.*watch=)|$)");
  delete_stack(a);
  ASSERT_TRUE(server->remove(k_fleet_api, "bundles", "fleet-default", "team-b-other-ollama"));
  server->compact_history();
  server->remove_fault(slow);

  ASSERT_TRUE(eventually([&] { return !stored_stack(a).has_value() && settled(b); }))
      << bundle_difference(b) << status_of(a).dump();
  EXPECT_GT(server->request_count("GET", "/stacks(\\?(?!.*watch=)|$)"), lists_before) << "relisted";
  EXPECT_TRUE(bundles_of(a).empty());
  expect_exactly({b});
  const auto counts = bundle_write_counts();
  EXPECT_EQ(counts.at("fleet-default/team-b-other-ollama"),
            3); // applied, removed behind Herd's back, re-applied
  EXPECT_EQ(counts.at("fleet-default/team-b-other-qdrant"), 1);
  EXPECT_EQ(counts.at("fleet-default/team-b-other-gpu-operator"), 1);
  expect_quiet(controller, 1);
}

TEST_F(StackControllerFaultTest, StatusConflictsAreRetried) {
  server->add_fault(
      {.method = "PUT", .target_regex = "/stacks/[^/?]+/status", .status = 409, .times = 3, .message = {}});
  auto& controller = start_controller();
  const json a = user_stack("rag");
  ASSERT_TRUE(create_and_settle(a)) << bundle_difference(a) << status_of(a).dump();
  // The request log is written once the answer went out, so it may lag the store by a moment. (More than the
  // 3 injected conflicts is fine: a PUT from a cache that had not seen the last write is refused with 409
  // too.)
  const auto conflicts = [&] { return requests_answered(409, "PUT"); };
  EXPECT_TRUE(eventually([&] {
    return conflicts() >= 3 && server->request_count("PUT", "/stacks/rag/status") >= 4;
  })) << conflicts()
      << " conflicts, " << server->request_count("PUT", "/stacks/rag/status") << " status PUTs";
  expect_exactly({a});
  expect_written_once({a});
  expect_quiet(controller, 1);
}

TEST_F(StackControllerFaultTest, TooManyRequestsHonoursRetryAfter) {
  server->add_fault({.method = "PATCH",
                     .target_regex = "/bundles/",
                     .status = 429,
                     .times = 2,
                     .retry_after_seconds = 1,
                     .message = {}});
  auto& controller = start_controller();
  const json a = user_stack("rag");
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(create_and_settle(a)) << bundle_difference(a);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 1900ms) << "two answers said Retry-After: 1";
  const std::size_t refused = requests_answered(429);
  EXPECT_EQ(refused, 2U);
  expect_exactly({a});
  expect_written_once({a});
  expect_quiet(controller, 1);
}

TEST_F(StackControllerFaultTest, EveryThirdRequestFailsWith500) {
  json a = user_stack("rag");
  const json b = user_stack("other", "team-b");
  create_stack(a);
  create_stack(b);
  const int failing = server->add_fault(
      {.method = {}, .status = 500, .every_nth = 3, .message = "etcdserver: leader changed"});
  auto& controller = start_controller();
  ASSERT_TRUE(eventually([&] { return settled(a) && settled(b); }))
      << bundle_difference(a) << bundle_difference(b);
  json charts = a["spec"]["charts"];
  charts[2]["version"] = "0.25.0";
  put_charts(a, charts);
  ASSERT_TRUE(eventually([&] { return settled(a); })) << bundle_difference(a);
  server->remove_fault(failing);

  expect_exactly({a, b});
  const auto counts = bundle_write_counts();
  expect_no_bundle_deleted();
  EXPECT_EQ(counts.at("fleet-default/team-a-rag-gpu-operator"), 1);
  EXPECT_EQ(counts.at("fleet-default/team-a-rag-qdrant"), 1);
  EXPECT_EQ(counts.at("fleet-default/team-a-rag-ollama"), 2);
  for (const auto& [key, bundle] : rendered_bundles(b)) {
    EXPECT_EQ(counts.at(key), 1) << key;
  }
  const std::size_t failed = requests_answered(500);
  EXPECT_GT(failed, 3U);
  expect_quiet(controller, 2);
}

TEST_F(StackControllerFaultTest, SlowResponsesPastTheClientTimeout) {
  server->add_fault(
      {.method = "PATCH", .target_regex = "/bundles/", .times = 2, .latency = 1000ms, .message = {}});
  server->add_fault(
      {.method = "PUT", .target_regex = "/status", .times = 1, .latency = 1000ms, .message = {}});
  auto& controller = start_controller({.request_timeout = 300ms});
  const json a = user_stack("rag");
  ASSERT_TRUE(create_and_settle(a)) << bundle_difference(a);
  EXPECT_GE(controller.unanswered(), 3) << "the client gave up on the slow answers";
  // The abandoned requests still completed on the server: their re-sent twins were no-ops, not second writes.
  ASSERT_TRUE(eventually([&] {
    return server->request_count("PATCH", "/bundles/") >= 5 && server->request_count("PUT", "/status") >= 2;
  }));
  expect_exactly({a});
  expect_written_once({a});
  expect_quiet(controller, 1);
}

TEST_F(StackControllerFaultTest, StoppedBetweenTwoBundleAppliesANewInstanceConverges) {
  // The first instance gets the first Bundle applied, then the connection dies on the next ones, and it
  // stops.
  const int cut = server->add_fault({.method = "PATCH",
                                     .target_regex = "/bundles/team-a-rag-(qdrant|ollama)",
                                     .drop_connection = true,
                                     .message = {}});
  auto& first = start_controller({.identity = "herd-a"});
  const json a = user_stack("rag");
  create_stack(a);
  ASSERT_TRUE(eventually([&] {
    return server->get(k_fleet_api, "bundles", "fleet-default", "team-a-rag-gpu-operator").has_value() &&
           server->request_count("PATCH", "/bundles/team-a-rag-qdrant") >= 1;
  }));
  first.stop();
  EXPECT_EQ(bundles_of(a).size(), 1U);
  server->remove_fault(cut);

  auto& second = start_controller({.identity = "herd-b"});
  ASSERT_TRUE(eventually([&] { return settled(a); })) << bundle_difference(a);
  expect_exactly({a});
  expect_written_once({a}); // gpu-operator not applied again by the second instance
  expect_quiet(second, 1);
}

class StackControllerLeaderTest : public StackControllerFaultTest {
protected:
  // Samples `a` and `b` every millisecond, on a thread of its own, for a moment where both lead.
  void sample_leadership(const ControllerInstance& a, const ControllerInstance& b) {
    m_sampler = std::jthread([&a, &b, this](const std::stop_token& stop) {
      while (!stop.stop_requested()) {
        if (a.leading() && b.leading()) {
          m_two_leaders = true;
        }
        std::this_thread::sleep_for(1ms);
      }
    });
  }

  // Stops sampling; whether two replicas were ever seen leading at once.
  bool two_leaders_seen() {
    stop_sampling();
    return m_two_leaders.load();
  }

  void TearDown() override {
    stop_sampling(); // before the instances it reads go
    StackControllerFaultTest::TearDown();
  }

private:
  void stop_sampling() {
    if (m_sampler.joinable()) {
      m_sampler.request_stop();
      m_sampler.join();
    }
  }

  std::jthread m_sampler;
  std::atomic<bool> m_two_leaders{false};
};

TEST_F(StackControllerLeaderTest, OneLeaderAtATimeAndTheStandbyTakesOver) {
  auto& a = start_controller({.identity = "herd-a", .leader_elect = true});
  auto& b = start_controller({.identity = "herd-b", .leader_elect = true});
  sample_leadership(a, b);
  const auto holder = [&] {
    const auto lease = server->get("coordination.k8s.io/v1", "leases", "herd-system", "herd-controller");
    return lease ? lease->value("/spec/holderIdentity"_json_pointer, std::string()) : std::string();
  };

  ASSERT_TRUE(eventually([&] { return a.leading() || b.leading(); }));
  ControllerInstance& leader = a.leading() ? a : b;
  ControllerInstance& standby = a.leading() ? b : a;
  EXPECT_EQ(holder(), leader.controller().identity());
  const json first = user_stack("rag");
  ASSERT_TRUE(create_and_settle(first)) << bundle_difference(first);
  ASSERT_TRUE(leader.wait_reconciles(2));
  EXPECT_GT(leader.write_attempts(), 0);
  EXPECT_EQ(standby.write_attempts(), 0) << "the standby keeps its caches warm and writes nothing";
  EXPECT_FALSE(standby.leading());

  const auto stopped = std::chrono::steady_clock::now();
  leader.stop(); // releases the Lease
  ASSERT_TRUE(eventually([&] { return standby.leading(); }, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - stopped, 3s);
  EXPECT_EQ(holder(), standby.controller().identity());

  const json second = user_stack("other", "team-b");
  create_stack(second);
  ASSERT_TRUE(eventually([&] { return settled(second) && settled(first); })) << bundle_difference(second);
  EXPECT_GT(standby.write_attempts(), 0);
  // Events name the replica that wrote them: the first leader for the first Stack, the new one for the
  // second.
  for (const auto& event : server->list("v1", "events", "team-a")) {
    EXPECT_EQ(event["reportingInstance"], leader.controller().identity());
  }
  ASSERT_FALSE(server->list("v1", "events", "team-b").empty());
  for (const auto& event : server->list("v1", "events", "team-b")) {
    EXPECT_EQ(event["reportingInstance"], standby.controller().identity());
  }
  expect_exactly({first, second});
  expect_written_once({first, second});
  EXPECT_FALSE(two_leaders_seen()) << "two replicas led at once";
}

TEST_F(StackControllerLeaderTest, ALeaderThatCannotRenewStopsReconcilingAndNoOneLeadsTwice) {
  auto& a = start_controller({.identity = "herd-a", .leader_elect = true});
  auto& b = start_controller({.identity = "herd-b", .leader_elect = true});
  sample_leadership(a, b);
  ASSERT_TRUE(eventually([&] { return a.leading() || b.leading(); }));
  ControllerInstance& leader = a.leading() ? a : b;

  // The Lease cannot be written (an API server in trouble): the leader steps down within the renew deadline.
  const int refused =
      server->add_fault({.method = "PUT", .target_regex = "/leases/", .status = 500, .message = {}});
  const auto cut = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return !leader.leading(); }, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - cut, 2500ms);
  server->remove_fault(refused);

  ASSERT_TRUE(eventually([&] { return a.leading() || b.leading(); }, 5s));
  const json stack = user_stack("rag");
  ASSERT_TRUE(create_and_settle(stack)) << bundle_difference(stack);
  expect_exactly({stack});
  expect_written_once({stack});
  EXPECT_FALSE(two_leaders_seen()) << "two replicas led at once";
}

} // namespace
} // namespace herd::test
