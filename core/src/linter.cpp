#include <herd/core/json_member.hpp>
#include <herd/core/linter.hpp>
#include <herd/core/rule_catalog.hpp>
#include <herd/core/schema_validator.hpp>
#include <herd/core/stack.hpp>
#include <herd/core/stack_rules.hpp>
#include <herd/schema/embedded.hpp>

#include <algorithm>
#include <set>

namespace herd::core {

using nlohmann::json;

Linter::Linter(Policy policy, std::shared_ptr<SchemaValidator> validator)
    : m_policy(std::move(policy)), m_validator(std::move(validator)) {}

Result<std::shared_ptr<Linter>> Linter::create(Policy policy) {
  auto validator = SchemaValidator::create(embedded::stack_schema_json());
  if (!validator) {
    return validator.error();
  }
  return std::shared_ptr<Linter>(new Linter(std::move(policy), std::move(validator).value()));
}

void Linter::check_stack(json document, DiagnosticSink& sink, MutationResult* mutation, json* effective) {
  const std::string api_version =
      document.value("apiVersion", json()).is_string() ? document["apiVersion"].get<std::string>() : "";
  if (api_version != k_api_version) {
    sink.error(rules::api_version, "apiVersion",
               "apiVersion \"" + api_version + "\" is not served; Stacks use " + std::string(k_api_version));
    return;
  }
  json& stack = document;
  MutationResult result = mutate_stack(stack, m_policy);
  Diagnostics findings;
  DiagnosticSink local(findings, sink.file(), sink.source_map());
  for (const auto& warning : result.warnings) {
    local.warning(rules::feature_required, warning.path, warning.message);
  }
  m_validator->validate(stack, local);
  check_stack_rules(stack_from_json(stack), m_policy, local);
  // chart, namespace and releaseName default to the chart's name: when the name itself has a finding, the
  // same finding on a copy of it is noise (whether the copy was defaulted here or by the mutating webhook).
  std::set<std::string> flagged;
  for (const auto& finding : findings) {
    flagged.insert(finding.path);
  }
  std::set<std::string> copies_of_flagged_names;
  // No finding, no copies to drop: the common case walks nothing.
  if (const json& charts = member(member(stack, "spec"), "charts"); !flagged.empty() && charts.is_array()) {
    for (std::size_t i = 0; i < charts.size(); ++i) {
      const json& chart = charts[i];
      const std::string path = "spec.charts[" + std::to_string(i) + "]";
      if (!chart.is_object() || !chart.contains("name") || !flagged.contains(path + ".name")) {
        continue;
      }
      for (const char* key : {"chart", "namespace", "releaseName"}) {
        if (chart.contains(key) && chart[key] == chart["name"]) {
          copies_of_flagged_names.insert(path + "." + key);
        }
      }
    }
  }
  for (auto& finding : findings) {
    if (!copies_of_flagged_names.contains(finding.path)) {
      sink.add(std::move(finding));
    }
  }
  if (mutation != nullptr) {
    *mutation = std::move(result);
  }
  if (effective != nullptr) {
    *effective = std::move(stack);
  }
}

void Linter::check_update(const json& old_document,
                          json document,
                          DiagnosticSink& sink,
                          MutationResult* mutation,
                          json* effective) {
  json updated;
  check_stack(std::move(document), sink, mutation, &updated);
  json stored = old_document;
  mutate_stack(stored, m_policy); // a Stack stored before a policy change may lack today's defaults
  check_stack_update(stack_from_json(stored), stack_from_json(updated), sink);
  if (effective != nullptr) {
    *effective = std::move(updated);
  }
}

StreamSummary Linter::lint_stream(std::istream& input, std::string_view file, Diagnostics& out) {
  StreamSummary summary;
  read_yaml_stream(input, file, [&](YamlDocument& document) {
    ++summary.documents;
    out.insert(out.end(), document.diagnostics.begin(), document.diagnostics.end());
    if (!document.parsed || !is_stack_document(document.value)) {
      return;
    }
    ++summary.stacks;
    DiagnosticSink sink(out, file, &document.source_map);
    const std::size_t first = out.size();
    MutationResult mutation;
    check_stack(std::move(document.value), sink, &mutation);
    // A finding on a field the user never wrote is about its default: say so.
    for (std::size_t i = first; i < out.size(); ++i) {
      Diagnostic& d = out[i];
      if (std::find(mutation.defaulted.begin(), mutation.defaulted.end(), d.path) !=
          mutation.defaulted.end()) {
        d.message += " (not set in the Stack: this is its default)";
      }
    }
  });
  return summary;
}

} // namespace herd::core
