#include <herd/core/json_member.hpp>
#include <herd/core/json_path.hpp>
#include <herd/core/policy_template.hpp>
#include <herd/core/stack.hpp>
#include <herd/core/stack_mutator.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <set>

namespace herd::core {

namespace {

using nlohmann::json;

class Mutation {
public:
  explicit Mutation(MutationResult& result) : m_result(result) {}

  // Sets object[key] = value when the key is absent. Returns whether it did. The json is built only then.
  template <typename Value>
  bool set_default(json& object, std::string_view key, const Value& value, std::string_view path) {
    if (!object.is_object()) {
      return false;
    }
    const auto [slot, inserted] = object.get_ref<json::object_t&>().try_emplace(std::string(key));
    if (!inserted) {
      return false;
    }
    slot->second = value;
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

// The policy's values for one chart under one feature: the "*" entry, then the chart's own (by its chart
// name); nullptr where the policy has none. Looked up before anything is expanded: most charts have none.
std::array<std::pair<const std::string*, const json*>, 2> feature_overlays(const FeaturePolicy& feature,
                                                                           const std::string& chart_name) {
  static const std::string any = "*";
  std::array<std::pair<const std::string*, const json*>, 2> found{};
  std::size_t next = 0;
  for (const std::string* key : {&any, &chart_name}) {
    const auto overlay = feature.values.find(*key);
    if (overlay != feature.values.end() && overlay->is_object() && !overlay->empty()) {
      found[next++] = {key, &*overlay};
    }
  }
  return found;
}

// Injects one feature's policy values into a chart's inline values. `variables` is computed on first need
// and shared by the features (only ${policyMode} differs between them).
void apply_feature_values(Mutation& mutation,
                          json& chart,
                          const std::string& chart_path,
                          const FeaturePolicy& feature,
                          const std::string& feature_name,
                          const std::string& stack_name,
                          std::optional<TemplateVariables>& variables) {
  const json* name = chart.is_object() ? &member(chart, "name") : nullptr;
  if (name == nullptr || !name->is_string()) {
    return;
  }
  const std::string& chart_name = string_member_ref(chart, "chart", name->get_ref<const std::string&>());
  const auto overlays = feature_overlays(feature, chart_name);
  if (overlays[0].second == nullptr) {
    return;
  }
  if (!variables) {
    variables = chart_template_variables(
        stack_name, name->get_ref<const std::string&>(),
        string_member_ref(chart, "namespace", name->get_ref<const std::string&>()), feature.policy_mode);
  }
  (*variables)["policyMode"] = feature.policy_mode;
  for (const auto& [key, overlay] : overlays) {
    if (overlay == nullptr) {
      break;
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
    json& inline_values = values["inline"];
    if (!inline_values.is_object()) {
      return;
    }
    mutation.fill(inline_values, expand_template(*overlay, *variables),
                  join_path(chart_path, "values") + ".inline",
                  "policy " + feature_name + " values for chart " + *key);
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
    const bool security_on = spec["security"] == "enabled";
    const bool observability_on = spec["observability"] == "enabled";
    for (std::size_t i = 0; i < charts.size(); ++i) {
      json& chart = charts[i];
      if (!chart.is_object()) {
        continue;
      }
      const std::string path = join_path("spec.charts", i);
      // A reference into the chart's map stays valid as the defaults below add keys beside it.
      if (const json& name = member(chart, "name"); name.is_string()) {
        mutation.set_default(chart, "chart", name, path);
        mutation.set_default(chart, "namespace", name, path);
        mutation.set_default(chart, "releaseName", name, path);
      }
      mutation.set_default(chart, "wait", false, path);
      if (const json& wait = member(chart, "wait"); wait.is_boolean() && wait.get<bool>()) {
        mutation.set_default(chart, "timeout", "5m", path);
      }
      if (const auto values = chart.find("values"); values != chart.end() && values->is_object()) {
        for (const char* list : {"configMapRefs", "secretRefs"}) {
          const auto refs = values->find(list);
          if (refs == values->end()) {
            continue;
          }
          if (refs->is_null()) {
            values->erase(refs);
            continue;
          }
          if (!refs->is_array()) {
            continue;
          }
          for (std::size_t r = 0; r < refs->size(); ++r) {
            mutation.set_default((*refs)[r], "key", "values.yaml",
                                 join_path(join_path(path + ".values", list), r));
          }
        }
      }
      std::optional<TemplateVariables> variables;
      if (security_on) {
        apply_feature_values(mutation, chart, path, policy.security, "security", stack_name, variables);
      }
      if (observability_on) {
        apply_feature_values(mutation, chart, path, policy.observability, "observability", stack_name,
                             variables);
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
