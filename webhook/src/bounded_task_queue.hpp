#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace herd::webhook {

// cpp-httplib's ThreadPool queues accepted connections without limit, so a flood of idle connections costs
// unbounded memory and file descriptors. This pool caps the queue: when it is full, the accept loop waits,
// and further clients wait in the kernel's listen backlog instead of in our memory.
class BoundedTaskQueue : public httplib::TaskQueue {
public:
  BoundedTaskQueue(std::size_t threads, std::size_t max_queued);
  ~BoundedTaskQueue() override;
  BoundedTaskQueue(const BoundedTaskQueue&) = delete;
  BoundedTaskQueue& operator=(const BoundedTaskQueue&) = delete;

  void enqueue(std::function<void()> task) override;
  // Runs what is queued, then joins the workers.
  void shutdown() override;

private:
  void work();

  std::size_t m_max_queued;
  std::mutex m_mutex;
  std::condition_variable m_has_task;
  std::condition_variable m_has_room;
  std::deque<std::function<void()>> m_tasks;
  bool m_shutting_down = false;
  std::vector<std::thread> m_workers;
};

} // namespace herd::webhook
