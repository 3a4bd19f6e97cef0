#include <herd/controller/work_queue.hpp>

#include <algorithm>
#include <cstdint>

namespace herd::controller {

namespace {

constexpr std::size_t k_max_doublings = 40; // 5 ms × 2^40 is far beyond any cap: stop doubling there

} // namespace

WorkQueue::WorkQueue() : WorkQueue(Options{}) {}

WorkQueue::WorkQueue(Options options) : m_options(options) {}

WorkQueue::~WorkQueue() {
  shut_down();
}

void WorkQueue::add_locked(const std::string& key) {
  if (m_shutting_down || m_dirty.contains(key)) {
    return;
  }
  m_dirty.insert(key);
  if (m_processing.contains(key)) {
    return; // queued again by done()
  }
  m_queue.push_back(key);
  m_ready.notify_one();
}

void WorkQueue::add(const std::string& key) {
  const std::lock_guard lock(m_mutex);
  add_locked(key);
}

void WorkQueue::add_after(const std::string& key, std::chrono::milliseconds delay) {
  const std::lock_guard lock(m_mutex);
  if (m_shutting_down) {
    return;
  }
  if (delay <= std::chrono::milliseconds::zero()) {
    add_locked(key);
    return;
  }
  const auto due = Clock::now() + delay;
  const auto found = m_waiting_by_key.find(key);
  if (found != m_waiting_by_key.end()) {
    if (found->second <= due) {
      return;
    }
    m_waiting.erase({found->second, key});
    found->second = due;
  } else {
    m_waiting_by_key.emplace(key, due);
  }
  m_waiting.emplace(due, key);
  m_ready.notify_all(); // a blocked get() may now have an earlier deadline
}

std::chrono::milliseconds WorkQueue::add_rate_limited(const std::string& key) {
  std::chrono::milliseconds delay;
  {
    const std::lock_guard lock(m_mutex);
    const std::size_t failures = m_failures[key]++;
    delay = m_options.max_delay;
    if (failures < k_max_doublings) {
      const auto scaled = m_options.base_delay * (std::int64_t{1} << failures);
      delay = std::min(scaled, m_options.max_delay);
    }
  }
  add_after(key, delay);
  return delay;
}

void WorkQueue::forget(const std::string& key) {
  const std::lock_guard lock(m_mutex);
  m_failures.erase(key);
}

std::size_t WorkQueue::num_requeues(const std::string& key) const {
  const std::lock_guard lock(m_mutex);
  const auto found = m_failures.find(key);
  return found == m_failures.end() ? 0 : found->second;
}

void WorkQueue::promote_due_locked(Clock::time_point now) {
  while (!m_waiting.empty() && m_waiting.begin()->first <= now) {
    const std::string key = m_waiting.begin()->second;
    m_waiting.erase(m_waiting.begin());
    m_waiting_by_key.erase(key);
    add_locked(key);
  }
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock lock(m_mutex);
  while (true) {
    if (m_shutting_down) {
      return std::nullopt;
    }
    promote_due_locked(Clock::now());
    if (!m_queue.empty()) {
      std::string key = std::move(m_queue.front());
      m_queue.pop_front();
      m_dirty.erase(key);
      m_processing.insert(key);
      return key;
    }
    if (m_waiting.empty()) {
      m_ready.wait(lock);
    } else {
      // A copy: wait_until reads its deadline again after waking, when another thread may have erased the
      // element (use-after-free under ASan otherwise).
      const Clock::time_point due = m_waiting.begin()->first;
      m_ready.wait_until(lock, due);
    }
  }
}

void WorkQueue::done(const std::string& key) {
  const std::lock_guard lock(m_mutex);
  m_processing.erase(key);
  if (m_dirty.contains(key) && !m_shutting_down) {
    m_queue.push_back(key);
    m_ready.notify_one();
  }
}

void WorkQueue::shut_down() {
  {
    const std::lock_guard lock(m_mutex);
    m_shutting_down = true;
    m_queue.clear();
    m_waiting.clear();
    m_waiting_by_key.clear();
  }
  m_ready.notify_all();
}

bool WorkQueue::shutting_down() const {
  const std::lock_guard lock(m_mutex);
  return m_shutting_down;
}

std::size_t WorkQueue::depth() const {
  const std::lock_guard lock(m_mutex);
  return m_queue.size();
}

std::size_t WorkQueue::waiting() const {
  const std::lock_guard lock(m_mutex);
  return m_waiting.size();
}

} // namespace herd::controller
