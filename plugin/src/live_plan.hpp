#pragma once

#include "command_context.hpp"
#include "plan_command.hpp"

namespace herd::plugin {

// The live plan: `plan NAME` (the Stack stored in the cluster) or `plan -f FILE --live` (Stacks from files,
// in their metadata.namespace, else -n or the context's namespace). Each Stack is judged and rendered
// exactly as the reconciler does (ConfigMap values read from the cluster), its Bundles compared with the
// cluster's (bundle_diff.hpp) and its targets resolved against the Fleet Clusters of the workspace. Prints
// the diff (text, or -o json|yaml) on `out`, warnings on `err`. Returns 0; 3 with --detailed-exitcode when
// anything changes; 1 for an invalid Stack, a Bundle name held by another owner or an API error; 2 for a
// usage or tool error (no kubeconfig, unreadable file, bad policy).
int live_plan(const PlanOptions& options, const CommandContext& context);

} // namespace herd::plugin
