#include "plan_command.hpp"

#include "cluster_commands.hpp"
#include "input_files.hpp"
#include "policy_file.hpp"
#include "terminal.hpp"

#include <herd/core/bundle_renderer.hpp>
#include <herd/core/dependency_graph.hpp>
#include <herd/core/json_path.hpp>
#include <herd/core/linter.hpp>
#include <herd/core/yaml_loader.hpp>
#include <herd/core/yaml_writer.hpp>
#include <herd/plugin/app.hpp>

#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>

namespace herd::plugin {

namespace {

using nlohmann::json;

// A Stack that passed the checks, ready to print.
struct PlannedStack {
  core::Stack stack;
  core::MutationResult mutation;
  core::RenderedStack rendered;
  json effective;
  std::string file;
};

std::string targets_text(const core::StackTargets& targets) {
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : " or ") + part; };
  if (!targets.cluster_ids.empty()) {
    std::string ids;
    for (const auto& id : targets.cluster_ids) {
      ids += (ids.empty() ? "" : ", ") + id;
    }
    add("clusters " + ids);
  }
  if (targets.has_selector) {
    add("clusters labelled " + core::format_selector(targets.selector));
  }
  if (!targets.cluster_group.empty()) {
    add("cluster group " + targets.cluster_group);
  }
  return out;
}

// ConfigMaps supplied offline as DIR/<configmap>/<key> files.
core::ConfigMapValues values_directory(const std::string& directory) {
  if (directory.empty()) {
    return {};
  }
  return [directory](const std::string& name, const std::string& key) -> std::optional<json> {
    const std::filesystem::path path = std::filesystem::path(directory) / name / key;
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      return std::nullopt;
    }
    std::ostringstream text;
    text << file.rdbuf();
    core::YamlDocument document = core::parse_yaml_document(text.str(), path.string());
    if (!document.parsed) {
      return std::nullopt;
    }
    return std::move(document.value);
  };
}

