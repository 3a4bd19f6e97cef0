// ApiClient::watch against the test API server: order, bookmarks, resuming after a dropped stream, 410,
// stopping.
#include "client_test_support.hpp"

#include <herd/kube/api_client.hpp>
#include <herd/test_apiserver/api_server.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

namespace herd::kube {
namespace {

using nlohmann::json;
using test_apiserver::ApiServer;
using namespace std::chrono_literals;

class ApiClientWatchTest : public ::testing::Test {
protected:
  void SetUp() override {
    test_apiserver::Options options;
    options.bookmark_interval = 100ms;
    server = std::make_unique<ApiServer>(options);
    server->start();
    client = test::make_client(test::config_for(*server), test::recording_options(waits));
  }
  // Waits until the server holds `count` open watches.
  void wait_for_watches(std::size_t count) {
    for (int i = 0; i < 5000 && server->open_watches() < count; ++i) {
      std::this_thread::sleep_for(1ms);
    }
    ASSERT_GE(server->open_watches(), count);
  }

  std::unique_ptr<ApiServer> server;
  test::RecordedWaits waits;
  std::unique_ptr<ApiClient> client;
};

TEST_F(ApiClientWatchTest, DeliversEventsInOrderAndTracksTheResourceVersion) {
  const std::string start = server->resource_version();
  std::vector<std::pair<std::string, std::string>> seen; // type, name
  WatchOptions options;
  options.resource_version = start;
  options.bookmarks = false;
  WatchResult result;
  std::thread watcher([&] {
    result = client->watch(resources::config_maps, "default", options, [&](const WatchEvent& event) {
      seen.emplace_back(to_string(event.type), event.object["metadata"]["name"].get<std::string>());
      return seen.size() < 3;
    });
  });
  wait_for_watches(1);
  server->put(test::config_map("a"));
  server->put(test::config_map("a", "2"));
  server->remove("v1", "configmaps", "default", "a");
  watcher.join();
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{
                      {"ADDED", "a"}, {"MODIFIED", "a"}, {"DELETED", "a"}}));
  EXPECT_EQ(result.end, WatchResult::End::stopped);
  EXPECT_EQ(result.events, 3U);
  EXPECT_EQ(result.resource_version, server->resource_version());
  const auto requests = server->requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_THAT(requests.back().query, ::testing::HasSubstr("resourceVersion=" + start));
}

TEST_F(ApiClientWatchTest, BookmarksAdvanceTheResourceVersion) {
  const std::string start = server->resource_version();
  // Changes to another resource move the global resourceVersion without events on this watch.
  server->put(
      {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "s"}, {"namespace", "default"}}}});
  const std::string newest = server->resource_version();
  WatchOptions options;
  options.resource_version = start;
  std::vector<WatchEvent::Type> types;
  const auto result = client->watch(resources::config_maps, "default", options, [&](const WatchEvent& event) {
    types.push_back(event.type);
    return event.type != WatchEvent::Type::bookmark;
  });
  EXPECT_EQ(types, std::vector<WatchEvent::Type>{WatchEvent::Type::bookmark});
  EXPECT_EQ(result.end, WatchResult::End::stopped);
  EXPECT_EQ(result.resource_version, newest);
  EXPECT_NE(result.resource_version, start);
  EXPECT_THAT(server->requests().back().query, ::testing::HasSubstr("allowWatchBookmarks=true"));
}

TEST_F(ApiClientWatchTest, ResumingAfterDroppedStreamsLosesNothing) {
  const std::string start = server->resource_version();
  std::map<std::string, int> added;
  std::atomic<int> watches{0};
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    WatchOptions options;
    options.resource_version = start;
    options.bookmarks = false;
    while (!done) {
      ++watches;
      const auto result =
          client->watch(resources::config_maps, "default", options, [&](const WatchEvent& event) {
            if (event.type == WatchEvent::Type::added) {
              ++added[event.object["metadata"]["name"].get<std::string>()];
            }
            done = added.size() == 30;
            return !done;
          });
      ASSERT_TRUE(result.end == WatchResult::End::closed || result.end == WatchResult::End::stopped)
          << (result.error ? result.error->to_string() : "");
      options.resource_version = result.resource_version;
    }
  });
  for (int round = 0; round < 3; ++round) {
    wait_for_watches(1);
    for (int i = 0; i < 10; ++i) {
      server->put(test::config_map("cm-" + std::to_string(round) + "-" + std::to_string(i)));
    }
    server->drop_watches();
  }
  watcher.join();
  ASSERT_EQ(added.size(), 30U);
  for (const auto& [name, count] : added) {
    EXPECT_EQ(count, 1) << name;
  }
  EXPECT_GE(watches.load(), 2);
}

TEST_F(ApiClientWatchTest, ACompactedResourceVersionExpires) {
  const std::string old = server->resource_version();
  server->put(test::config_map("a"));
  server->put(test::config_map("b"));
  server->compact_history();
  WatchOptions options;
  options.resource_version = old;
  int events = 0;
  const auto result = client->watch(resources::config_maps, "default", options, [&](const WatchEvent&) {
    ++events;
    return true;
  });
  EXPECT_EQ(result.end, WatchResult::End::expired);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->status, 410);
  EXPECT_EQ(result.error->reason, "Expired");
  EXPECT_EQ(events, 0);
}

TEST_F(ApiClientWatchTest, TimeoutSecondsEndsTheStreamCleanly) {
  WatchOptions options;
  options.resource_version = server->resource_version();
  options.bookmarks = false;
  options.timeout = 1s;
  const auto result =
      client->watch(resources::config_maps, "default", options, [](const WatchEvent&) { return true; });
  EXPECT_EQ(result.end, WatchResult::End::closed);
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.resource_version, options.resource_version);
}

TEST_F(ApiClientWatchTest, AStopRequestEndsAnIdleWatchAtOnce) {
  std::stop_source stop;
  WatchOptions options;
  options.resource_version = server->resource_version();
  options.bookmarks = false;
  WatchResult result;
  std::thread watcher([&] {
    result = client->watch(
        resources::config_maps, "default", options, [](const WatchEvent&) { return true; }, stop.get_token());
  });
  wait_for_watches(1);
  const auto asked = std::chrono::steady_clock::now();
  stop.request_stop();
  watcher.join();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 2s);
  EXPECT_EQ(result.end, WatchResult::End::stopped);
}

TEST_F(ApiClientWatchTest, WatchWithoutResourceVersionStartsWithTheCurrentObjects) {
  server->put(test::config_map("existing"));
  std::vector<std::string> names;
  WatchOptions options;
  options.bookmarks = false;
  const auto result = client->watch(resources::config_maps, "default", options, [&](const WatchEvent& event) {
    names.push_back(event.object["metadata"]["name"].get<std::string>());
    return false;
  });
  EXPECT_EQ(names, std::vector<std::string>{"existing"});
  EXPECT_EQ(result.end, WatchResult::End::stopped);
}

TEST_F(ApiClientWatchTest, AFailingStartIsRetriedThenReported) {
  server->add_fault(
      test_apiserver::FaultRule{.method = "GET", .target_regex = "watch=", .status = 500, .message = ""});
  WatchOptions options;
  options.resource_version = server->resource_version();
  const auto result =
      client->watch(resources::config_maps, "default", options, [](const WatchEvent&) { return true; });
  EXPECT_EQ(result.end, WatchResult::End::failed);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->status, 500);
  EXPECT_EQ(server->request_count("GET", "watch="), 5U);
}

} // namespace
} // namespace herd::kube
