#pragma once

#include "command_context.hpp"

#include <string>
#include <vector>

namespace herd::plugin {

struct LintOptions {
  std::vector<std::string> inputs;
  std::string output = "text"; // text|json|sarif|junit
  bool strict = false;         // warnings fail the run too
  bool recursive = false;
};

void add_lint_command(CLI::App& app, LintOptions& options);

// Lints every document of every input. Returns the exit code: 0 clean, 1 errors (or warnings with --strict),
// 2 unreadable input or bad policy.
int lint(const LintOptions& options, const CommandContext& context);

} // namespace herd::plugin
