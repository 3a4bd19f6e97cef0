#pragma once

#include <herd/core/diagnostic.hpp>

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

namespace herd::plugin {

struct LintedFile {
  std::string path;
  std::size_t documents = 0;
  std::size_t stacks = 0;
};

// Everything one `kubectl herd lint` run found, in input order.
struct LintRun {
  std::vector<LintedFile> files;
  core::Diagnostics findings;
  [[nodiscard]] std::size_t stacks() const;
  [[nodiscard]] std::size_t count(core::Severity severity) const;
};

// `N stacks, E errors, W warnings`.
std::string summary_line(const LintRun& run);

void write_text(const LintRun& run, std::ostream& out, bool color);
void write_json(const LintRun& run, std::ostream& out);
// SARIF 2.1.0, as GitHub code scanning reads it.
void write_sarif(const LintRun& run, std::ostream& out);
// JUnit XML: one test case per file, failing when the file has errors.
void write_junit(const LintRun& run, std::ostream& out);

} // namespace herd::plugin
