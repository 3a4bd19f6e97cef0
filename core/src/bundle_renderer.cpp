#include <herd/core/bundle_renderer.hpp>
#include <herd/core/dependency_graph.hpp>
#include <herd/core/go_duration.hpp>
#include <herd/core/policy_template.hpp>
#include <herd/core/sha256.hpp>
#include <herd/core/yaml_loader.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <unordered_map>

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

// Writes the compact JSON text nlohmann::json::dump() would give, straight into a string: rendering a
// 10,000-chart Stack as json objects cost ~50 small allocations per Bundle, built and freed again, and
// glibc's malloc spent more time on them than the rendering did. Keys must be appended in dump()'s (sorted)
// order; the tests parse every rendered Bundle and check that dumping it again gives the same bytes.
class JsonText {
public:
  explicit JsonText(std::string& out) : m_out(out) {}

  void begin_object() { m_out += '{'; }
  void end_object() { m_out += '}'; }
  void begin_array() { m_out += '['; }
  void end_array() { m_out += ']'; }
  // Starts a member; the comma before it is implied by what precedes.
  void key(std::string_view name) {
    separate();
    string(name);
    m_out += ':';
  }
  // Starts an array element.
  void element() { separate(); }
  // Escapes as dump() does: the two-character escapes, \u00XX for other control characters, everything else
  // as is. Text with bytes above 0x7F goes through nlohmann itself, for its UTF-8 check.
  void string(std::string_view text) {
    const bool ascii =
        std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (!ascii) {
      m_out += json(text).dump();
      return;
    }
    m_out += '"';
    std::size_t run = 0; // the start of the characters not yet written, which need no escape
    for (std::size_t i = 0; i < text.size(); ++i) {
      const auto byte = static_cast<unsigned char>(text[i]);
      if (byte >= 0x20 && byte != '"' && byte != '\\') {
        continue;
      }
      m_out.append(text.substr(run, i - run));
      run = i + 1;
      switch (byte) {
      case '"':
        m_out += "\\\"";
        break;
      case '\\':
        m_out += "\\\\";
        break;
      case '\b':
        m_out += "\\b";
        break;
      case '\f':
        m_out += "\\f";
        break;
      case '\n':
        m_out += "\\n";
        break;
      case '\r':
        m_out += "\\r";
        break;
      case '\t':
        m_out += "\\t";
        break;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        m_out += "\\u00";
        m_out += hex[byte >> 4];
        m_out += hex[byte & 0xF];
      }
      }
    }
    m_out.append(text.substr(run));
    m_out += '"';
  }
  void boolean(bool value) { m_out += value ? "true" : "false"; }
  void integer(std::int64_t value) { m_out += std::to_string(value); }
  // Text that is already compact JSON.
  void raw(std::string_view text) { m_out += text; }
  void value(const json& value) { m_out += value.dump(); }

private:
  void separate() {
    if (!m_out.empty() && m_out.back() != '{' && m_out.back() != '[' && m_out.back() != ':') {
      m_out += ',';
    }
  }

  std::string& m_out;
};

// A Bundle's labels as text: Herd's own three plus `key` (herd.suse.com/chart or herd.suse.com/component,
// both sorting between them) set to `value`.
std::string bundle_labels(const Stack& stack, std::string_view key, const std::string& value) {
  std::string out;
  JsonText text(out);
  text.begin_object();
  text.key("app.kubernetes.io/managed-by");
  text.string("herd");
  text.key(key);
  text.string(label_value(value));
  text.key("herd.suse.com/stack");
  text.string(label_value(stack.name));
  text.key("herd.suse.com/stack-namespace");
  text.string(label_value(stack.namespace_name.empty() ? "default" : stack.namespace_name));
  text.end_object();
  return out;
}

