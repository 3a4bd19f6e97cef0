#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace herd::controller {

// A rate-limited work queue of keys ("namespace/name"), with client-go workqueue semantics:
// - a key is queued at most once: adding it again before a worker takes it changes nothing;
// - a key is processed by one worker at a time: added while being processed, it is queued again only
//   after that worker calls done(key);
// - add_after delays a key (the earliest pending time wins); add_rate_limited delays it by its per-key
//   exponential backoff (base × 2^failures, capped); forget resets that backoff.
// Thread-safe: every member may be called from any thread. Delayed keys become due inside get() (no timer
// thread).
class WorkQueue {
public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    std::chrono::milliseconds base_delay{5};
    std::chrono::milliseconds max_delay{std::chrono::minutes(5)};
  };

  WorkQueue();
  explicit WorkQueue(Options options);
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;
  // Shuts down (waking blocked get() calls); the caller joins its workers before destroying the queue.
  ~WorkQueue();

  // Queues `key` unless it is already queued; ignored after shut_down().
  void add(const std::string& key);
  // Queues `key` after `delay` (now when delay <= 0). A key already waiting keeps the earlier time.
  void add_after(const std::string& key, std::chrono::milliseconds delay);
  // Queues `key` after its backoff, then doubles the backoff; returns the delay used.
  std::chrono::milliseconds add_rate_limited(const std::string& key);
  // Resets the backoff of `key` (after a successful reconcile).
  void forget(const std::string& key);
  // How many times `key` was rate-limited since the last forget.
  [[nodiscard]] std::size_t num_requeues(const std::string& key) const;

  // Blocks until a key is due and returns it, marking it as being processed; nullopt once shut_down() was
  // called (keys still queued are dropped: shutting down stops work promptly).
  std::optional<std::string> get();
  // Marks `key` as processed; if it was added meanwhile it is queued again.
  void done(const std::string& key);

  // Stops the queue: get() returns nullopt from now on, add*() are ignored.
  void shut_down();
  [[nodiscard]] bool shutting_down() const;

  // Keys queued and ready for a worker (not counting delayed or in-process keys): the queue-depth metric.
  [[nodiscard]] std::size_t depth() const;
  // Keys waiting for their add_after / add_rate_limited delay.
  [[nodiscard]] std::size_t waiting() const;

private:
  void add_locked(const std::string& key);
  void promote_due_locked(Clock::time_point now);

  Options m_options;
  mutable std::mutex m_mutex;
  std::condition_variable m_ready;
  std::deque<std::string> m_queue;
  std::unordered_set<std::string> m_dirty;      // queued, or added while processing
  std::unordered_set<std::string> m_processing; // handed out by get(), done() not called yet
  std::unordered_map<std::string, Clock::time_point> m_waiting_by_key;
  std::set<std::pair<Clock::time_point, std::string>> m_waiting; // ordered by due time
  std::unordered_map<std::string, std::size_t> m_failures;
  bool m_shutting_down = false;
};

} // namespace herd::controller
