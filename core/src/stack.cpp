#include <herd/core/json_member.hpp>
#include <herd/core/json_path.hpp>
#include <herd/core/stack.hpp>

namespace herd::core {

namespace {

using nlohmann::json;

bool bool_at(const json& object, const char* key, bool fallback = false) {
  const json& value = member(object, key);
  return value.is_boolean() ? value.get<bool>() : fallback;
}

std::vector<std::string> strings(const json& list) {
  std::vector<std::string> out;
  if (list.is_array()) {
    for (const auto& item : list) {
      if (item.is_string()) {
        out.push_back(item.get<std::string>());
      }
    }
  }
  return out;
}

std::vector<ValuesReference> references(const json& list) {
  std::vector<ValuesReference> out;
  if (list.is_array()) {
    for (const auto& item : list) {
      out.push_back({string_member(item, "name"), string_member(item, "key", "values.yaml")});
    }
  }
  return out;
}

} // namespace

bool is_stack_document(const json& document) {
  return document.is_object() && string_member(document, "kind") == k_kind &&
         string_member(document, "apiVersion").rfind("herd.suse.com/", 0) == 0;
}

std::string default_workspace(const StackTargets& targets) {
  if (!targets.has_selector && targets.cluster_group.empty() && targets.cluster_ids.size() == 1 &&
      targets.cluster_ids[0] == "local") {
    return "fleet-local";
  }
  return "fleet-default";
}

std::string chart_path(const Chart& chart) {
  return join_path("spec.charts", chart.index);
}

std::string chart_force_sync_annotation(std::string_view chart) {
  return std::string(k_chart_force_sync_annotation_prefix) + std::string(chart);
}

std::int64_t parse_force_sync_generation(const json& value) {
  constexpr std::size_t max_digits = 18; // fits int64 with room for the sum of two counters
  if (!value.is_string()) {
    return 0;
  }
  const auto& text = value.get_ref<const std::string&>();
  if (text.empty() || text.size() > max_digits) {
    return 0;
  }
  std::int64_t number = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return 0;
    }
    number = number * 10 + (c - '0');
  }
  return number;
}

Stack stack_from_json(const json& document) {
  Stack stack;
  const json& metadata = member(document, "metadata");
  stack.name = string_member(metadata, "name");
  stack.namespace_name = string_member(metadata, "namespace");
  const json& annotations = member(metadata, "annotations");
  const json& injected = member(annotations, "herd.suse.com/injected");
  if (injected.is_string()) {
    stack.injected_pointers = strings(json::parse(injected.get<std::string>(), nullptr, false));
  }
  stack.force_sync_generation = parse_force_sync_generation(member(annotations, k_force_sync_annotation));
  const json& spec = member(document, "spec");
  stack.env = string_member(spec, "env", "dev");
  stack.security = string_member(spec, "security") == "enabled";
  stack.observability = string_member(spec, "observability") == "enabled";
  stack.paused = bool_at(spec, "paused");
  const json& targets = member(spec, "targets");
  if (const json& selector = member(targets, "selector"); selector.is_object()) {
    stack.targets.has_selector = true;
    stack.targets.selector = label_selector_from_json(selector);
  }
  stack.targets.cluster_ids = strings(member(targets, "clusterIds"));
  stack.targets.cluster_group = string_member(targets, "clusterGroup");
  stack.workspace = string_member(spec, "workspace", default_workspace(stack.targets));

  const json& charts = member(spec, "charts");
  if (charts.is_array()) {
    stack.charts.reserve(charts.size());
    for (std::size_t i = 0; i < charts.size(); ++i) {
      const json& item = charts[i];
      Chart chart;
      chart.index = i;
      chart.name = string_member(item, "name");
      chart.repo = string_member(item, "repo");
      chart.chart = string_member(item, "chart", chart.name);
      chart.version = string_member(item, "version");
      chart.namespace_name = string_member(item, "namespace", chart.name);
      chart.release_name = string_member(item, "releaseName", chart.name);
      const json& values = member(item, "values");
      if (const json& inline_values = member(values, "inline"); inline_values.is_object()) {
        chart.inline_values = inline_values;
      }
      chart.config_map_refs = references(member(values, "configMapRefs"));
      chart.secret_refs = references(member(values, "secretRefs"));
      chart.depends_on = strings(member(item, "dependsOn"));
      chart.wait = bool_at(item, "wait");
      chart.timeout = string_member(item, "timeout");
      if (!chart.name.empty()) {
        chart.force_sync_generation =
            parse_force_sync_generation(member(annotations, chart_force_sync_annotation(chart.name).c_str()));
      }
      const json& overrides = member(item, "overrides");
      if (overrides.is_array()) {
        for (const auto& entry : overrides) {
          ChartOverride override_entry;
          override_entry.cluster_ids = strings(member(entry, "clusterIds"));
          if (const json& selector = member(entry, "selector"); selector.is_object()) {
            override_entry.has_selector = true;
            override_entry.selector = label_selector_from_json(selector);
          }
          if (const json& inline_values = member(member(entry, "values"), "inline");
              inline_values.is_object()) {
            override_entry.values = inline_values;
          }
          chart.overrides.push_back(std::move(override_entry));
        }
      }
      stack.charts.push_back(std::move(chart));
    }
  }
  return stack;
}

} // namespace herd::core
