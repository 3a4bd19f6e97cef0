#pragma once

#include <herd/core/linter.hpp>
#include <herd/core/policy.hpp>

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace herd::webhook {

// The Linters the webhook judges with. A Linter owns a compiled schema validator (about 2 MiB) and is not
// thread-safe, so each request borrows one. At most `capacity` exist at a time, whatever the number of server
// threads: judging is CPU-bound, so more Linters than cores would only cost memory (one per thread grew RSS
// by 2 MiB for every connection the kube-apiserver keeps open). A request that finds none free waits for one.
// Idle Linters judge by the newest policy snapshot: a new snapshot re-aims the idle ones, and a borrowed one
// of an older snapshot when it is returned (rebuilding them on every reload grew RSS in the soak).
// Thread-safe.
class LinterPool {
public:
  explicit LinterPool(std::size_t capacity);

  // A borrowed Linter, returned to the pool when destroyed.
  class Lease {
  public:
    Lease(LinterPool& pool, std::shared_ptr<const core::Policy> policy, std::shared_ptr<core::Linter> linter);
    ~Lease();
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    [[nodiscard]] core::Linter& linter() const { return *m_linter; }

  private:
    LinterPool* m_pool;
    std::shared_ptr<const core::Policy> m_policy;
    std::shared_ptr<core::Linter> m_linter;
  };

  // A Linter for `policy`: an idle one, a new one while fewer than `capacity` exist, else the next returned.
  // Null only when a Linter cannot be built (the embedded schema does not compile: a build defect).
  std::unique_ptr<Lease> acquire(const std::shared_ptr<const core::Policy>& policy);

private:
  void give_back(const std::shared_ptr<const core::Policy>& policy, std::shared_ptr<core::Linter> linter);

  const std::size_t m_capacity;
  std::mutex m_mutex;
  std::condition_variable m_returned;
  std::shared_ptr<const core::Policy> m_policy; // the snapshot the idle Linters belong to
  std::vector<std::shared_ptr<core::Linter>> m_idle;
  std::size_t m_alive = 0;
};

} // namespace herd::webhook
