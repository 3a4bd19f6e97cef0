#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace herd::core {

enum class Severity { error, warning };

// One finding of lint, plan or the webhook. `path` is the JSON path of the node
// (spec.charts[2].dependsOn[0]), empty for findings about a whole file; `line`/`column` are 1-based, 0 when
// the input had no positions (JSON from the API server).
struct Diagnostic {
  Severity severity = Severity::error;
  std::string rule; // stable id, HERDnnn (see rule_catalog.hpp)
  std::string message;
  std::string file;
  int line = 0;
  int column = 0;
  std::string path;
};

using Diagnostics = std::vector<Diagnostic>;

std::string_view to_string(Severity severity);

// `file:line:col: error: path: message [HERDnnn]`, the form compilers and editors jump to. `color` adds ANSI
// colors to the severity.
std::string format_diagnostic(const Diagnostic& diagnostic, bool color = false);

bool has_errors(const Diagnostics& diagnostics);

} // namespace herd::core
