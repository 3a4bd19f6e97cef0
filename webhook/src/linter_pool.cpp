#include "linter_pool.hpp"

#include <utility>

namespace herd::webhook {

LinterPool::LinterPool(std::size_t capacity) : m_capacity(capacity < 1 ? 1 : capacity) {}

LinterPool::Lease::Lease(LinterPool& pool,
                         std::shared_ptr<const core::Policy> policy,
                         std::shared_ptr<core::Linter> linter)
    : m_pool(&pool), m_policy(std::move(policy)), m_linter(std::move(linter)) {}

LinterPool::Lease::Lease(Lease&& other) noexcept
    : m_pool(std::exchange(other.m_pool, nullptr)), m_policy(std::move(other.m_policy)),
      m_linter(std::move(other.m_linter)) {}

LinterPool::Lease::~Lease() {
  if (m_pool != nullptr && m_linter) {
    m_pool->give_back(m_policy, std::move(m_linter));
  }
}

std::unique_ptr<LinterPool::Lease> LinterPool::acquire(const std::shared_ptr<const core::Policy>& policy) {
  std::unique_lock lock(m_mutex);
  while (true) {
    if (m_policy != policy) {
      // A new snapshot: the idle Linters judge by it from now on.
      for (auto& idle : m_idle) {
        idle->adopt_policy(*policy);
      }
      m_policy = policy;
    }
    if (!m_idle.empty()) {
      auto linter = std::move(m_idle.back());
      m_idle.pop_back();
      return std::make_unique<Lease>(*this, policy, std::move(linter));
    }
    if (m_alive < m_capacity) {
      ++m_alive; // the slot is ours while the Linter is built outside the lock
      lock.unlock();
      auto created = core::Linter::create(*policy);
      if (!created) {
        lock.lock();
        --m_alive;
        m_returned.notify_one();
        return nullptr;
      }
      return std::make_unique<Lease>(*this, policy, std::move(created).value());
    }
    m_returned.wait(lock);
  }
}

void LinterPool::give_back(const std::shared_ptr<const core::Policy>& policy,
                           std::shared_ptr<core::Linter> linter) {
  {
    const std::lock_guard lock(m_mutex);
    if (policy != m_policy) {
      linter->adopt_policy(*m_policy); // borrowed under an older snapshot
    }
    m_idle.push_back(std::move(linter));
  }
  m_returned.notify_one();
}

} // namespace herd::webhook
