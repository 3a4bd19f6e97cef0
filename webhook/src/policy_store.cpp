#include <herd/webhook/policy_store.hpp>

namespace herd::webhook {

PolicyStore::PolicyStore() : m_policy(std::make_shared<const core::Policy>(core::default_policy())) {}

core::VoidResult PolicyStore::load(const std::string& yaml, const std::string& file) {
  auto parsed = core::parse_policy(yaml, file);
  if (!parsed) {
    return parsed.error();
  }
  auto policy = std::make_shared<const core::Policy>(std::move(parsed).value());
  const std::lock_guard lock(m_mutex);
  m_policy = std::move(policy);
  return core::success();
}

std::shared_ptr<const core::Policy> PolicyStore::current() const {
  const std::lock_guard lock(m_mutex);
  return m_policy;
}

} // namespace herd::webhook
