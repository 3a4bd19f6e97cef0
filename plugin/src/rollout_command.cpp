#include "rollout_command.hpp"

#include <CLI/CLI.hpp>

namespace herd::plugin {

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

} // namespace herd::plugin
