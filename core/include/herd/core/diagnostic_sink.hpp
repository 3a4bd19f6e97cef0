#pragma once

#include <herd/core/diagnostic.hpp>
#include <herd/core/source_map.hpp>

#include <string>
#include <string_view>

namespace herd::core {

// Collects findings about one document and gives each the source position of its JSON path. Without a source
// map (JSON from the API server) findings carry the path only.
class DiagnosticSink {
public:
  DiagnosticSink(Diagnostics& out, std::string_view file, const SourceMap* source_map)
      : m_out(out), m_file(file), m_source_map(source_map) {}

  // `at_key` points at the mapping key instead of the value (unknown or duplicate fields).
  void report(
      Severity severity, std::string_view rule, std::string path, std::string message, bool at_key = false);
  void error(std::string_view rule, std::string path, std::string message, bool at_key = false) {
    report(Severity::error, rule, std::move(path), std::move(message), at_key);
  }
  void warning(std::string_view rule, std::string path, std::string message, bool at_key = false) {
    report(Severity::warning, rule, std::move(path), std::move(message), at_key);
  }

  // Adds a finding made by another sink (its position already resolved).
  void add(Diagnostic diagnostic) { m_out.push_back(std::move(diagnostic)); }

  [[nodiscard]] const SourceMap* source_map() const { return m_source_map; }
  [[nodiscard]] std::string_view file() const { return m_file; }

private:
  Diagnostics& m_out;
  std::string_view m_file;
  const SourceMap* m_source_map;
};

} // namespace herd::core
