#include "cluster_commands.hpp"
#include "command_context.hpp"
#include "completion_command.hpp"
#include "get_command.hpp"
#include "lint_command.hpp"
#include "plan_command.hpp"
#include "rollout_command.hpp"
#include "scaffold_command.hpp"
#include "version_command.hpp"

#include <herd/plugin/app.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <exception>
#include <iostream>

namespace herd::plugin {

namespace {

void add_global_options(CLI::App& app, GlobalOptions& global) {
  app.add_option("--kubeconfig", global.kubeconfig, "Path to the kubeconfig file (cluster commands)");
  app.add_option("--context", global.context, "The kubeconfig context to use (cluster commands)");
  app.add_option("-n,--namespace", global.namespace_name, "Namespace of the Stack (cluster commands)");
  app.add_flag("-A,--all-namespaces", global.all_namespaces, "Across all namespaces (cluster commands)");
  app.add_option("--request-timeout", global.request_timeout,
                 "How long to wait for one API request: 0 (no limit), seconds, or 30s, 1m (cluster commands)")
      ->capture_default_str();
  app.add_option("--color", global.color, "Color output: auto honours NO_COLOR and only colors a terminal")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  app.add_option("--policy", global.policy_file, "Policy file to judge with instead of the built-in policy");
}

} // namespace

int run(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  try {
    CLI::App app(
        "Deploy AI stacks to Rancher-managed clusters through Fleet: write, check and preview Stacks.",
        "kubectl herd");
    app.require_subcommand(1);
    app.fallthrough();
    app.footer(R"(Examples:
  kubectl herd scaffold my-stack --template rag -o stack.yaml
  kubectl herd lint stack.yaml examples/
  kubectl herd plan -f stack.yaml
  kubectl herd get -A
  kubectl herd rollout status my-stack -n team-a --timeout 10m
  kubectl herd rollout pause my-stack -n team-a
  kubectl herd version)");
    app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
      return "kubectl herd: error: " + std::string(e.what()) + "\nRun 'kubectl herd " +
             (failed->get_parent() != nullptr ? failed->get_name() + " " : std::string()) +
             "--help' for usage.\n";
    });
    GlobalOptions global;
    add_global_options(app, global);
    LintOptions lint_options;
    add_lint_command(app, lint_options);
    PlanOptions plan_options;
    add_plan_command(app, plan_options);
    GetOptions get_options;
    add_get_command(app, get_options);
    RolloutOptions rollout_options;
    add_rollout_command(app, rollout_options);
    ScaffoldOptions scaffold_options;
    add_scaffold_command(app, scaffold_options);
    VersionOptions version_options;
    add_version_command(app, version_options);
    CompletionOptions completion_options;
    add_completion_command(app, completion_options);
    if (is_complete_request(args)) {
      return complete(app, args, out); // the words of a command line being typed: never parsed
    }

    std::vector<std::string> reversed(args.rbegin(), args.rend()); // CLI11 takes arguments last-first
    try {
      app.parse(reversed);
    } catch (const CLI::ParseError& e) {
      const int code = app.exit(e, out, err);
      // Help is a success; every parse error is a usage error (2), whatever CLI11's own code is.
      return code == 0 ? k_exit_ok : k_exit_usage;
    }
    const CommandContext context{in, out, err, global};
    if (app.got_subcommand("lint")) {
      return lint(lint_options, context);
    }
    if (app.got_subcommand("plan")) {
      return plan(plan_options, context);
    }
    if (app.got_subcommand("get")) {
      return run_cluster_command(
          context, [&](const ClusterCommands& cluster) { return cluster.get(get_options, context); });
    }
    if (app.got_subcommand("rollout")) {
      return run_cluster_command(
          context, [&](const ClusterCommands& cluster) { return cluster.rollout(rollout_options, context); });
    }
    if (app.got_subcommand("scaffold")) {
      return scaffold(scaffold_options, context);
    }
    if (app.got_subcommand("version")) {
      return version(version_options, context);
    }
    if (app.got_subcommand("completion")) {
      return completion(completion_options, context);
    }
    return k_exit_usage;
  } catch (const std::exception& e) {
    err << "kubectl herd: error: " << e.what() << '\n';
    return k_exit_usage;
  }
}

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);
  std::ios::sync_with_stdio(false);
  const int code = run(args, std::cin, std::cout, std::cerr);
  std::cout.flush();
  return code;
}

} // namespace herd::plugin
