#include "get_command.hpp"

#include <CLI/CLI.hpp>

namespace herd::plugin {

void add_get_command(CLI::App& app, GetOptions& options) {
  CLI::App* command = app.add_subcommand("get", "List Stacks in the cluster with their phase and readiness");
  command->add_option("STACK", options.name, "One Stack by name (default: every Stack of the namespace)");
  command->add_option("-o,--output", options.output, "text, wide (adds the reason), json or yaml")
      ->check(CLI::IsMember({"text", "wide", "json", "yaml"}))
      ->capture_default_str();
  command->footer(
      R"(Columns: CLUSTERS, CHARTS and READY (ready Bundles/charts) come from the Stack's status as
herd-controller reports it; wide adds REASON, the status message (what a Stack waits on, why it failed).

Examples:
  kubectl herd get
  kubectl herd get -A -o wide
  kubectl herd get rag-platform -n team-a -o yaml)");
}

} // namespace herd::plugin