void print_text(const PlannedStack& planned, const core::Policy& policy, std::ostream& out, bool color) {
  const core::Stack& stack = planned.stack;
  const auto bold = [&](const std::string& text) { return color ? "\033[1m" + text + "\033[0m" : text; };
  const auto injected = [&](const std::string& text) { return color ? "\033[36m" + text + "\033[0m" : text; };
  out << bold("Stack " + (stack.namespace_name.empty() ? std::string("default") : stack.namespace_name) +
              "/" + stack.name)
      << " (" << planned.file << ")\n";
  out << "  env " << stack.env << ", security " << (stack.security ? "enabled" : "disabled")
      << ", observability " << (stack.observability ? "enabled" : "disabled")
      << (stack.paused ? ", PAUSED" : "") << "\n";
  out << "  Fleet workspace " << stack.workspace << ", targets: " << targets_text(stack.targets) << "\n";
  if (!planned.mutation.injected.empty()) {
    out << "  Injected by policy \"" << policy.name << "\" (sha256 " << policy.sha256.substr(0, 12) << "):\n";
    for (std::size_t i = 0; i < planned.mutation.injected.size(); ++i) {
      const std::string& reason =
          i < planned.mutation.injected_reasons.size() ? planned.mutation.injected_reasons[i] : std::string();
      const std::string& path = planned.mutation.injected[i];
      std::string value;
      try {
        value = planned.effective.at(json::json_pointer(core::to_json_pointer(path))).dump();
      } catch (const json::exception&) {
        value = "?";
      }
      std::string line = "    + ";
      line += path;
      line += " = ";
      line += value;
      out << injected(line) << "  (" << reason << ")\n";
    }
  }

  std::map<std::string, const json*> bundles;
  const json* policy_bundle = nullptr;
  for (const auto& bundle : planned.rendered.bundles) {
    if (bundle.chart().empty()) {
      policy_bundle = &bundle.object();
    } else {
      bundles[bundle.chart()] = &bundle.object();
    }
  }
  if (policy_bundle != nullptr) {
    out << "\n" << bold("Wave 0") << " (policy, before every chart)\n";
    out << "  " << (*policy_bundle)["metadata"]["name"].get<std::string>() << "\n";
    for (const auto& resource : (*policy_bundle)["spec"]["resources"]) {
      out << "    " << resource["name"].get<std::string>() << "\n";
    }
  }
  const core::DependencyGraph graph(stack.charts);
  const auto waves = graph.waves();
  for (std::size_t w = 0; w < waves.size(); ++w) {
    out << "\n" << bold("Wave " + std::to_string(w + 1)) << "\n";
    for (const std::size_t index : waves[w]) {
      const core::Chart& chart = stack.charts[index];
      const json& bundle = *bundles.at(chart.name);
      const json& helm = bundle["spec"]["helm"];
      out << "  " << bold(chart.name) << "\n";
      out << "    bundle      " << bundle["metadata"]["name"].get<std::string>() << " (workspace "
          << stack.workspace << ")\n";
      out << "    chart       " << chart.chart << " " << chart.version << " from " << chart.repo << "\n";
      out << "    release     " << chart.release_name << " in namespace " << chart.namespace_name << "\n";
      out << "    wait        "
          << (chart.wait ? "yes, timeout " + chart.timeout + " (" +
                               std::to_string(helm["timeoutSeconds"].get<long long>()) + "s)"
                         : std::string("no"))
          << "\n";
      if (!chart.depends_on.empty()) {
        std::string list;
        for (const auto& dependency : chart.depends_on) {
          list += (list.empty() ? "" : ", ") + dependency;
        }
        out << "    depends on  " << list << "\n";
      }
      if (!chart.config_map_refs.empty()) {
        std::string list;
        for (const auto& reference : chart.config_map_refs) {
          list += (list.empty() ? "" : ", ") + reference.name + "/" + reference.key;
        }
        out << "    values from ConfigMaps " << list << " (merged in order, under inline)\n";
      }
      if (!chart.secret_refs.empty()) {
        std::string list;
        for (const auto& reference : chart.secret_refs) {
          list += (list.empty() ? "" : ", ") + reference.name + "/" + reference.key;
        }
        out << "    values from Secrets " << list << " (read by Fleet on each cluster)\n";
      }
      for (const auto& entry : chart.overrides) {
        std::string where;
        for (const auto& id : entry.cluster_ids) {
          where += (where.empty() ? "" : ", ") + id;
        }
        if (entry.has_selector) {
          where +=
              (where.empty() ? "" : "; ") + std::string("labelled ") + core::format_selector(entry.selector);
        }
        out << "    override    " << where << " (" << entry.values.size() << " values)\n";
      }
    }
  }
  const std::size_t cyclic =
      stack.charts.size() - std::accumulate(waves.begin(), waves.end(), std::size_t{0},
                                            [](std::size_t n, const auto& wave) { return n + wave.size(); });
  out << "\n"
      << stack.charts.size() << " chart" << (stack.charts.size() == 1 ? "" : "s") << " in " << waves.size()
      << " wave" << (waves.size() == 1 ? "" : "s") << ", " << planned.rendered.bundles.size() << " Bundle"
      << (planned.rendered.bundles.size() == 1 ? "" : "s") << " in workspace " << stack.workspace << ".";
  if (cyclic > 0) {
    out << " " << cyclic << " charts are on a dependency cycle.";
  }
  out << "\n";
  if (!planned.rendered.unresolved_config_maps.empty()) {
    out << "Not included (ConfigMaps cannot be read offline; pass --values-from DIR with DIR/<name>/<key>):";
    for (const auto& missing : planned.rendered.unresolved_config_maps) {
      out << " " << missing;
    }
    out << "\n";
  }
}

