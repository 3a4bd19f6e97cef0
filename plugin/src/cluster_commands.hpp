#pragma once

#include "command_context.hpp"
#include "completion_command.hpp"
#include "get_command.hpp"
#include "plan_command.hpp"
#include "rollout_command.hpp"

#include <functional>
#include <string>
#include <vector>

namespace herd::plugin {

// The commands that talk to a cluster: get, rollout, the live plan and the Stack names of completion. They
// are built into a module of their own, kubectl-herd-cluster.so, which kubectl-herd loads only when one of
// them runs: the module brings cpp-httplib, OpenSSL, zlib and brotli, whose loading would otherwise cost
// every offline command (lint, plan -f, scaffold, version) about 9 ms at start (bench/RESULTS.md).
struct ClusterCommands {
  int (*get)(const GetOptions& options, const CommandContext& context);
  int (*rollout)(const RolloutOptions& options, const CommandContext& context);
  int (*live_plan)(const PlanOptions& options, const CommandContext& context);
  std::vector<CompletionCandidate> (*list_stacks)(const GlobalOptions& global);
};

inline constexpr const char* k_cluster_module_file = "kubectl-herd-cluster.so";
// extern "C" const ClusterCommands* herd_cluster_commands(const char* build): the table, or null when the
// module comes from another build than `build` (the two exchange C++ objects, so only one build's pair
// fits together).
inline constexpr const char* k_cluster_module_entry = "herd_cluster_commands";
inline constexpr const char* k_cluster_module_build = HERD_VERSION " " HERD_GIT_COMMIT " " __VERSION__;

// The cluster commands as the module holds them (herd_plugin_cluster).
const ClusterCommands& cluster_command_table();

// The cluster commands, from the module next to the running executable or in the lib/ folder beside it (a
// release archive's layout), loaded once. Null when it cannot be loaded; `error` then says why and how to
// fix the installation.
const ClusterCommands* cluster_commands(std::string& error);

// Runs `command` with the cluster commands; without them, says why on context.err and returns 2 (a tool
// error, as for a missing kubeconfig).
int run_cluster_command(const CommandContext& context,
                        const std::function<int(const ClusterCommands&)>& command);

} // namespace herd::plugin
