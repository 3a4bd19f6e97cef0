#pragma once

#include <string>

namespace CLI { // NOLINT(readability-identifier-naming): CLI11's namespace
class App;
}

namespace herd::plugin {

// Options every command accepts (DESIGN §7), before or after the command name.
struct GlobalOptions {
  std::string kubeconfig;
  std::string context;
  std::string namespace_name;
  bool all_namespaces = false;
  std::string color = "auto";
  std::string policy_file;
};

} // namespace herd::plugin
