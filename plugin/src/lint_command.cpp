#include "lint_command.hpp"

#include "input_files.hpp"
#include "lint_report.hpp"
#include "policy_file.hpp"
#include "terminal.hpp"

#include <herd/core/linter.hpp>
#include <herd/core/rule_catalog.hpp>
#include <herd/plugin/app.hpp>

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>

namespace herd::plugin {

void add_lint_command(CLI::App& app, LintOptions& options) {
  CLI::App* command =
      app.add_subcommand("lint", "Check Stack files offline: schema, dependencies and policy");
  command
      ->add_option("inputs", options.inputs,
                   "Files, directories (their *.yaml, *.yml, *.json) or - for stdin")
      ->required();
  command->add_option("-o,--output", options.output, "Output format")
      ->check(CLI::IsMember({"text", "json", "sarif", "junit"}))
      ->capture_default_str();
  command->add_flag("--strict", options.strict, "Fail (exit 1) on warnings too");
  command->add_flag("-R,--recursive", options.recursive, "Descend into subdirectories");
  command->footer(
      R"(Lint judges each Stack as the API server will store it: it first applies the defaults and the
policy's injection (as the mutating webhook does), then checks it. Findings print as
file:line:col: severity: message [rule]; rule ids are listed in the README.

Exit status: 0 clean (warnings allowed unless --strict), 1 errors found, 2 usage or tool error.

Examples:
  # Lint one file, a directory and standard input
  kubectl herd lint stack.yaml examples/ - < other.yaml

  # SARIF for GitHub code scanning
  kubectl herd lint -o sarif stacks/ > herd.sarif

  # Judge with the platform team's policy instead of the built-in one
  kubectl herd lint --policy policy.yaml stack.yaml)");
}

int lint(const LintOptions& options, const CommandContext& context) {
  auto linter = load_linter(context.global.policy_file);
  if (!linter) {
    context.err << "kubectl herd: error: " << linter.error().message << '\n';
    return k_exit_usage;
  }
  auto inputs = expand_inputs(options.inputs, options.recursive);
  if (!inputs) {
    context.err << "kubectl herd: error: " << inputs.error().message << '\n';
    return k_exit_usage;
  }
  LintRun run;
  for (const auto& input : *inputs) {
    const std::string name = display_name(input);
    std::ifstream file;
    std::istream* stream = open_input(input, context.in, file);
    if (stream == nullptr) {
      context.err << "kubectl herd: error: cannot read \"" << input.path << "\"\n";
      return k_exit_usage;
    }
    const std::size_t before = run.findings.size();
    const core::StreamSummary summary = (*linter)->lint_stream(*stream, name, run.findings);
    run.files.push_back({name, summary.documents, summary.stacks});
    const bool file_has_errors = run.findings.size() != before;
    if (input.explicit_file && summary.stacks == 0 && !file_has_errors) {
      core::Diagnostic d;
      d.rule = core::rules::no_stack;
      d.file = name;
      d.message = summary.documents == 0
                      ? "no Stack found: the file holds no YAML documents"
                      : "no Stack found: none of its " + std::to_string(summary.documents) +
                            " documents has apiVersion herd.suse.com/v1 and kind Stack";
      run.findings.push_back(std::move(d));
    }
  }
  if (run.stacks() == 0 && run.findings.empty()) {
    core::Diagnostic d;
    d.rule = core::rules::no_stack;
    d.file = options.inputs.empty() ? "" : options.inputs.front();
    d.message = "no Stack found in the inputs";
    run.findings.push_back(std::move(d));
  }

  if (options.output == "json") {
    write_json(run, context.out);
  } else if (options.output == "sarif") {
    write_sarif(run, context.out);
  } else if (options.output == "junit") {
    write_junit(run, context.out);
  } else {
    write_text(run, context.out, use_color(context.global.color, 1));
    context.err << summary_line(run) << '\n';
  }
  const std::size_t errors = run.count(core::Severity::error);
  const std::size_t warnings = run.count(core::Severity::warning);
  return errors > 0 || (options.strict && warnings > 0) ? k_exit_findings : k_exit_ok;
}

} // namespace herd::plugin
