#include <herd/core/bundle_renderer.hpp>
#include <herd/core/dependency_graph.hpp>
#include <herd/core/go_duration.hpp>
#include <herd/core/policy_template.hpp>
#include <herd/core/yaml_loader.hpp>

#include <cmath>
#include <map>

namespace herd::core {

namespace {

using nlohmann::json;

constexpr std::string_view k_cluster_name_label = "management.cattle.io/cluster-name";
constexpr std::size_t k_max_label_value = 63;

// A label value (≤ 63 characters) for `text`; longer texts are cut and suffixed with a hash like names.
std::string label_value(const std::string& text) {
  if (text.size() <= k_max_label_value) {
    return text;
  }
  return text.substr(0, k_max_label_value - 9) + "-" + sha256_hex(text).substr(0, 8);
}

// Deep-merges `overlay` into `base` (overlay wins). Values come from Herd's loaders, which cap nesting depth.
void merge_values(json& base, const json& overlay) {
  if (!base.is_object() || !overlay.is_object()) {
    base = overlay;
    return;
  }
  for (const auto& [key, value] : overlay.items()) {
    if (base.contains(key) && base[key].is_object() && value.is_object()) {
      merge_values(base[key], value);
    } else {
      base[key] = value;
    }
  }
}

json selector_json(const LabelSelector& selector) {
  json out = json::object();
  if (!selector.match_labels.empty()) {
    out["matchLabels"] = selector.match_labels;
  }
  if (!selector.match_expressions.empty()) {
    json expressions = json::array();
    for (const auto& requirement : selector.match_expressions) {
      json entry = {{"key", requirement.key}, {"operator", requirement.op}};
      if (!requirement.values.empty()) {
        entry["values"] = requirement.values;
      }
      expressions.push_back(std::move(entry));
    }
    out["matchExpressions"] = std::move(expressions);
  }
  return out;
}

json cluster_ids_selector(const std::vector<std::string>& ids) {
  return {{"matchExpressions",
           json::array({{{"key", k_cluster_name_label}, {"operator", "In"}, {"values", ids}}})}};
}

// The Stack's targets as Fleet targets (Fleet ORs them: the union).
json stack_targets(const StackTargets& targets) {
  json out = json::array();
  if (!targets.cluster_ids.empty()) {
    out.push_back({{"name", "cluster-ids"}, {"clusterSelector", cluster_ids_selector(targets.cluster_ids)}});
  }
  if (targets.has_selector) {
    out.push_back({{"name", "selector"}, {"clusterSelector", selector_json(targets.selector)}});
  }
  if (!targets.cluster_group.empty()) {
    out.push_back({{"name", "cluster-group"}, {"clusterGroup", targets.cluster_group}});
  }
  return out;
}

// A manifest as Bundle resource content. JSON is YAML, so Fleet reads it as is, and writing it is cheap: the
// policy Bundle of a 10,000-chart Stack holds thousands of them.
std::string manifest_content(const json& manifest) {
  return manifest.dump() + "\n";
}

json base_labels(const Stack& stack) {
  return {{"app.kubernetes.io/managed-by", "herd"},
          {"herd.suse.com/stack", label_value(stack.name)},
          {"herd.suse.com/stack-namespace",
           label_value(stack.namespace_name.empty() ? "default" : stack.namespace_name)}};
}

// Adds the single rendered-hash annotation: a hash of everything rendered (no generation, no timestamp), so
// an unchanged Stack renders byte-identical Bundles and the reconciler can skip them.
void stamp(json& bundle) {
  const std::string hash = sha256_hex(bundle["metadata"]["labels"].dump() + bundle["spec"].dump());
  bundle["metadata"]["annotations"] = {{std::string(k_rendered_hash_annotation), hash}};
}

struct FeatureNamespaceMetadata {
  json labels = json::object();
  json annotations = json::object();
};

FeatureNamespaceMetadata namespace_metadata(const Stack& stack, const Policy& policy) {
  FeatureNamespaceMetadata out;
  for (const auto& [enabled, feature] :
       {std::pair<bool, const FeaturePolicy*>{stack.security, &policy.security},
        std::pair<bool, const FeaturePolicy*>{stack.observability, &policy.observability}}) {
    if (enabled) {
      merge_values(out.labels, feature->namespace_labels);
      merge_values(out.annotations, feature->namespace_annotations);
    }
  }
  return out;
}

std::optional<RenderedBundle>
render_policy_bundle(const Stack& stack, const Policy& policy, const json& targets) {
  json resources = json::array();
  json namespaces = json::array();
  std::map<std::string, bool> seen_namespaces;
  auto add_resource = [&](const json& manifest) {
    const json& metadata = manifest.value("metadata", json::object());
    std::string name = manifest.value("kind", std::string("resource")) + "-";
    if (metadata.contains("namespace") && metadata["namespace"].is_string()) {
      name += metadata["namespace"].get<std::string>() + "-";
    }
    name += metadata.value("name", std::string("unnamed")) + ".yaml";
    resources.push_back({{"name", name}, {"content", manifest_content(manifest)}});
  };
  for (const auto& [enabled, feature] :
       {std::pair<bool, const FeaturePolicy*>{stack.security, &policy.security},
        std::pair<bool, const FeaturePolicy*>{stack.observability, &policy.observability}}) {
    if (!enabled || !feature->resources.is_array()) {
      continue;
    }
    for (const auto& resource : feature->resources) {
      const json& manifest = resource["manifest"];
      if (resource.value("forEachChart", false)) {
        // One per chart the feature's values cover: only there is the workload's identity (the NeuVector
        // service name) pinned by Herd, so only there can a per-workload rule match.
        for (const auto& chart : stack.charts) {
          if (!feature->values.contains(chart.chart) && !feature->values.contains("*")) {
            continue;
          }
          add_resource(
              expand_template(manifest, chart_template_variables(stack.name, chart.name, chart.namespace_name,
                                                                 feature->policy_mode)));
        }
      } else {
        add_resource(
            expand_template(manifest, {{"stack", stack.name}, {"policyMode", feature->policy_mode}}));
      }
    }
  }
  if (resources.empty()) {
    return std::nullopt; // nothing to put in place first: no policy Bundle
  }
  // The chart namespaces must exist before the namespaced policy objects in them. Helm keeps them on
  // uninstall (they hold the workloads), and takeOwnership lets the policy Bundle adopt namespaces that
  // already exist.
  const FeatureNamespaceMetadata metadata = namespace_metadata(stack, policy);
  json namespace_resources = json::array();
  for (const auto& chart : stack.charts) {
    if (seen_namespaces.emplace(chart.namespace_name, true).second) {
      json manifest = {
          {"apiVersion", "v1"},
          {"kind", "Namespace"},
          {"metadata",
           {{"name", chart.namespace_name}, {"annotations", {{"helm.sh/resource-policy", "keep"}}}}}};
      merge_values(manifest["metadata"]["annotations"], metadata.annotations);
      if (!metadata.labels.empty()) {
        manifest["metadata"]["labels"] = metadata.labels;
      }
      namespace_resources.push_back(
          {{"name", "Namespace-" + chart.namespace_name + ".yaml"}, {"content", manifest_content(manifest)}});
    }
  }
  for (auto& resource : resources) {
    namespace_resources.push_back(std::move(resource));
  }
  json labels = base_labels(stack);
  labels["herd.suse.com/component"] = "policy";
  const std::string name = policy_bundle_name(stack);
  json bundle = {
      {"apiVersion", "fleet.cattle.io/v1alpha1"},
      {"kind", "Bundle"},
      {"metadata", {{"name", name}, {"namespace", stack.workspace}, {"labels", labels}}},
      {"spec",
       {{"defaultNamespace",
         stack.charts.empty() ? std::string("default") : stack.charts.front().namespace_name},
        {"helm",
         {{"releaseName", name}, // unique per Stack namespace too: two Stacks may share a chart namespace
          {"takeOwnership", true},
          {"disablePreProcess", true},
          {"timeoutSeconds", 0}}},
        {"paused", stack.paused},
        {"resources", namespace_resources},
        {"targets", targets}}}};
  if (stack.force_sync_generation > 0) {
    bundle["spec"]["forceSyncGeneration"] = stack.force_sync_generation;
  }
  stamp(bundle);
  return RenderedBundle{"", std::move(bundle)};
}

} // namespace

std::string bundle_name(const std::vector<std::string>& parts) {
  std::string name;
  for (const auto& part : parts) {
    if (!name.empty()) {
      name += '-';
    }
    for (char c : part) {
      const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (c >= 'A' && c <= 'Z') {
        name += static_cast<char>(c - 'A' + 'a');
      } else {
        name += keep ? c : '-';
      }
    }
  }
  if (name.size() <= k_max_bundle_name) {
    return name;
  }
  std::string cut = name.substr(0, k_max_bundle_name - 9);
  while (!cut.empty() && cut.back() == '-') {
    cut.pop_back();
  }
  return cut + "-" + sha256_hex(name).substr(0, 8);
}

std::string chart_bundle_name(const Stack& stack, const std::string& chart) {
  return bundle_name({stack.namespace_name.empty() ? "default" : stack.namespace_name, stack.name, chart});
}

std::string policy_bundle_name(const Stack& stack) {
  return bundle_name({stack.namespace_name.empty() ? "default" : stack.namespace_name, stack.name,
                      std::string(k_policy_bundle_suffix)});
}

Result<json> config_map_values(const json* config_map,
                               const std::string& name_space,
                               const std::string& name,
                               const std::string& key) {
  const std::string where = "ConfigMap " + name_space + "/" + name;
  if (config_map == nullptr) {
    return Error{where + " (configMapRefs) does not exist"};
  }
  const json* text = nullptr;
  if (const auto data = config_map->is_object() ? config_map->find("data") : config_map->end();
      data != config_map->end() && data->is_object()) {
    if (const auto entry = data->find(key); entry != data->end() && entry->is_string()) {
      text = &*entry;
    }
  }
  if (text == nullptr) {
    return Error{where + " has no key \"" + key + "\""};
  }
  const YamlDocument parsed = parse_yaml_document(text->get<std::string>(), where + " key " + key);
  if (!parsed.parsed || has_errors(parsed.diagnostics)) {
    return Error{where + " key \"" + key + "\" is not valid YAML"};
  }
  if (parsed.value.is_null()) {
    return json::object();
  }
  if (!parsed.value.is_object()) {
    return Error{where + " key \"" + key + "\" is not a YAML mapping of values"};
  }
  return parsed.value;
}

RenderedStack render_bundles(const Stack& stack, const Policy& policy, const ConfigMapValues& config_maps) {
  RenderedStack rendered;
  rendered.bundles.reserve(stack.charts.size() + 1);
  const json targets = stack_targets(stack.targets);
  std::optional<RenderedBundle> policy_bundle = render_policy_bundle(stack, policy, targets);
  const std::string policy_name =
      policy_bundle ? policy_bundle->object["metadata"]["name"].get<std::string>() : "";
  if (policy_bundle) {
    rendered.bundles.push_back(std::move(*policy_bundle));
  }
  const FeatureNamespaceMetadata namespace_meta = namespace_metadata(stack, policy);
  const DependencyGraph graph(stack.charts);

  for (const Chart& chart : stack.charts) {
    json values = json::object();
    for (const auto& reference : chart.config_map_refs) {
      std::optional<json> found = config_maps ? config_maps(reference.name, reference.key) : std::nullopt;
      if (found && found->is_object()) {
        merge_values(values, *found);
      } else {
        rendered.unresolved_config_maps.push_back(reference.name + "/" + reference.key);
      }
    }
    const json from_config_maps = values;
    merge_values(values, chart.inline_values);
    // Policy overlays fill only what the user left unset, and a ConfigMap value is set by the user.
    const std::string inline_pointer = "/spec/charts/" + std::to_string(chart.index) + "/values/inline";
    for (const auto& pointer : stack.injected_pointers) {
      if (pointer.rfind(inline_pointer + "/", 0) != 0) {
        continue;
      }
      const json::json_pointer relative(pointer.substr(inline_pointer.size()));
      if (from_config_maps.contains(relative)) {
        json injected = values[relative];
        merge_values(injected, from_config_maps[relative]);
        values[relative] = std::move(injected);
      }
    }

    json helm = {{"repo", chart.repo},
                 {"chart", chart.chart},
                 {"version", chart.version},
                 {"releaseName", chart.release_name},
                 {"disablePreProcess", true}};
    if (!values.empty()) {
      helm["values"] = std::move(values);
    }
    if (!chart.secret_refs.empty()) {
      json from = json::array();
      for (const auto& reference : chart.secret_refs) {
        from.push_back(
            {{"secretKeyRef",
              {{"name", reference.name}, {"namespace", chart.namespace_name}, {"key", reference.key}}}});
      }
      helm["valuesFrom"] = std::move(from);
    }
    if (chart.wait) {
      const std::optional<double> seconds = parse_go_duration(chart.timeout.empty() ? "5m" : chart.timeout);
      helm["timeoutSeconds"] = static_cast<long long>(std::ceil(seconds.value_or(300.0)));
      helm["waitForJobs"] = true;
    } else {
      helm["timeoutSeconds"] = 0; // Fleet waits only when the timeout is positive
    }

    json depends_on = json::array();
    if (!policy_name.empty()) {
      depends_on.push_back({{"name", policy_name}});
    }
    for (const auto& dependency : chart.depends_on) {
      if (graph.find(dependency) != SIZE_MAX && dependency != chart.name) {
        depends_on.push_back({{"name", chart_bundle_name(stack, dependency)}});
      }
    }

    json spec = {{"helmOpOptions", json::object()},
                 {"helm", std::move(helm)},
                 {"defaultNamespace", chart.namespace_name},
                 {"paused", stack.paused}};
    // `kubectl herd rollout restart` bumps either counter; their sum only grows, and Fleet redeploys when it
    // changes. Absent when never restarted, so existing Bundles render unchanged.
    if (const std::int64_t generation = stack.force_sync_generation + chart.force_sync_generation;
        generation > 0) {
      spec["forceSyncGeneration"] = generation;
    }
    if (!depends_on.empty()) {
      spec["dependsOn"] = std::move(depends_on);
    }
    if (!namespace_meta.labels.empty()) {
      spec["namespaceLabels"] = namespace_meta.labels;
    }
    if (!namespace_meta.annotations.empty()) {
      spec["namespaceAnnotations"] = namespace_meta.annotations;
    }
    if (chart.overrides.empty()) {
      spec["targets"] = targets;
    } else {
      // Overrides come first (Fleet applies the first matching target's customization); the restrictions keep
      // the override targets from reaching clusters the Stack does not target.
      json all = json::array();
      for (std::size_t i = 0; i < chart.overrides.size(); ++i) {
        const ChartOverride& entry = chart.overrides[i];
        json target = {{"name", "override-" + std::to_string(i)}};
        if (!entry.cluster_ids.empty()) {
          target["clusterSelector"] = cluster_ids_selector(entry.cluster_ids);
          if (entry.has_selector) {
            // Both given: the clusters named that also match the selector.
            json selector = selector_json(entry.selector);
            for (const auto& requirement : selector.value("matchExpressions", json::array())) {
              target["clusterSelector"]["matchExpressions"].push_back(requirement);
            }
            if (selector.contains("matchLabels")) {
              target["clusterSelector"]["matchLabels"] = selector["matchLabels"];
            }
          }
        } else if (entry.has_selector) {
          target["clusterSelector"] = selector_json(entry.selector);
        }
        target["helm"] = {{"values", entry.values}};
        all.push_back(std::move(target));
      }
      for (const auto& target : targets) {
        all.push_back(target);
      }
      spec["targets"] = std::move(all);
      spec["targetRestrictions"] = targets;
    }
    json labels = base_labels(stack);
    labels["herd.suse.com/chart"] = label_value(chart.name);
    json bundle = {{"apiVersion", "fleet.cattle.io/v1alpha1"},
                   {"kind", "Bundle"},
                   {"metadata",
                    {{"name", chart_bundle_name(stack, chart.name)},
                     {"namespace", stack.workspace},
                     {"labels", labels}}},
                   {"spec", std::move(spec)}};
    stamp(bundle);
    rendered.bundles.push_back({chart.name, std::move(bundle)});
  }
  return rendered;
}

} // namespace herd::core
