#include <herd/core/diagnostic.hpp>

#include <algorithm>

namespace herd::core {

std::string_view to_string(Severity severity) {
  return severity == Severity::error ? "error" : "warning";
}

std::string format_diagnostic(const Diagnostic& diagnostic, bool color) {
  std::string out = diagnostic.file.empty() ? std::string("<input>") : diagnostic.file;
  if (diagnostic.line > 0) {
    out += ':' + std::to_string(diagnostic.line) + ':' + std::to_string(diagnostic.column);
  }
  out += ": ";
  if (color) {
    out += diagnostic.severity == Severity::error ? "\033[1;31m" : "\033[1;33m";
  }
  out += to_string(diagnostic.severity);
  if (color) {
    out += "\033[0m";
  }
  out += ": ";
  out += diagnostic.message;
  if (!diagnostic.rule.empty()) {
    out += " [" + diagnostic.rule + "]";
  }
  return out;
}

bool has_errors(const Diagnostics& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::error; });
}

} // namespace herd::core
