#include "cluster_connection.hpp"
#include "rollout_command.hpp"
#include "rollout_watch.hpp"

#include <herd/core/json_member.hpp>
#include <herd/core/stack.hpp>
#include <herd/core/suggestion.hpp>
#include <herd/kube/object_meta.hpp>
#include <herd/plugin/app.hpp>

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace herd::plugin {

namespace {

using nlohmann::json;

// A restart re-reads the Stack and retries when someone else wrote it in between (409 on the
// resourceVersion precondition), so no increment is lost.
constexpr int k_restart_attempts = 5;

using core::member; // API objects are read defensively

std::vector<std::string> chart_names(const json& stack) {
  std::vector<std::string> names;
  const json& charts = member(member(stack, "spec"), "charts");
  if (charts.is_array()) {
    for (const auto& chart : charts) {
      if (const json& name = member(chart, "name"); name.is_string()) {
        names.push_back(name.get<std::string>());
      }
    }
  }
  return names;
}

bool is_paused(const json& stack) {
  const json& paused = member(member(stack, "spec"), "paused");
  return paused.is_boolean() && paused.get<bool>();
}

int set_paused(const RolloutOptions& options, const CommandContext& context, ClusterConnection& cluster) {
  const bool pause = options.action == "pause";
  kube::ApiResult<json> stack =
      cluster.client->get(kube::resources::stacks, cluster.namespace_name, options.name);
  if (!stack) {
    return report_api_error(stack.error(), cluster, context.err);
  }
  if (is_paused(*stack) == pause) {
    context.err << "error: " << quoted_stack(options.name)
                << (pause ? " is already paused" : " is not paused") << '\n';
    return k_exit_findings;
  }
  const json patch = {{"spec", {{"paused", pause}}}};
  kube::ApiResult<json> patched =
      cluster.client->merge_patch(kube::resources::stacks, cluster.namespace_name, options.name, patch);
  if (!patched) {
    return report_api_error(patched.error(), cluster, context.err);
  }
  context.out << k_stack_kind_prefix << options.name << (pause ? " paused" : " resumed") << '\n';
  return k_exit_ok;
}

int restart(const RolloutOptions& options, const CommandContext& context, ClusterConnection& cluster) {
  for (int attempt = 1;; ++attempt) {
    kube::ApiResult<json> stack =
        cluster.client->get(kube::resources::stacks, cluster.namespace_name, options.name);
    if (!stack) {
      return report_api_error(stack.error(), cluster, context.err);
    }
    if (is_paused(*stack)) {
      context.err << "error: " << quoted_stack(options.name)
                  << " can't restart paused stack (run rollout resume first)\n";
      return k_exit_findings;
    }
    const std::vector<std::string> charts = chart_names(*stack);
    std::vector<std::string> keys;
    for (const auto& chart : options.charts) {
      if (std::find(charts.begin(), charts.end(), chart) == charts.end()) {
        std::string known;
        for (const auto& name : charts) {
          known += (known.empty() ? "" : ", ") + name;
        }
        context.err << "error: " << quoted_stack(options.name) << " has no chart \"" << chart << '"'
                    << core::did_you_mean(chart, charts) << "; its charts: " << known << '\n';
        return k_exit_findings;
      }
      keys.push_back(core::chart_force_sync_annotation(chart));
    }
    if (keys.empty()) {
      keys.emplace_back(core::k_force_sync_annotation);
    }
    json annotations = json::object();
    for (const auto& key : keys) {
      const std::int64_t current = core::parse_force_sync_generation(
          member(member(member(*stack, "metadata"), "annotations"), key.c_str()));
      annotations[key] = std::to_string(current + 1);
    }
    // The resourceVersion makes the patch conditional: a concurrent write fails it with 409 and we re-read.
    const json patch = {{"metadata",
                         {{"resourceVersion", kube::metadata_string(*stack, "resourceVersion")},
                          {"annotations", annotations}}}};
    kube::ApiResult<json> patched =
        cluster.client->merge_patch(kube::resources::stacks, cluster.namespace_name, options.name, patch);
    if (patched) {
      context.out << k_stack_kind_prefix << options.name << " restarted\n";
      return k_exit_ok;
    }
    if (!patched.error().conflict() || attempt == k_restart_attempts) {
      return report_api_error(patched.error(), cluster, context.err);
    }
  }
}

} // namespace

int rollout(const RolloutOptions& options, const CommandContext& context) {
  if (options.action == "status") {
    return rollout_status(options, context);
  }
  core::Result<ClusterConnection> cluster = connect_cluster(context.global);
  if (!cluster) {
    context.err << "error: " << cluster.error().message << '\n';
    return k_exit_usage;
  }
  if (options.action == "restart") {
    return restart(options, context, *cluster);
  }
  return set_paused(options, context, *cluster);
}

} // namespace herd::plugin
