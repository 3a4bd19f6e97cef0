#include "scaffold_command.hpp"

#include "policy_file.hpp"

#include <herd/core/linter.hpp>
#include <herd/plugin/app.hpp>

#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace herd::plugin {

namespace {

struct ChartTemplate {
  std::string name;
  std::string repo;
  std::string version;
  std::string namespace_name;
  std::string comment;
  std::string values; // YAML lines under values.inline, indented 10 spaces; empty for none
  std::vector<std::string> depends_on;
  bool wait = false;
  std::string timeout;
};

std::vector<ChartTemplate> template_charts(const std::string& name) {
  const ChartTemplate gpu_operator{"gpu-operator",
                                   "https://helm.ngc.nvidia.com/nvidia",
                                   "23.9.1",
                                   "gpu-operator",
                                   "GPU drivers, container toolkit and device plugin",
                                   "          driver:\n            enabled: true\n          toolkit:\n"
                                   "            enabled: true\n",
                                   {},
                                   true,
                                   "15m"};
  const ChartTemplate qdrant{"qdrant",
                             "https://qdrant.github.io/qdrant-helm",
                             "0.7.4",
                             "vector-db",
                             "Vector database for embeddings",
                             "          persistence:\n            size: 100Gi\n",
                             {"gpu-operator"},
                             true,
                             ""};
  const ChartTemplate ollama{"ollama",
                             "https://otwld.github.io/ollama-helm/",
                             "0.59.0",
                             "ollama",
                             "LLM inference server",
                             "          replicaCount: 1\n",
                             {},
                             false,
                             ""};
  if (name == "rag") {
    ChartTemplate llm = ollama;
    llm.namespace_name = "llm-serving";
    llm.depends_on = {"gpu-operator", "qdrant"};
    llm.wait = true;
    llm.values = "          resources:\n            limits:\n              nvidia.com/gpu: 1\n";
    return {gpu_operator, qdrant, llm};
  }
  if (name == "multi-model") {
    return {{"kserve",
             "https://kserve.github.io/charts",
             "0.11.2",
             "kserve-system",
             "Model serving infrastructure",
             "",
             {},
             true,
             ""},
            gpu_operator,
            {"mlflow",
             "https://community-charts.github.io/helm-charts",
             "0.7.19",
             "mlflow",
             "Model registry",
             "",
             {"kserve"},
             true,
             ""}};
  }
  if (name == "dev") {
    return {{"jupyterhub",
             "https://jupyterhub.github.io/helm-chart/",
             "3.1.0",
             "jupyter",
             "Notebooks for AI development",
             "          singleuser:\n            memory:\n              limit: 8G\n",
             {},
             false,
             ""},
            ollama};
  }
  return {ollama};
}

// --chart name=repo@version
bool parse_chart_flag(const std::string& flag, ChartTemplate& chart) {
  const std::size_t equals = flag.find('=');
  const std::size_t at = flag.rfind('@');
  if (equals == std::string::npos || at == std::string::npos || at < equals) {
    return false;
  }
  chart.name = flag.substr(0, equals);
  chart.repo = flag.substr(equals + 1, at - equals - 1);
  chart.version = flag.substr(at + 1);
  chart.namespace_name = chart.name;
  chart.comment = "Chart " + chart.name;
  return !chart.name.empty() && !chart.repo.empty() && !chart.version.empty();
}

// YAML double-quoted scalar: flag values are user input and must not break the document.
std::string quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

} // namespace

