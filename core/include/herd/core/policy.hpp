#pragma once

#include <herd/core/label_selector.hpp>
#include <herd/core/result.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace herd::core {

struct EnvironmentPolicy {
  std::vector<std::string> allowed_repo_schemes{"https", "oci"};
  bool require_security = false;
  bool require_observability = false;
  std::size_t max_charts = 100;
};

// What enabling security or observability injects (DESIGN §4).
struct FeaturePolicy {
  std::string policy_mode = "Monitor";
  // chart name (in its repo) or "*" -> values overlay; ${stack}, ${chart}, ${namespace}, ${service} expand.
  nlohmann::json values = nlohmann::json::object();
  nlohmann::json namespace_labels = nlohmann::json::object();
  nlohmann::json namespace_annotations = nlohmann::json::object();
  nlohmann::json resources = nlohmann::json::array();
};

struct TenancyRule {
  std::vector<std::string> namespaces; // "*" matches every namespace
  std::vector<std::string> workspaces; // empty = any
  LabelSelector cluster_selector;      // every target must stay within it; empty = any cluster
};

struct Policy {
  std::string name;
  std::string sha256; // of the policy document's bytes, recorded in the herd.suse.com/policy annotation
  std::map<std::string, EnvironmentPolicy> environments;
  FeaturePolicy security;
  FeaturePolicy observability;
  std::vector<TenancyRule> tenancy;

  // The policy for `env`; an environment the policy does not name gets the strict defaults.
  [[nodiscard]] const EnvironmentPolicy& environment(const std::string& env) const;
  // The first tenancy rule matching `namespace_name`, or nullptr (nothing is allowed).
  [[nodiscard]] const TenancyRule* tenancy_for(const std::string& namespace_name) const;
};

// Parses and validates a policy document (schema/policy.schema.json). The error lists every problem with its
// position in `file`.
Result<Policy> parse_policy(std::string_view yaml, std::string_view file);

// The built-in policy (schema/default-policy.yaml).
const Policy& default_policy();

} // namespace herd::core
