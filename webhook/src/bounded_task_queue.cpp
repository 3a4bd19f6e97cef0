#include "bounded_task_queue.hpp"

namespace herd::webhook {

BoundedTaskQueue::BoundedTaskQueue(std::size_t threads, std::size_t max_queued) : m_max_queued(max_queued) {
  m_workers.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    m_workers.emplace_back([this] { work(); });
  }
}

BoundedTaskQueue::~BoundedTaskQueue() {
  shutdown();
}

void BoundedTaskQueue::enqueue(std::function<void()> task) {
  {
    std::unique_lock lock(m_mutex);
    m_has_room.wait(lock, [this] { return m_tasks.size() < m_max_queued || m_shutting_down; });
    m_tasks.push_back(std::move(task));
  }
  m_has_task.notify_one();
}

void BoundedTaskQueue::shutdown() {
  {
    const std::lock_guard lock(m_mutex);
    m_shutting_down = true;
  }
  m_has_task.notify_all();
  m_has_room.notify_all();
  for (auto& worker : m_workers) {
    if (worker.joinable()) {
      worker.join();
    }
  }
}

void BoundedTaskQueue::work() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(m_mutex);
      m_has_task.wait(lock, [this] { return !m_tasks.empty() || m_shutting_down; });
      if (m_tasks.empty()) {
        return; // shutting down and nothing left: queued connections are still served first
      }
      task = std::move(m_tasks.front());
      m_tasks.pop_front();
    }
    m_has_room.notify_one();
    task();
  }
}

} // namespace herd::webhook
