#include "rollout_command.hpp"

#include "cluster_connection.hpp"
#include "rollout_watch.hpp"

#include <herd/core/stack.hpp>
#include <herd/core/suggestion.hpp>
#include <herd/kube/object_meta.hpp>
#include <herd/plugin/app.hpp>

#include <CLI/CLI.hpp>

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

std::string quoted_stack(const std::string& name) {
  return std::string(k_stack_resource) + " \"" + name + "\"";
}

// `object`.`key`, or null when `object` is not an object or lacks it: API objects are read defensively.
const json& member(const json& object, const char* key) {
  static const json null_value;
  if (!object.is_object()) {
    return null_value;
  }
  const auto found = object.find(key);
  return found == object.end() ? null_value : *found;
}

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

void add_rollout_command(CLI::App& app, RolloutOptions& options) {
  CLI::App* rollout =
      app.add_subcommand("rollout", "Watch, pause, resume or restart the rollout of a Stack in the cluster");
  rollout->require_subcommand(1);
  rollout->fallthrough();
  rollout->footer(R"(Examples:
  kubectl herd rollout status rag-platform --timeout 10m
  kubectl herd rollout pause rag-platform
  kubectl herd rollout resume rag-platform
  kubectl herd rollout restart rag-platform --chart vllm)");
  const auto add = [&](const char* name, const char* description) {
    CLI::App* command = rollout->add_subcommand(name, description);
    command->fallthrough();
    command->add_option("STACK", options.name, "The Stack")->required();
    command->final_callback([&options, name] { options.action = name; });
    return command;
  };
  CLI::App* status = add(
      "status", "Watch a Stack's rollout until it is deployed (exit 0), fails, or --timeout passes (exit 1)");
  status
      ->add_flag("-w,--watch", options.watch,
                 "Watch until the rollout finishes; --watch=false prints the status once (exit 0 only when "
                 "rolled out)")
      ->capture_default_str();
  status
      ->add_option("--timeout", options.timeout,
                   "How long to watch before giving up: a duration such as 90s or 10m; 0 waits forever")
      ->capture_default_str();
  status
      ->add_option("-o,--output", options.output,
                   "text (the live view), or json|yaml: the Stack's status once")
      ->check(CLI::IsMember({"text", "json", "yaml"}))
      ->capture_default_str();
  status->footer(
      R"(On a terminal the view is redrawn in place; in a log, each change prints the status line and
the lines that changed. Charts are grouped by dependency wave; under a chart that is not ready, each
cluster with Fleet's message (or the dependency it waits for).

Examples:
  kubectl herd rollout status rag-platform -n team-a
  kubectl herd rollout status rag-platform --timeout 15m
  kubectl herd rollout status rag-platform --watch=false
  kubectl herd rollout status rag-platform -o json)");
  add("pause", "Hold the Stack's rollout: every Bundle gets spec.paused (Fleet stops deploying changes)");
  add("resume", "Resume a paused Stack's rollout");
  CLI::App* restart =
      add("restart", "Redeploy the Stack's Bundles (Fleet's forceSyncGeneration), or only some charts'");
  restart->add_option("--chart", options.charts, "Restart only this chart's Bundle (repeatable)");
}

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
