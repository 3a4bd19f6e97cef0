// BoundedTaskQueue: the connection pool herd-controller's webhook server runs on (cpp-httplib's
// new_task_queue).

#include "../../webhook/src/bounded_task_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

using herd::webhook::BoundedTaskQueue;

namespace {

// Runs `task` on the pool and waits for it to finish.
void run_and_wait(BoundedTaskQueue& pool, const std::function<void()>& task) {
  std::promise<void> done;
  pool.enqueue([&] {
    task();
    done.set_value();
  });
  done.get_future().wait();
}

// Waits until `threads` workers are idle; false after 30 s.
bool wait_until_all_idle(const BoundedTaskQueue& pool, std::size_t threads) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (pool.idle_workers() != threads) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

} // namespace

TEST(BoundedTaskQueue, OneConnectionAtATimeIsServedByOneWorker) {
  // A steady, light load must not cycle through every worker: each one it touches keeps its stack pages and
  // malloc arena resident for the life of the process.
  BoundedTaskQueue pool(32, 32);
  std::set<std::thread::id> workers;
  for (int i = 0; i < 100; ++i) {
    // The gap between two requests on a connection: the worker that served the last one is idle again.
    // Waiting for that (not for a fixed time) keeps the test exact on a loaded machine.
    ASSERT_TRUE(wait_until_all_idle(pool, 32));
    run_and_wait(pool, [&] { workers.insert(std::this_thread::get_id()); });
  }
  // A pool that wakes its workers in turn uses all 32.
  EXPECT_EQ(workers.size(), 1U);
  pool.shutdown();
}

TEST(BoundedTaskQueue, ConcurrentConnectionsEachGetAWorker) {
  BoundedTaskQueue pool(4, 4);
  std::mutex mutex;
  std::condition_variable all_started;
  int started = 0;
  std::promise<void> release;
  const std::shared_future<void> released = release.get_future().share();
  for (int i = 0; i < 4; ++i) {
    pool.enqueue([&] {
      {
        const std::lock_guard lock(mutex);
        ++started;
      }
      all_started.notify_one();
      released.wait();
    });
  }
  std::unique_lock lock(mutex);
  // Four workers hold four connections at once: none waits for another to finish.
  EXPECT_TRUE(all_started.wait_for(lock, std::chrono::seconds(30), [&] { return started == 4; }));
  lock.unlock();
  release.set_value();
  pool.shutdown();
}

TEST(BoundedTaskQueue, AFullQueueMakesTheAcceptLoopWait) {
  BoundedTaskQueue pool(1, 1);
  std::promise<void> release;
  const std::shared_future<void> released = release.get_future().share();
  std::atomic<int> finished = 0;
  pool.enqueue([&] {
    released.wait();
    ++finished;
  });
  // The worker may not have taken the first task yet: this one may still be queued or handed over.
  pool.enqueue([&] { ++finished; });
  std::atomic<bool> third_accepted = false;
  std::thread accept_loop([&] {
    pool.enqueue([&] { ++finished; });
    third_accepted = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(third_accepted) << "the queue held more than its capacity";
  release.set_value();
  accept_loop.join();
  EXPECT_TRUE(third_accepted);
  pool.shutdown();
  EXPECT_EQ(finished, 3);
}

TEST(BoundedTaskQueue, ShutdownServesWhatIsQueuedFirst) {
  BoundedTaskQueue pool(1, 8);
  std::promise<void> release;
  const std::shared_future<void> released = release.get_future().share();
  std::atomic<int> finished = 0;
  pool.enqueue([&] { released.wait(); });
  for (int i = 0; i < 5; ++i) {
    pool.enqueue([&] { ++finished; });
  }
  std::thread stopper([&] { pool.shutdown(); });
  release.set_value();
  stopper.join();
  EXPECT_EQ(finished, 5);
}
