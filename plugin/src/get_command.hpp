#pragma once

#include "command_context.hpp"

#include <string>

namespace herd::plugin {

struct GetOptions {
  std::string name;            // one Stack; empty: every Stack of the namespace (or of all with -A)
  std::string output = "text"; // text|wide|json|yaml
};

void add_get_command(CLI::App& app, GetOptions& options);

// Prints Stacks of the cluster as `kubectl get` does: the table NAME PHASE CLUSTERS CHARTS READY AGE (wide
// adds REASON, -A a leading NAMESPACE), or the object (one) or a List (several) as json/yaml. Returns 0, 1 on
// an API error (not found, unreachable, forbidden), 2 on a usage or kubeconfig error.
int get(const GetOptions& options, const CommandContext& context);

} // namespace herd::plugin
