#include <herd/core/diagnostic_sink.hpp>
#include <herd/core/policy.hpp>
#include <herd/core/schema_validator.hpp>
#include <herd/core/sha256.hpp>
#include <herd/core/yaml_loader.hpp>
#include <herd/schema/embedded.hpp>

#include <stdexcept>

namespace herd::core {

namespace {

using nlohmann::json;

std::vector<std::string> string_list(const json& list) {
  std::vector<std::string> out;
  for (const auto& item : list) {
    out.push_back(item.get<std::string>());
  }
  return out;
}

FeaturePolicy feature_from(const json& object) {
  FeaturePolicy feature;
  if (!object.is_object()) {
    return feature;
  }
  feature.policy_mode = object.value("policyMode", feature.policy_mode);
  feature.values = object.value("values", json::object());
  feature.namespace_labels = object.value("namespaceLabels", json::object());
  feature.namespace_annotations = object.value("namespaceAnnotations", json::object());
  feature.resources = object.value("resources", json::array());
  return feature;
}

} // namespace

const EnvironmentPolicy& Policy::environment(const std::string& env) const {
  static const EnvironmentPolicy strict{};
  const auto it = environments.find(env);
  return it == environments.end() ? strict : it->second;
}

const TenancyRule* Policy::tenancy_for(const std::string& namespace_name) const {
  for (const auto& rule : tenancy) {
    for (const auto& pattern : rule.namespaces) {
      if (pattern == "*" || pattern == namespace_name) {
        return &rule;
      }
    }
  }
  return nullptr;
}

Result<Policy> parse_policy(std::string_view yaml, std::string_view file) {
  YamlDocument document = parse_yaml_document(yaml, file);
  Diagnostics findings = document.diagnostics;
  if (document.parsed) {
    auto validator = SchemaValidator::create(embedded::policy_schema_json());
    if (!validator) {
      return validator.error();
    }
    DiagnosticSink sink(findings, file, &document.source_map);
    (*validator)->validate(document.value, sink);
  }
  if (has_errors(findings) || !document.parsed) {
    std::string message = "invalid policy:";
    for (const auto& finding : findings) {
      message += "\n  " + format_diagnostic(finding);
    }
    return Error{message, std::string(file)};
  }
  const json& doc = document.value;
  Policy policy;
  policy.name = doc["metadata"]["name"].get<std::string>();
  policy.sha256 = sha256_hex(yaml);
  for (const auto& [env, settings] : doc["environments"].items()) {
    EnvironmentPolicy environment;
    if (settings.contains("allowedRepoSchemes")) {
      environment.allowed_repo_schemes = string_list(settings["allowedRepoSchemes"]);
    }
    const json require = settings.value("require", json::object());
    environment.require_security = require.value("security", false);
    environment.require_observability = require.value("observability", false);
    environment.max_charts = settings.value("maxCharts", environment.max_charts);
    policy.environments[env] = std::move(environment);
  }
  policy.security = feature_from(doc.value("security", json::object()));
  policy.observability = feature_from(doc.value("observability", json::object()));
  for (const auto& rule : doc.value("tenancy", json::array())) {
    TenancyRule tenancy;
    tenancy.namespaces = string_list(rule["namespaces"]);
    tenancy.workspaces = string_list(rule.value("workspaces", json::array()));
    tenancy.cluster_selector = label_selector_from_json(rule.value("clusterSelector", json::object()));
    policy.tenancy.push_back(std::move(tenancy));
  }
  return policy;
}

const Policy& default_policy() {
  static const Policy policy = [] {
    auto parsed = parse_policy(embedded::default_policy_yaml(), "schema/default-policy.yaml");
    if (!parsed) {
      // The default policy is compiled in and covered by tests: failing here is a build defect.
      throw std::logic_error(parsed.error().message);
    }
    return std::move(parsed).value();
  }();
  return policy;
}

} // namespace herd::core
