#include "lint_report.hpp"

#include <herd/core/rule_catalog.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <ostream>

namespace herd::plugin {

namespace {

using nlohmann::json;

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

json finding_json(const core::Diagnostic& d) {
  return json{{"severity", core::to_string(d.severity)},
              {"rule", d.rule},
              {"message", d.message},
              {"file", d.file},
              {"line", d.line},
              {"column", d.column},
              {"path", d.path}};
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&apos;";
      break;
    default:
      // XML 1.0 forbids most control characters, even escaped.
      if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
        out += ' ';
      } else {
        out += c;
      }
    }
  }
  return out;
}

std::string dump(const json& value) {
  return value.dump(2, ' ', false, json::error_handler_t::replace);
}

} // namespace

std::size_t LintRun::stacks() const {
  std::size_t total = 0;
  for (const auto& file : files) {
    total += file.stacks;
  }
  return total;
}

std::size_t LintRun::count(core::Severity severity) const {
  return static_cast<std::size_t>(std::count_if(
      findings.begin(), findings.end(), [&](const core::Diagnostic& d) { return d.severity == severity; }));
}

std::string summary_line(const LintRun& run) {
  return plural(run.stacks(), "stack") + ", " + plural(run.count(core::Severity::error), "error") + ", " +
         plural(run.count(core::Severity::warning), "warning");
}

void write_text(const LintRun& run, std::ostream& out, bool color) {
  for (const auto& finding : run.findings) {
    out << core::format_diagnostic(finding, color) << '\n';
  }
}

void write_json(const LintRun& run, std::ostream& out) {
  json findings = json::array();
  for (const auto& finding : run.findings) {
    findings.push_back(finding_json(finding));
  }
  json files = json::array();
  for (const auto& file : run.files) {
    files.push_back({{"path", file.path}, {"documents", file.documents}, {"stacks", file.stacks}});
  }
  out << dump(json{{"stacks", run.stacks()},
                   {"errors", run.count(core::Severity::error)},
                   {"warnings", run.count(core::Severity::warning)},
                   {"files", files},
                   {"findings", findings}})
      << '\n';
}

void write_sarif(const LintRun& run, std::ostream& out) {
  json rules = json::array();
  std::map<std::string, std::size_t> rule_index;
  for (const auto& rule : core::rules::catalog()) {
    rule_index[std::string(rule.id)] = rules.size();
    rules.push_back({{"id", rule.id},
                     {"name", rule.id},
                     {"shortDescription", {{"text", rule.summary}}},
                     {"help", {{"text", rule.fix}}},
                     {"defaultConfiguration",
                      {{"level", rule.severity == core::Severity::error ? "error" : "warning"}}}});
  }
  json results = json::array();
  for (const auto& finding : run.findings) {
    json location = {{"physicalLocation", {{"artifactLocation", {{"uri", finding.file}}}}}};
    if (finding.line > 0) {
      location["physicalLocation"]["region"] = {{"startLine", finding.line},
                                                {"startColumn", std::max(finding.column, 1)}};
    }
    json result = {{"ruleId", finding.rule},
                   {"level", finding.severity == core::Severity::error ? "error" : "warning"},
                   {"message", {{"text", finding.message}}},
                   {"locations", json::array({location})}};
    if (const auto it = rule_index.find(finding.rule); it != rule_index.end()) {
      result["ruleIndex"] = it->second;
    }
    if (!finding.path.empty()) {
      result["locations"][0]["logicalLocations"] = json::array({{{"fullyQualifiedName", finding.path}}});
    }
    results.push_back(std::move(result));
  }
  const json sarif = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                      {"version", "2.1.0"},
                      {"runs", json::array({{{"tool",
                                              {{"driver",
                                                {{"name", "kubectl-herd"},
                                                 {"informationUri", "https://github.com/herd-project/herd"},
                                                 {"version", HERD_VERSION},
                                                 {"rules", rules}}}}},
                                             {"results", results}}})}};
  out << dump(sarif) << '\n';
}

void write_junit(const LintRun& run, std::ostream& out) {
  std::map<std::string, std::vector<const core::Diagnostic*>> by_file;
  for (const auto& finding : run.findings) {
    by_file[finding.file].push_back(&finding);
  }
  std::size_t failures = 0;
  for (const auto& file : run.files) {
    const auto& found = by_file[file.path];
    if (std::any_of(found.begin(), found.end(),
                    [](const core::Diagnostic* d) { return d->severity == core::Severity::error; })) {
      ++failures;
    }
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << R"(<testsuites name="kubectl herd lint" tests=")" << run.files.size() << "\" failures=\"" << failures
      << "\">\n";
  out << R"(  <testsuite name="herd.lint" tests=")" << run.files.size() << "\" failures=\"" << failures
      << "\" errors=\"0\">\n";
  for (const auto& file : run.files) {
    const auto& found = by_file[file.path];
    out << R"(    <testcase classname="herd.lint" name=")" << xml_escape(file.path) << "\">\n";
    std::string errors;
    std::string warnings;
    std::size_t error_count = 0;
    for (const auto* d : found) {
      (d->severity == core::Severity::error ? errors : warnings) += core::format_diagnostic(*d) + "\n";
      error_count += d->severity == core::Severity::error ? 1 : 0;
    }
    if (error_count > 0) {
      out << "      <failure message=\"" << plural(error_count, "error") << R"(" type="lint">)"
          << xml_escape(errors) << "</failure>\n";
    }
    if (!warnings.empty()) {
      out << "      <system-out>" << xml_escape(warnings) << "</system-out>\n";
    }
    out << "    </testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
}

} // namespace herd::plugin