void print_dot(const PlannedStack& planned, std::ostream& out) {
  const core::Stack& stack = planned.stack;
  const auto quote = [](const std::string& text) { return json(text).dump(); };
  out << "digraph " << quote(stack.name) << " {\n  rankdir=LR;\n  node [shape=box];\n";
  const core::DependencyGraph graph(stack.charts);
  const auto waves = graph.waves();
  for (std::size_t w = 0; w < waves.size(); ++w) {
    out << "  { rank=same;";
    for (const std::size_t index : waves[w]) {
      out << " " << quote(stack.charts[index].name) << ";";
    }
    out << " }  // wave " << (w + 1) << "\n";
  }
  for (std::size_t i = 0; i < stack.charts.size(); ++i) {
    for (const auto& edge : graph.dependencies(i)) {
      // An arrow points from what deploys first to what waits for it.
      out << "  " << quote(stack.charts[edge.to].name) << " -> " << quote(stack.charts[i].name) << ";\n";
    }
  }
  out << "}\n";
}

} // namespace

void add_plan_command(CLI::App& app, PlanOptions& options) {
  CLI::App* command = app.add_subcommand(
      "plan",
      "Show the dependency waves and the Fleet Bundles a Stack becomes, or what it changes in the cluster");
  command->add_option("NAME", options.name, "A Stack in the cluster: plan it against the cluster (live)");
  command->add_option("-f,--filename", options.files, "Stack files, directories or - for stdin");
  command
      ->add_option("-o,--output", options.output,
                   "text, or the Bundles as yaml/json (live: the diff), or the graph as dot")
      ->check(CLI::IsMember({"text", "yaml", "json", "dot"}))
      ->capture_default_str();
  command->add_option("--values-from", options.values_from,
                      "Directory standing in for ConfigMaps: DIR/<configmap>/<key> holds its values YAML");
  command->add_flag("-R,--recursive", options.recursive, "Descend into subdirectories");
  command->add_flag("--live", options.live,
                    "Compare the -f Stacks with the cluster: Bundles to add, change and destroy");
  command->add_flag("--detailed-exitcode", options.detailed_exitcode,
                    "Live plan: exit 3 when there are changes, 0 when there are none");
  command->footer(
      R"(Plan judges each Stack exactly as lint does (defaults and policy first) and refuses invalid
ones. The text plan lists what the policy injected, the deployment waves (wave 1: charts without
dependencies; wave N: charts whose dependencies are all in earlier waves) and, per chart, its Bundle.
-o yaml|json prints exactly the Bundles the reconciler applies, ready for kubectl apply -f -.

The live plan (plan NAME, or -f FILE --live) renders the Stack as the reconciler does, with the
values of its ConfigMaps read from the cluster, shows which Fleet Clusters each chart reaches and
diffs the Bundles against those in the cluster, ending like terraform:
"Plan: 1 to add, 1 to change, 0 to destroy." or "No changes. The cluster matches the Stack."
Values from Secrets are never read nor printed.

Examples:
  kubectl herd plan -f examples/rag-inference-platform.yaml
  kubectl herd plan -f stack.yaml -o yaml | kubectl apply --dry-run=server -f -
  kubectl herd plan -f stack.yaml -o dot | dot -Tsvg > stack.svg
  kubectl herd plan -f stack.yaml --values-from ./configmaps
  kubectl herd plan rag-platform -n team-a
  kubectl herd plan -f stack.yaml --live --detailed-exitcode)");
}

// Which plan the flags ask for, or why they do not make sense together.
std::optional<std::string> plan_usage_error(const PlanOptions& options) {
  if (options.name.empty() && options.files.empty()) {
    return "plan needs a Stack: NAME (a Stack in the cluster) or -f/--filename FILE";
  }
  if (!options.name.empty() && !options.files.empty()) {
    return "plan takes NAME (a Stack in the cluster) or -f/--filename FILE, not both";
  }
  const bool live = options.live || !options.name.empty();
  if (!live && options.detailed_exitcode) {
    return "--detailed-exitcode needs the live plan: plan NAME or plan -f FILE --live";
  }
  if (live && options.output == "dot") {
    return "the live plan prints text, json or yaml, not dot";
  }
  if (live && !options.values_from.empty()) {
    return "the live plan reads ConfigMaps from the cluster: --values-from is for the offline plan";
  }
  return std::nullopt;
}

