#include <herd/core/diagnostic_sink.hpp>

namespace herd::core {

void DiagnosticSink::report(
    Severity severity, std::string_view rule, std::string path, std::string message, bool at_key) {
  Diagnostic d;
  d.severity = severity;
  d.rule = rule;
  d.message = std::move(message);
  d.file = m_file;
  if (m_source_map != nullptr) {
    const SourcePosition position = m_source_map->locate(path, at_key);
    d.line = position.line;
    d.column = position.column;
  }
  d.path = std::move(path);
  m_out.push_back(std::move(d));
}

} // namespace herd::core