// Assembles a Bundle from its parts, adding the single rendered-hash annotation: a hash of everything
// rendered (the labels and the spec; no generation, no timestamp), so an unchanged Stack renders
// byte-identical Bundles and the reconciler can skip them.
std::string bundle_text(const std::string& name,
                        const std::string& workspace,
                        const std::string& labels,
                        const std::string& spec) {
  Sha256 hash;
  hash.update(labels);
  hash.update(spec);
  std::string out;
  out.reserve(labels.size() + spec.size() + name.size() + workspace.size() + 200);
  JsonText text(out);
  text.begin_object();
  text.key("apiVersion");
  text.string("fleet.cattle.io/v1alpha1");
  text.key("kind");
  text.string("Bundle");
  text.key("metadata");
  text.begin_object();
  text.key("annotations");
  text.begin_object();
  text.key(k_rendered_hash_annotation);
  text.string(hash.hex_digest());
  text.end_object();
  text.key("labels");
  text.raw(labels);
  text.key("name");
  text.string(name);
  text.key("namespace");
  text.string(workspace);
  text.end_object();
  text.key("spec");
  text.raw(spec);
  text.end_object();
  return out;
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

std::optional<RenderedBundle> render_policy_bundle(const Stack& stack,
                                                   const Policy& policy,
                                                   const FeatureNamespaceMetadata& namespace_meta,
                                                   const std::string& targets) {
  // Resource name and content: kept as strings, not json, since a 10,000-chart Stack has thousands.
  std::vector<std::pair<std::string, std::string>> resources;
  auto add_resource = [&](const json& manifest) {
    const json& metadata = manifest.value("metadata", json::object());
    std::string name = manifest.value("kind", std::string("resource")) + "-";
    if (metadata.contains("namespace") && metadata["namespace"].is_string()) {
      name += metadata["namespace"].get<std::string>() + "-";
    }
    name += metadata.value("name", std::string("unnamed")) + ".yaml";
    resources.emplace_back(std::move(name), manifest_content(manifest));
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
  const std::string name = policy_bundle_name(stack);
  std::string spec;
  JsonText text(spec);
  text.begin_object();
  text.key("defaultNamespace");
  text.string(stack.charts.empty() ? std::string("default") : stack.charts.front().namespace_name);
  if (stack.force_sync_generation > 0) {
    text.key("forceSyncGeneration");
    text.integer(stack.force_sync_generation);
  }
  text.key("helm");
  text.begin_object();
  text.key("disablePreProcess");
  text.boolean(true);
  text.key("releaseName");
  text.string(name); // unique per Stack namespace too: two Stacks may share a chart namespace
  text.key("takeOwnership");
  text.boolean(true);
  text.key("timeoutSeconds");
  text.integer(0);
  text.end_object();
  text.key("paused");
  text.boolean(stack.paused);
  text.key("resources");
  text.begin_array();
  auto write_resource = [&](const std::string& resource_name, const std::string& content) {
    text.element();
    text.begin_object();
    text.key("content");
    text.string(content);
    text.key("name");
    text.string(resource_name);
    text.end_object();
  };
  // The chart namespaces come first: they must exist before the namespaced policy objects in them. Helm keeps
  // them on uninstall (they hold the workloads), and takeOwnership lets the policy Bundle adopt namespaces
  // that already exist.
  std::set<std::string_view> seen_namespaces;
  for (const auto& chart : stack.charts) {
    if (seen_namespaces.insert(chart.namespace_name).second) {
      json manifest = {
          {"apiVersion", "v1"},
          {"kind", "Namespace"},
          {"metadata",
           {{"name", chart.namespace_name}, {"annotations", {{"helm.sh/resource-policy", "keep"}}}}}};
      merge_values(manifest["metadata"]["annotations"], namespace_meta.annotations);
      if (!namespace_meta.labels.empty()) {
        manifest["metadata"]["labels"] = namespace_meta.labels;
      }
      write_resource("Namespace-" + chart.namespace_name + ".yaml", manifest_content(manifest));
    }
  }
  for (const auto& [resource_name, content] : resources) {
    write_resource(resource_name, content);
  }
  text.end_array();
  text.key("targets");
  text.raw(targets);
  text.end_object();
  return RenderedBundle("", bundle_text(name, stack.workspace,
                                        bundle_labels(stack, "herd.suse.com/component", "policy"), spec));
}

} // namespace

struct RenderedBundle::Parsed {
  std::once_flag once;
  json object;
};

RenderedBundle::RenderedBundle(std::string chart, std::string text)
    : m_chart(std::move(chart)), m_text(std::move(text)), m_parsed(std::make_shared<Parsed>()) {}

const json& RenderedBundle::object() const {
  std::call_once(m_parsed->once, [this] { m_parsed->object = json::parse(m_text); });
  return m_parsed->object;
}

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

namespace {

// The injected pointers under each chart's inline values, relative to them ("/a/b"), by chart index: looked
// up once per chart instead of scanning every pointer for every chart.
std::unordered_map<std::size_t, std::vector<std::string_view>> injected_values_by_chart(const Stack& stack) {
  constexpr std::string_view prefix = "/spec/charts/";
  constexpr std::string_view values = "/values/inline/";
  std::unordered_map<std::size_t, std::vector<std::string_view>> out;
  for (const std::string& pointer : stack.injected_pointers) {
    const std::string_view text = pointer;
    if (text.substr(0, prefix.size()) != prefix) {
      continue;
    }
    std::size_t end = prefix.size();
    std::size_t index = 0;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9' && end - prefix.size() < 18) {
      index = index * 10 + static_cast<std::size_t>(text[end] - '0');
      ++end;
    }
    if (end == prefix.size() || text.substr(end, values.size()) != values) {
      continue;
    }
    out[index].push_back(text.substr(end + values.size() - 1)); // keeps the leading '/'
  }
  return out;
}

// The chart's helm.values: ConfigMap values, then inline values over them, then the policy's injected values
// under any ConfigMap value (policy overlays fill only what the user left unset, and a ConfigMap value is set
// by the user). nullopt with no ConfigMaps: the inline values are used as they are, without a copy.
std::optional<json> merged_values(const Chart& chart,
                                  const std::vector<std::string_view>* injected,
                                  const ConfigMapValues& config_maps,
                                  std::vector<std::string>& unresolved) {
  if (chart.config_map_refs.empty()) {
    return std::nullopt;
  }
  json values = json::object();
  for (const auto& reference : chart.config_map_refs) {
    std::optional<json> found = config_maps ? config_maps(reference.name, reference.key) : std::nullopt;
    if (found && found->is_object()) {
      merge_values(values, *found);
    } else {
      unresolved.push_back(reference.name + "/" + reference.key);
    }
  }
  const json from_config_maps = values;
  merge_values(values, chart.inline_values);
  if (injected != nullptr) {
    for (const std::string_view pointer : *injected) {
      const json::json_pointer relative{std::string(pointer)};
      if (from_config_maps.contains(relative)) {
        json overlay = values[relative];
        merge_values(overlay, from_config_maps[relative]);
        values[relative] = std::move(overlay);
      }
    }
  }
  return values;
}

json override_targets(const Chart& chart, const json& targets) {
  // Overrides come first (Fleet applies the first matching target's customization); the restrictions keep the
  // override targets from reaching clusters the Stack does not target.
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
  return all;
}

} // namespace

