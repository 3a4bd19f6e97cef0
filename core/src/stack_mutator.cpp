#include <herd/core/json_path.hpp>
#include <herd/core/policy_template.hpp>
#include <herd/core/stack.hpp>
#include <herd/core/stack_mutator.hpp>

#include <algorithm>
#include <cctype>
#include <set>

namespace herd::core {

namespace {

using nlohmann::json;

class Mutation {
public:
  explicit Mutation(MutationResult& result) : m_result(result) {}

  // Sets object[key] = value when the key is absent. Returns whether it did.
  bool set_default(json& object, const std::string& key, json value, const std::string& path) {
    if (!object.is_object() || object.contains(key)) {
      return false;
    }
    object[key] = std::move(value);
    m_result.defaulted.push_back(join_path(path, key));
    m_result.changed = true;
    return true;
  }

  // Fills `target` with what `overlay` has and `target` lacks, recording each path set. The overlay comes
  // from the policy (trusted, depth-capped by the YAML loader), so recursing on it is bounded.
  void fill(json& target, const json& overlay, const std::string& path, const std::string& reason) {
    for (const auto& [key, value] : overlay.items()) {
      const std::string child = join_path(path, key);
      if (!target.contains(key)) {
        target[key] = value;
        m_result.injected.push_back(child);
        m_result.injected_reasons.push_back(reason);
        m_result.changed = true;
      } else if (target[key].is_object() && value.is_object()) {
        fill(target[key], value, child, reason);
      }
    }
  }

private:
  MutationResult& m_result;
};

void apply_feature_values(Mutation& mutation,
                          json& chart,
                          const std::string& chart_path,
                          const FeaturePolicy& feature,
                          const std::string& feature_name,
                          const std::string& stack_name) {
  if (!chart.is_object() || !chart.value("name", json()).is_string()) {
    return;
  }
  const std::string name = chart["name"].get<std::string>();
  const std::string chart_name =
      chart.value("chart", json(name)).is_string() ? chart.value("chart", name) : name;
  const std::string namespace_name =
      chart.value("namespace", json(name)).is_string() ? chart.value("namespace", name) : name;
  const TemplateVariables variables =
      chart_template_variables(stack_name, name, namespace_name, feature.policy_mode);
  for (const std::string& key : {std::string("*"), chart_name}) {
    const auto overlay = feature.values.find(key);
    if (overlay == feature.values.end() || !overlay->is_object() || overlay->empty()) {
      continue;
    }
    if (!chart.contains("values")) {
      chart["values"] = json::object();
    }
    json& values = chart["values"];
    if (!values.is_object()) {
      return;
    }
    if (!values.contains("inline")) {
      values["inline"] = json::object();
    }
    if (!values["inline"].is_object()) {
      return;
    }
    mutation.fill(values["inline"], expand_template(*overlay, variables),
                  join_path(chart_path, "values") + ".inline",
                  "policy " + feature_name + " values for chart " + key);
  }
}

// A valid Kubernetes label value: at most 63 characters, alphanumerics with -_. inside.
bool is_label_value(const std::string& value) {
  if (value.empty() || value.size() > 63) {
    return false;
  }
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  return alnum(value.front()) && alnum(value.back()) && std::all_of(value.begin(), value.end(), [&](char c) {
           return alnum(c) || c == '-' || c == '_' || c == '.';
         });
}

} // namespace

MutationResult mutate_stack(json& stack, const Policy& policy) {
  MutationResult result;
  Mutation mutation(result);
  if (!stack.is_object() || !stack.contains("spec") || !stack["spec"].is_object()) {
    return result;
  }
  json& spec = stack["spec"];
  const std::string stack_name = stack.contains("metadata") && stack["metadata"].is_object() &&
                                         stack["metadata"].value("name", json()).is_string()
                                     ? stack["metadata"]["name"].get<std::string>()
                                     : std::string();

  mutation.set_default(spec, "env", "dev", "spec");
  mutation.set_default(spec, "security", "disabled", "spec");
  mutation.set_default(spec, "observability", "disabled", "spec");
  mutation.set_default(spec, "paused", false, "spec");
  if (spec.contains("targets") && spec["targets"].is_object()) {
    const json& targets = spec["targets"];
    const json ids = targets.value("clusterIds", json());
    const bool only_local = !targets.contains("selector") && !targets.contains("clusterGroup") &&
                            ids.is_array() && ids.size() == 1 && ids[0] == "local";
    mutation.set_default(spec, "workspace", only_local ? "fleet-local" : "fleet-default", "spec");
  }

  if (spec["env"].is_string()) {
    const std::string env = spec["env"].get<std::string>();
    const EnvironmentPolicy& environment = policy.environment(env);
    auto require = [&](const char* feature, bool required) {
      if (!required || (spec[feature].is_string() && spec[feature] == "enabled")) {
        return;
      }
      const std::string path = std::string("spec.") + feature;
      // Point at what the user wrote: their `disabled`, or else the env that requires the feature.
      const auto defaulted = std::find(result.defaulted.begin(), result.defaulted.end(), path);
      const bool user_set = defaulted == result.defaulted.end();
      if (!user_set) {
        result.defaulted.erase(defaulted);
      }
      spec[feature] = "enabled";
      result.injected.push_back(path);
      result.injected_reasons.push_back("policy requires " + std::string(feature) + " for env " + env);
      result.warnings.push_back({user_set ? path : std::string("spec.env"),
                                 std::string(feature) + " enabled by policy for env " + env});
      result.changed = true;
    };
    require("security", environment.require_security);
    require("observability", environment.require_observability);
  }

  if (spec.contains("charts") && spec["charts"].is_array()) {
    json& charts = spec["charts"];
    for (std::size_t i = 0; i < charts.size(); ++i) {
      json& chart = charts[i];
      if (!chart.is_object()) {
        continue;
      }
      const std::string path = join_path("spec.charts", i);
      if (chart.value("name", json()).is_string()) {
        const json name = chart["name"];
        mutation.set_default(chart, "chart", name, path);
        mutation.set_default(chart, "namespace", name, path);
        mutation.set_default(chart, "releaseName", name, path);
      }
      mutation.set_default(chart, "wait", false, path);
      if (chart["wait"].is_boolean() && chart["wait"].get<bool>()) {
        mutation.set_default(chart, "timeout", "5m", path);
      }
      if (chart.contains("values") && chart["values"].is_object()) {
        for (const char* list : {"configMapRefs", "secretRefs"}) {
          json& refs = chart["values"][list];
          if (refs.is_null()) {
            chart["values"].erase(list);
            continue;
          }
          if (!refs.is_array()) {
            continue;
          }
          for (std::size_t r = 0; r < refs.size(); ++r) {
            mutation.set_default(refs[r], "key", "values.yaml",
                                 join_path(join_path(path + ".values", list), r));
          }
        }
      }
      if (spec["security"] == "enabled") {
        apply_feature_values(mutation, chart, path, policy.security, "security", stack_name);
      }
      if (spec["observability"] == "enabled") {
        apply_feature_values(mutation, chart, path, policy.observability, "observability", stack_name);
      }
    }
  }

  if (stack.contains("metadata") && stack["metadata"].is_object()) {
    json& metadata = stack["metadata"];
    // The env as a label, so `kubectl get stacks -l herd.suse.com/env=prod` works; Herd owns the key.
    if (spec["env"].is_string() && is_label_value(spec["env"].get<std::string>())) {
      if (!metadata.contains("labels")) {
        metadata["labels"] = json::object();
      }
      if (metadata["labels"].is_object() && metadata["labels"].value(k_env_label, json()) != spec["env"]) {
        metadata["labels"][k_env_label] = spec["env"];
        result.changed = true;
      }
    }
    if (!metadata.contains("annotations")) {
      metadata["annotations"] = json::object();
    }
    if (metadata["annotations"].is_object()) {
      json& annotations = metadata["annotations"];
      std::set<std::string> injected;
      if (annotations.contains(k_injected_annotation) && annotations[k_injected_annotation].is_string()) {
        const json previous =
            json::parse(annotations[k_injected_annotation].get<std::string>(), nullptr, false);
        if (previous.is_array()) {
          for (const auto& item : previous) {
            if (item.is_string()) {
              injected.insert(item.get<std::string>());
            }
          }
        }
      }
      for (const auto& path : result.injected) {
        injected.insert(to_json_pointer(path));
      }
      const std::string policy_value = policy.name + "@sha256:" + policy.sha256;
      const std::string injected_value =
          json(std::vector<std::string>(injected.begin(), injected.end())).dump();
      for (const auto& [key, value] : {std::pair{std::string(k_policy_annotation), policy_value},
                                       std::pair{std::string(k_injected_annotation), injected_value}}) {
        if (annotations.value(key, json()) != value) {
          annotations[key] = value;
          result.changed = true;
        }
      }
    }
  }
  return result;
}

} // namespace herd::core
