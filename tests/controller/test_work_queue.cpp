// The reconciler's work queue behaves like client-go's rate-limited workqueue: a Stack queued many times is
// reconciled once, never by two workers at once, changes during a reconcile are not lost, failures back off
// exponentially, and shutting down releases every worker.

#include <herd/controller/work_queue.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace herd::controller {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueue, KeyQueuedTwiceIsProcessedOnce) {
  WorkQueue queue;
  queue.add("team-a/rag");
  queue.add("team-b/llm");
  queue.add("team-a/rag");
  EXPECT_EQ(queue.depth(), 2U);
  EXPECT_EQ(queue.get(), "team-a/rag");
  EXPECT_EQ(queue.get(), "team-b/llm");
  EXPECT_EQ(queue.depth(), 0U);
}

TEST(WorkQueue, KeyAddedWhileProcessingIsQueuedAgainAfterDone) {
  WorkQueue queue;
  queue.add("team-a/rag");
  ASSERT_EQ(queue.get(), "team-a/rag");
  queue.add("team-a/rag"); // the Stack changed during its reconcile
  queue.add("team-a/rag");
  EXPECT_EQ(queue.depth(), 0U) << "not handed to a second worker while the first one works on it";
  queue.done("team-a/rag");
  EXPECT_EQ(queue.depth(), 1U);
  EXPECT_EQ(queue.get(), "team-a/rag");
  queue.done("team-a/rag");
  EXPECT_EQ(queue.depth(), 0U);
}

TEST(WorkQueue, AddAfterDelaysTheKey) {
  WorkQueue queue;
  const auto start = std::chrono::steady_clock::now();
  queue.add_after("team-a/rag", 30ms);
  EXPECT_EQ(queue.depth(), 0U);
  EXPECT_EQ(queue.waiting(), 1U);
  EXPECT_EQ(queue.get(), "team-a/rag");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
}

TEST(WorkQueue, EarlierAddAfterWins) {
  WorkQueue queue;
  queue.add_after("team-a/rag", 10min);
  queue.add_after("team-a/rag", 5ms);
  EXPECT_EQ(queue.waiting(), 1U);
  EXPECT_EQ(queue.get(), "team-a/rag");
}

TEST(WorkQueue, AddWhileWaitingQueuesNowAndOnce) {
  WorkQueue queue;
  queue.add_after("team-a/rag", 20ms);
  queue.add("team-a/rag");
  EXPECT_EQ(queue.get(), "team-a/rag");
  std::this_thread::sleep_for(30ms);
  queue.add("team-b/llm");
  // The delayed copy became due while team-a/rag was processing: it is queued again after done.
  EXPECT_EQ(queue.get(), "team-b/llm");
  queue.done("team-a/rag");
  EXPECT_EQ(queue.get(), "team-a/rag");
}

TEST(WorkQueue, RateLimitedBackoffDoublesAndForgetResetsIt) {
  WorkQueue queue;
  EXPECT_EQ(queue.add_rate_limited("team-a/rag"), 5ms);
  EXPECT_EQ(queue.add_rate_limited("team-a/rag"), 10ms);
  EXPECT_EQ(queue.add_rate_limited("team-a/rag"), 20ms);
  EXPECT_EQ(queue.add_rate_limited("team-b/llm"), 5ms) << "backoff is per key";
  EXPECT_EQ(queue.num_requeues("team-a/rag"), 3U);
  queue.forget("team-a/rag");
  EXPECT_EQ(queue.num_requeues("team-a/rag"), 0U);
  EXPECT_EQ(queue.add_rate_limited("team-a/rag"), 5ms);
}

TEST(WorkQueue, BackoffIsCappedAtFiveMinutes) {
  WorkQueue queue;
  std::chrono::milliseconds last{};
  for (int i = 0; i < 100; ++i) {
    last = queue.add_rate_limited("team-a/rag");
  }
  EXPECT_EQ(last, std::chrono::milliseconds(5min));
}

TEST(WorkQueue, ShutDownReleasesBlockedWorkersAndIgnoresNewKeys) {
  WorkQueue queue;
  std::vector<std::thread> workers;
  workers.reserve(3);
  std::atomic<int> released{0};
  for (int i = 0; i < 3; ++i) {
    workers.emplace_back([&] {
      if (!queue.get().has_value()) {
        ++released;
      }
    });
  }
  std::this_thread::sleep_for(20ms);
  queue.shut_down();
  for (auto& worker : workers) {
    worker.join();
  }
  EXPECT_EQ(released, 3);
  EXPECT_TRUE(queue.shutting_down());
  queue.add("team-a/rag");
  EXPECT_EQ(queue.depth(), 0U);
  EXPECT_FALSE(queue.get().has_value());
}

// Producers add keys while workers reconcile them: no key is ever held by two workers at once, and every
// key added is processed at least once after its last add (nothing is lost).
TEST(WorkQueue, ConcurrentProducersAndWorkers) {
  WorkQueue queue;
  constexpr int k_keys = 20;
  constexpr int k_producers = 4;
  constexpr int k_adds = 2000;
  std::mutex mutex;
  std::set<std::string> in_process;
  std::map<std::string, int> processed_after_last_add; // reset to 0 by each add
  std::atomic<bool> overlap{false};
  std::atomic<int> total{0};

  std::vector<std::thread> workers;
  workers.reserve(4);
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto key = queue.get()) {
        {
          const std::lock_guard lock(mutex);
          if (!in_process.insert(*key).second) {
            overlap = true;
          }
          ++processed_after_last_add[*key];
        }
        ++total;
        std::this_thread::yield();
        {
          const std::lock_guard lock(mutex);
          in_process.erase(*key);
        }
        if (total % 7 == 0) {
          queue.add_rate_limited(*key);
        } else {
          queue.forget(*key);
        }
        queue.done(*key);
      }
    });
  }
  std::vector<std::thread> producers;
  producers.reserve(k_producers);
  for (int p = 0; p < k_producers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < k_adds; ++i) {
        const std::string key = "ns/stack-" + std::to_string((i * (p + 1)) % k_keys);
        {
          const std::lock_guard lock(mutex);
          processed_after_last_add[key] = 0;
        }
        queue.add(key);
        (void)queue.depth();
      }
    });
  }
  for (auto& producer : producers) {
    producer.join();
  }
  // Wait until every key has been processed after its last add and nothing is waiting.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    bool settled = queue.depth() == 0 && queue.waiting() == 0;
    {
      const std::lock_guard lock(mutex);
      for (const auto& [key, count] : processed_after_last_add) {
        settled = settled && count > 0;
      }
    }
    if (settled) {
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  queue.shut_down();
  for (auto& worker : workers) {
    worker.join();
  }
  EXPECT_FALSE(overlap);
  EXPECT_LT(total, k_producers * k_adds) << "de-duplication merged repeated adds";
  const std::lock_guard lock(mutex);
  EXPECT_EQ(processed_after_last_add.size(), static_cast<std::size_t>(k_keys));
  for (const auto& [key, count] : processed_after_last_add) {
    EXPECT_GT(count, 0) << key << " was added but not processed afterwards";
  }
}

} // namespace
} // namespace herd::controller