int plan(const PlanOptions& options, const CommandContext& context) {
  if (const std::optional<std::string> problem = plan_usage_error(options)) {
    context.err << "kubectl herd: error: " << *problem << "\nRun 'kubectl herd plan --help' for usage.\n";
    return k_exit_usage;
  }
  if (options.live || !options.name.empty()) {
    return run_cluster_command(
        context, [&](const ClusterCommands& cluster) { return cluster.live_plan(options, context); });
  }
  auto linter = load_linter(context.global.policy_file);
  if (!linter) {
    context.err << "kubectl herd: error: " << linter.error().message << '\n';
    return k_exit_usage;
  }
  auto inputs = expand_inputs(options.files, options.recursive);
  if (!inputs) {
    context.err << "kubectl herd: error: " << inputs.error().message << '\n';
    return k_exit_usage;
  }
  const core::ConfigMapValues config_maps = values_directory(options.values_from);
  const bool color = use_color(context.global.color, 1);
  bool invalid = false;
  std::size_t stacks = 0;
  json list_items = json::array();
  bool first_document = true;
  for (const auto& input : *inputs) {
    const std::string name = display_name(input);
    std::ifstream file;
    std::istream* stream = open_input(input, context.in, file);
    if (stream == nullptr) {
      context.err << "kubectl herd: error: cannot read \"" << input.path << "\"\n";
      return k_exit_usage;
    }
    core::read_yaml_stream(*stream, name, [&](core::YamlDocument& document) {
      core::Diagnostics findings = document.diagnostics;
      if (!document.parsed || !core::is_stack_document(document.value)) {
        for (const auto& finding : findings) {
          context.err << core::format_diagnostic(finding, use_color(context.global.color, 2)) << '\n';
        }
        invalid = invalid || core::has_errors(findings);
        return;
      }
      ++stacks;
      core::DiagnosticSink sink(findings, name, &document.source_map);
      PlannedStack planned;
      planned.file = name;
      json effective;
      (*linter)->check_stack(std::move(document.value), sink, &planned.mutation, &effective);
      for (const auto& finding : findings) {
        context.err << core::format_diagnostic(finding, use_color(context.global.color, 2)) << '\n';
      }
      if (core::has_errors(findings)) {
        context.err << "kubectl herd: error: not planning the invalid Stack in " << name << '\n';
        invalid = true;
        return;
      }
      planned.stack = core::stack_from_json(effective);
      planned.effective = std::move(effective);
      planned.rendered = core::render_bundles(planned.stack, (*linter)->policy(), config_maps);
      if (options.output == "yaml") {
        for (const auto& bundle : planned.rendered.bundles) {
          context.out << (first_document ? "" : "---\n") << core::to_yaml(bundle.object());
          first_document = false;
        }
      } else if (options.output == "json") {
        for (const auto& bundle : planned.rendered.bundles) {
          list_items.push_back(bundle.object());
        }
      } else if (options.output == "dot") {
        print_dot(planned, context.out);
      } else {
        if (!first_document) {
          context.out << "\n";
        }
        first_document = false;
        print_text(planned, (*linter)->policy(), context.out, color);
      }
      if (options.output != "text" && !planned.rendered.unresolved_config_maps.empty()) {
        context.err << "warning: " << planned.stack.name << ": values of ConfigMaps not included (offline):";
        for (const auto& missing : planned.rendered.unresolved_config_maps) {
          context.err << " " << missing;
        }
        context.err << "; pass --values-from DIR\n";
      }
    });
  }
  if (options.output == "json" && !list_items.empty()) {
    context.out << json{{"apiVersion", "v1"}, {"kind", "List"}, {"items", list_items}}.dump(2) << '\n';
  }
  if (stacks == 0 && !invalid) {
    context.err << "kubectl herd: error: no Stack found in the inputs [HERD003]\n";
    return k_exit_findings;
  }
  return invalid ? k_exit_findings : k_exit_ok;
}

} // namespace herd::plugin
