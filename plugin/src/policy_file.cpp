#include "policy_file.hpp"

#include <fstream>
#include <sstream>

namespace herd::plugin {

core::Result<core::Policy> load_policy(const std::string& path) {
  if (path.empty()) {
    return core::default_policy();
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return core::Error{"cannot read policy file \"" + path + "\"", path};
  }
  std::ostringstream text;
  text << file.rdbuf();
  return core::parse_policy(text.str(), path);
}

core::Result<std::shared_ptr<core::Linter>> load_linter(const std::string& policy_path) {
  auto policy = load_policy(policy_path);
  if (!policy) {
    return policy.error();
  }
  return core::Linter::create(std::move(policy).value());
}

} // namespace herd::plugin
