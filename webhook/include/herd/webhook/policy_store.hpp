#pragma once

#include <herd/core/policy.hpp>
#include <herd/core/result.hpp>

#include <memory>
#include <mutex>
#include <string>

namespace herd::webhook {

// The policy in force, replaced as a whole when its file changes. Readers take a snapshot (a shared_ptr) and
// keep it for the whole request, so a reload never changes the rules halfway through a verdict.
class PolicyStore {
public:
  // Starts with the built-in policy (schema/default-policy.yaml).
  PolicyStore();

  // Parses `yaml` (from `file`, for messages) and makes it current; a broken policy leaves the current one in
  // force and returns every problem with its position.
  core::VoidResult load(const std::string& yaml, const std::string& file);

  [[nodiscard]] std::shared_ptr<const core::Policy> current() const;

private:
  mutable std::mutex m_mutex;
  std::shared_ptr<const core::Policy> m_policy;
};

} // namespace herd::webhook
