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
  std::string request_timeout = "0"; // kubectl's --request-timeout: 0 (none), a bare number of seconds, 1m30s
  std::string color = "auto";
  std::string policy_file;
};

} // namespace herd::plugin
