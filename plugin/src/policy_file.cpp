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

} // namespace herd::plugin