void add_scaffold_command(CLI::App& app, ScaffoldOptions& options) {
  CLI::App* command = app.add_subcommand("scaffold", "Write a new, commented Stack that passes lint");
  command->add_option("name", options.name, "Name of the Stack")->required();
  command->add_option("-t,--template", options.template_name, "Starting point")
      ->check(CLI::IsMember({"minimal", "rag", "multi-model", "dev"}))
      ->capture_default_str();
  command->add_option("--env", options.env, "Environment")
      ->check(CLI::IsMember({"dev", "staging", "prod"}))
      ->capture_default_str();
  command->add_flag("--security", options.security, "Enable the NeuVector integration");
  command->add_flag("--observability", options.observability, "Enable the observability integration");
  command->add_option("--cluster", options.clusters, "Target a Rancher cluster id (repeatable)");
  command->add_option("--selector", options.selectors, "Target clusters labelled key=value (repeatable)");
  command->add_option("--chart", options.charts,
                      "Chart as name=repo@version (repeatable; replaces the template's)");
  command->add_option("-o,--output", options.output_file, "Write to this file instead of stdout");
  command->add_flag("--force", options.force, "Overwrite the -o file if it exists");
  command->footer(R"(Examples:
  # A one-chart Stack for the local cluster
  kubectl herd scaffold demo --cluster local

  # A RAG platform for the GPU clusters, production settings, into a file
  kubectl herd scaffold rag-platform --template rag --env prod --selector gpu=true -o rag.yaml

  # Your own charts
  kubectl herd scaffold tools --chart redis=oci://registry-1.docker.io/bitnamicharts@19.0.1 --cluster c-m-abc12345)");
}

std::string render_scaffold(const ScaffoldOptions& options) {
  std::vector<ChartTemplate> charts;
  if (options.charts.empty()) {
    charts = template_charts(options.template_name);
  } else {
    for (const auto& flag : options.charts) {
      ChartTemplate chart;
      parse_chart_flag(flag, chart);
      charts.push_back(std::move(chart));
    }
  }
  // prod requires both features under the default policy: write them so the Stack says what it gets.
  const bool security = options.security || options.env == "prod";
  const bool observability = options.observability || options.env == "prod";
  std::ostringstream out;
  out << "# Stack " << options.name << ": deployed by Herd to every target cluster through Rancher Fleet.\n"
      << "# Check it with `kubectl herd lint`, preview it with `kubectl herd plan -f`, then `kubectl apply "
         "-f`.\n"
      << "apiVersion: herd.suse.com/v1\n"
      << "kind: Stack\n"
      << "metadata:\n"
      << "  name: " << quote(options.name) << "\n"
      << "spec:\n"
      << "  # dev | staging | prod: the policy decides per env which repos are allowed and which features "
         "are on.\n"
      << "  env: " << options.env << "\n"
      << "  # NeuVector: workloads are labelled and get one NvSecurityRule each (policy mode from the "
         "policy).\n"
      << "  security: " << (security ? "enabled" : "disabled") << "\n"
      << "  # ServiceMonitors of the charts that have them, labelled for SUSE Observability.\n"
      << "  observability: " << (observability ? "enabled" : "disabled") << "\n"
      << "  # Where the Stack goes. Several kinds of target add up (union).\n"
      << "  targets:\n";
  if (!options.selectors.empty() || (options.clusters.empty())) {
    out << "    # Fleet Clusters carrying all these labels (Rancher copies cluster labels to Fleet).\n"
        << "    selector:\n      matchLabels:\n";
    if (options.selectors.empty()) {
      out << "        env: " << options.env << "\n";
      if (options.template_name == "rag" || options.template_name == "multi-model") {
        out << "        gpu: \"true\" # these charts need GPU clusters\n";
      }
    }
    for (const auto& selector : options.selectors) {
      const std::size_t equals = selector.find('=');
      out << "        " << quote(selector.substr(0, equals)) << ": "
          << quote(equals == std::string::npos ? std::string() : selector.substr(equals + 1)) << "\n";
    }
  }
  if (!options.clusters.empty()) {
    out << "    # Rancher cluster ids (c-m-...), or local for the management cluster.\n    clusterIds:\n";
    for (const auto& cluster : options.clusters) {
      out << "      - " << quote(cluster) << "\n";
    }
  }
  out << "  # One Fleet Bundle per chart; dependsOn orders the rollout on each cluster.\n  charts:\n";
  for (const auto& chart : charts) {
    out << "    # " << chart.comment << "\n"
        << "    - name: " << quote(chart.name) << "\n"
        << "      repo: " << quote(chart.repo) << "\n"
        << "      # An exact version: Fleet refuses ranges for repository charts.\n"
        << "      version: " << quote(chart.version) << "\n"
        << "      namespace: " << quote(chart.namespace_name) << "\n";
    if (!chart.values.empty()) {
      out << "      values:\n        inline:\n" << chart.values;
    }
    if (!chart.depends_on.empty()) {
      out << "      dependsOn:\n";
      for (const auto& dependency : chart.depends_on) {
        out << "        - " << dependency << "\n";
      }
    }
    if (chart.wait) {
      out << "      # Wait for the release to be ready before its dependents start.\n      wait: true\n";
      if (!chart.timeout.empty()) {
        out << "      timeout: " << chart.timeout << "\n";
      }
    }
  }
  return out.str();
}

int scaffold(const ScaffoldOptions& options, const CommandContext& context) {
  for (const auto& flag : options.charts) {
    ChartTemplate unused;
    if (!parse_chart_flag(flag, unused)) {
      context.err << "kubectl herd: error: --chart \"" << flag << "\" must look like name=repo@version\n";
      return k_exit_usage;
    }
  }
  for (const auto& selector : options.selectors) {
    if (selector.find('=') == std::string::npos || selector.front() == '=') {
      context.err << "kubectl herd: error: --selector \"" << selector << "\" must look like key=value\n";
      return k_exit_usage;
    }
  }
  const std::string text = render_scaffold(options);

  // The promise is a Stack that passes lint: check it with the same core, and refuse to write anything else.
  auto linter = load_linter(context.global.policy_file);
  if (!linter) {
    context.err << "kubectl herd: error: " << linter.error().message << '\n';
    return k_exit_usage;
  }
  core::Diagnostics findings;
  std::istringstream stream(text);
  (*linter)->lint_stream(stream, options.output_file.empty() ? "<scaffold>" : options.output_file, findings);
  if (core::has_errors(findings)) {
    context.err << "kubectl herd: error: these flags give a Stack that does not pass lint:\n";
    for (const auto& finding : findings) {
      context.err << "  " << core::format_diagnostic(finding) << '\n';
    }
    return k_exit_findings;
  }

  if (options.output_file.empty()) {
    context.out << text;
    return k_exit_ok;
  }
  std::error_code error;
  if (std::filesystem::exists(options.output_file, error) && !options.force) {
    context.err << "kubectl herd: error: \"" << options.output_file
                << "\" already exists; pass --force to overwrite it\n";
    return k_exit_usage;
  }
  std::ofstream file(options.output_file, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) {
    context.err << "kubectl herd: error: cannot write \"" << options.output_file << "\"\n";
    return k_exit_usage;
  }
  context.err << "wrote Stack \"" << options.name << "\" to " << options.output_file << '\n';
  return k_exit_ok;
}

} // namespace herd::plugin