RenderedStack render_bundles(const Stack& stack, const Policy& policy, const ConfigMapValues& config_maps) {
  RenderedStack rendered;
  rendered.bundles.reserve(stack.charts.size() + 1);
  const json targets = stack_targets(stack.targets);
  const std::string targets_text = targets.dump();
  // What every Bundle shares, written once.
  const FeatureNamespaceMetadata namespace_meta = namespace_metadata(stack, policy);
  std::optional<RenderedBundle> policy_bundle =
      render_policy_bundle(stack, policy, namespace_meta, targets_text);
  const std::string policy_name = policy_bundle ? policy_bundle_name(stack) : "";
  if (policy_bundle) {
    rendered.bundles.push_back(std::move(*policy_bundle));
  }
  const std::string namespace_labels = namespace_meta.labels.empty() ? "" : namespace_meta.labels.dump();
  const std::string namespace_annotations =
      namespace_meta.annotations.empty() ? "" : namespace_meta.annotations.dump();
  const DependencyGraph graph(stack.charts);
  std::vector<std::string> names;
  names.reserve(stack.charts.size());
  for (const Chart& chart : stack.charts) {
    names.push_back(chart_bundle_name(stack, chart.name));
  }
  const auto injected = injected_values_by_chart(stack);

  std::string spec;
  for (std::size_t c = 0; c < stack.charts.size(); ++c) {
    const Chart& chart = stack.charts[c];
    const auto injected_here = injected.find(chart.index);
    const std::optional<json> values =
        merged_values(chart, injected_here == injected.end() ? nullptr : &injected_here->second, config_maps,
                      rendered.unresolved_config_maps);
    const json& helm_values = values ? *values : chart.inline_values;

    spec.clear();
    JsonText text(spec);
    text.begin_object();
    text.key("defaultNamespace");
    text.string(chart.namespace_name);
    // The graph's edges: dependsOn in order without unknown names, the chart itself or repeats (the schema
    // forbids repeats), and no name lookups here: on large Stacks those random probes grow faster than the
    // chart count.
    const std::span<const DependencyGraph::Edge> dependencies = graph.dependencies(c);
    if (!policy_name.empty() || !dependencies.empty()) {
      text.key("dependsOn");
      text.begin_array();
      if (!policy_name.empty()) {
        text.element();
        text.begin_object();
        text.key("name");
        text.string(policy_name);
        text.end_object();
      }
      for (const DependencyGraph::Edge& edge : dependencies) {
        text.element();
        text.begin_object();
        text.key("name");
        text.string(names[edge.to]);
        text.end_object();
      }
      text.end_array();
    }
    // `kubectl herd rollout restart` bumps either counter; their sum only grows, and Fleet redeploys when it
    // changes. Absent when never restarted, so existing Bundles render unchanged.
    if (const std::int64_t generation = stack.force_sync_generation + chart.force_sync_generation;
        generation > 0) {
      text.key("forceSyncGeneration");
      text.integer(generation);
    }
    text.key("helm");
    text.begin_object();
    text.key("chart");
    text.string(chart.chart);
    text.key("disablePreProcess");
    text.boolean(true);
    text.key("releaseName");
    text.string(chart.release_name);
    text.key("repo");
    text.string(chart.repo);
    text.key("timeoutSeconds");
    if (chart.wait) {
      const std::optional<double> seconds = parse_go_duration(chart.timeout.empty() ? "5m" : chart.timeout);
      text.integer(static_cast<std::int64_t>(std::ceil(seconds.value_or(300.0))));
    } else {
      text.integer(0); // Fleet waits only when the timeout is positive
    }
    if (!helm_values.empty()) {
      text.key("values");
      text.value(helm_values);
    }
    if (!chart.secret_refs.empty()) {
      text.key("valuesFrom");
      text.begin_array();
      for (const auto& reference : chart.secret_refs) {
        text.element();
        text.begin_object();
        text.key("secretKeyRef");
        text.begin_object();
        text.key("key");
        text.string(reference.key);
        text.key("name");
        text.string(reference.name);
        text.key("namespace");
        text.string(chart.namespace_name);
        text.end_object();
        text.end_object();
      }
      text.end_array();
    }
    text.key("version");
    text.string(chart.version);
    if (chart.wait) {
      text.key("waitForJobs");
      text.boolean(true);
    }
    text.end_object();
    text.key("helmOpOptions");
    text.raw("{}");
    if (!namespace_annotations.empty()) {
      text.key("namespaceAnnotations");
      text.raw(namespace_annotations);
    }
    if (!namespace_labels.empty()) {
      text.key("namespaceLabels");
      text.raw(namespace_labels);
    }
    text.key("paused");
    text.boolean(stack.paused);
    if (chart.overrides.empty()) {
      text.key("targets");
      text.raw(targets_text);
    } else {
      text.key("targetRestrictions");
      text.raw(targets_text);
      text.key("targets");
      text.value(override_targets(chart, targets));
    }
    text.end_object();
    rendered.bundles.emplace_back(chart.name,
                                  bundle_text(names[c], stack.workspace,
                                              bundle_labels(stack, "herd.suse.com/chart", chart.name), spec));
  }
  return rendered;
}

} // namespace herd::core
