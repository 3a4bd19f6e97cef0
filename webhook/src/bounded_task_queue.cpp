#include "bounded_task_queue.hpp"

#include <algorithm>

namespace herd::webhook {

BoundedTaskQueue::BoundedTaskQueue(std::size_t threads, std::size_t max_queued) : m_max_queued(max_queued) {
  m_workers.reserve(threads);
  m_idle.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    m_workers.push_back(std::make_unique<Worker>());
  }
  // Started after the vector is complete: a worker only ever touches its own element.
  for (auto& worker : m_workers) {
    worker->thread = std::thread([this, &self = *worker] { work(self); });
  }
}

BoundedTaskQueue::~BoundedTaskQueue() {
  shutdown();
}

void BoundedTaskQueue::enqueue(std::function<void()> task) {
  std::unique_lock lock(m_mutex);
  m_has_room.wait(lock,
                  [this] { return !m_idle.empty() || m_tasks.size() < m_max_queued || m_shutting_down; });
  if (m_idle.empty()) {
    m_tasks.push_back(std::move(task));
    return;
  }
  Worker* worker = m_idle.back();
  m_idle.pop_back();
  worker->task = std::move(task);
  lock.unlock();
  worker->wake.notify_one();
}

void BoundedTaskQueue::shutdown() {
  {
    const std::lock_guard lock(m_mutex);
    m_shutting_down = true;
  }
  for (auto& worker : m_workers) {
    worker->wake.notify_one();
  }
  m_has_room.notify_all();
  for (auto& worker : m_workers) {
    if (worker->thread.joinable()) {
      worker->thread.join();
    }
  }
}

std::size_t BoundedTaskQueue::idle_workers() const {
  const std::lock_guard lock(m_mutex);
  return m_idle.size();
}

void BoundedTaskQueue::work(Worker& self) {
  std::unique_lock lock(m_mutex);
  while (true) {
    std::function<void()> task;
    if (self.task) {
      task = std::move(self.task);
      self.task = nullptr;
    } else if (!m_tasks.empty()) {
      task = std::move(m_tasks.front());
      m_tasks.pop_front();
      m_has_room.notify_one();
    } else if (m_shutting_down) {
      return; // queued connections are still served first
    } else {
      m_idle.push_back(&self);
      m_has_room.notify_one(); // an enqueue waiting on a full queue can hand its task to this worker
      self.wake.wait(lock, [this, &self] { return self.task != nullptr || m_shutting_down; });
      if (!self.task) {
        m_idle.erase(std::find(m_idle.begin(), m_idle.end(), &self));
      }
      continue;
    }
    lock.unlock();
    task();
    lock.lock();
  }
}

} // namespace herd::webhook
