#pragma once

#include "command_context.hpp"

#include <string>
#include <vector>

namespace herd::plugin {

struct RolloutOptions {
  std::string action;              // status|pause|resume|restart: the subcommand given
  std::string name;                // the Stack
  std::vector<std::string> charts; // restart --chart: only these charts' Bundles (empty: the whole Stack)
  // status (rollout_watch.hpp):
  bool watch = true;           // --watch=false: print the view once
  std::string timeout = "0s";  // --timeout: a Go duration; 0 waits forever, as kubectl's
  std::string output = "text"; // -o json|yaml: print .status once
};

void add_rollout_command(CLI::App& app, RolloutOptions& options);

// Steers a Stack's rollout as `kubectl rollout` steers a Deployment's:
//  * pause / resume: merge-patches spec.paused (the reconciler maps it to every Bundle's spec.paused); a
//  Stack
//    already in that state is an error, as kubectl words it ("is already paused", "is not paused");
//  * restart: increments the Stack's restart counter annotation (herd.suse.com/force-sync-generation) or,
//  with
//    --chart, each chart's (force-sync-generation.herd.suse.com/<chart>); the renderer turns their sum into
//    Bundle.spec.forceSyncGeneration, so Fleet redeploys. A paused Stack cannot be restarted.
// Prints `stack.herd.suse.com/NAME paused|resumed|restarted`. status watches instead: rollout_status
// (rollout_watch.hpp). Returns 0, 1 on an API error or a refused
// action, 2 on a usage or kubeconfig error.
int rollout(const RolloutOptions& options, const CommandContext& context);

} // namespace herd::plugin
