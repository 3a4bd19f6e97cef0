#include <herd/core/bundle_renderer.hpp>
#include <herd/core/dependency_graph.hpp>
#include <herd/core/go_duration.hpp>
#include <herd/core/json_path.hpp>
#include <herd/core/rule_catalog.hpp>
#include <herd/core/stack_rules.hpp>
#include <herd/core/suggestion.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <unordered_map>

namespace herd::core {

namespace {

constexpr std::size_t k_cycle_names_shown = 20;

void check_names(const Stack& stack, DiagnosticSink& sink) {
  std::unordered_map<std::string, std::size_t> first;
  first.reserve(stack.charts.size());
  for (const Chart& chart : stack.charts) {
    if (chart.name.empty()) {
      continue;
    }
    const auto [it, inserted] = first.emplace(chart.name, chart.index);
    if (!inserted) {
      sink.error(rules::duplicate_chart, chart_path(chart) + ".name",
                 "chart name \"" + chart.name + "\" is already used by " +
                     join_path("spec.charts", it->second));
    }
  }
}

void check_dependencies(const Stack& stack, const DependencyGraph& graph, DiagnosticSink& sink) {
  std::vector<std::string> names;
  for (const Chart& chart : stack.charts) {
    const std::string path = chart_path(chart) + ".dependsOn";
    for (std::size_t entry = 0; entry < chart.depends_on.size(); ++entry) {
      const std::string& dependency = chart.depends_on[entry];
      if (dependency == chart.name) {
        sink.error(rules::self_dependency, join_path(path, entry),
                   "chart \"" + chart.name + "\" depends on itself");
      } else if (graph.find(dependency) == SIZE_MAX) {
        if (names.empty()) {
          for (const Chart& other : stack.charts) {
            names.push_back(other.name);
          }
        }
        sink.error(rules::unknown_dependency, join_path(path, entry),
                   "chart \"" + chart.name + "\" depends on unknown chart \"" + dependency + "\"" +
                       did_you_mean(dependency, names));
      }
    }
  }
  for (const auto& cycle : graph.cycles()) {
    std::string text;
    const std::size_t shown = std::min(cycle.size(), k_cycle_names_shown);
    for (std::size_t i = 0; i < shown; ++i) {
      text += stack.charts[cycle[i]].name + " -> ";
    }
    if (shown < cycle.size()) {
      text += "... (" + std::to_string(cycle.size() - shown) + " more) -> ";
    }
    text += stack.charts[cycle[0]].name;
    // Point at the first chart's dependsOn entry that closes the loop.
    const std::size_t next = cycle.size() > 1 ? cycle[1] : cycle[0];
    std::size_t entry = 0;
    for (const auto& edge : graph.dependencies(cycle[0])) {
      if (edge.to == next) {
        entry = edge.entry;
      }
    }
    sink.error(rules::dependency_cycle, join_path(chart_path(stack.charts[cycle[0]]) + ".dependsOn", entry),
               "dependency cycle: " + text);
  }
}

void check_releases(const Stack& stack, DiagnosticSink& sink) {
  std::map<std::pair<std::string, std::string>, const Chart*> releases;
  for (const Chart& chart : stack.charts) {
    if (chart.release_name.empty()) {
      continue;
    }
    const auto [it, inserted] = releases.emplace(std::pair{chart.namespace_name, chart.release_name}, &chart);
    if (!inserted) {
      sink.error(rules::release_collision, chart_path(chart) + ".releaseName",
                 "charts \"" + it->second->name + "\" and \"" + chart.name + "\" both install release \"" +
                     chart.release_name + "\" in namespace \"" + chart.namespace_name + "\"");
    }
  }
}

void check_selector(const LabelSelector& selector, const std::string& path, DiagnosticSink& sink) {
  for (std::size_t i = 0; i < selector.match_expressions.size(); ++i) {
    const LabelRequirement& requirement = selector.match_expressions[i];
    const std::string at = join_path(path + ".matchExpressions", i);
    const bool needs_values = requirement.op == "In" || requirement.op == "NotIn";
    const bool takes_none = requirement.op == "Exists" || requirement.op == "DoesNotExist";
    if (needs_values && requirement.values.empty()) {
      sink.error(rules::selector_requirement, at, "operator " + requirement.op + " needs at least one value");
    } else if (takes_none && !requirement.values.empty()) {
      sink.error(rules::selector_requirement, at + ".values",
                 "operator " + requirement.op + " takes no values");
    }
  }
}

void check_charts(const Stack& stack, DiagnosticSink& sink) {
  if (stack.targets.has_selector) {
    check_selector(stack.targets.selector, "spec.targets.selector", sink);
  }
  for (const Chart& chart : stack.charts) {
    // The schema checks the form; only the range is left (a well-formed duration Go cannot represent).
    if (!chart.timeout.empty() && parse_go_duration(chart.timeout, false) &&
        !parse_go_duration(chart.timeout)) {
      sink.error(rules::timeout_not_duration, chart_path(chart) + ".timeout",
                 "timeout \"" + chart.timeout + "\" is longer than Go's longest duration (2562047h)");
    }
    if (!chart.timeout.empty() && !chart.wait) {
      sink.warning(rules::timeout_without_wait, chart_path(chart) + ".timeout",
                   "timeout has no effect on chart \"" + chart.name + "\" without wait: true");
    }
    for (std::size_t i = 0; i < chart.overrides.size(); ++i) {
      if (chart.overrides[i].has_selector) {
        check_selector(chart.overrides[i].selector,
                       join_path(chart_path(chart) + ".overrides", i) + ".selector", sink);
      }
    }
  }
}

bool mentions_gpu(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text.find("gpu") != std::string::npos;
}

// Whether the Stack's targets say anything about GPUs (a label, a cluster id or group naming them).
bool targets_gpu_clusters(const StackTargets& targets) {
  if (std::any_of(targets.cluster_ids.begin(), targets.cluster_ids.end(), mentions_gpu) ||
      mentions_gpu(targets.cluster_group)) {
    return true;
  }
  const auto& labels = targets.selector.match_labels;
  const auto& expressions = targets.selector.match_expressions;
  return std::any_of(
             labels.begin(), labels.end(),
             [](const auto& label) { return mentions_gpu(label.first) || mentions_gpu(label.second); }) ||
         std::any_of(expressions.begin(), expressions.end(), [](const auto& requirement) {
           return mentions_gpu(requirement.key) ||
                  std::any_of(requirement.values.begin(), requirement.values.end(), mentions_gpu);
         });
}

// The path (under values.inline) of the first `nvidia.com/gpu` key, or empty. Iterative: values are user
// input.
std::string find_gpu_request(const nlohmann::json& values, const std::string& base) {
  std::vector<std::pair<const nlohmann::json*, std::string>> pending{{&values, base}};
  while (!pending.empty()) {
    auto [value, path] = pending.back();
    pending.pop_back();
    if (value->is_object()) {
      for (const auto& [key, child] : value->items()) {
        if (key == "nvidia.com/gpu") {
          return join_path(path, key);
        }
        pending.emplace_back(&child, join_path(path, key));
      }
    } else if (value->is_array()) {
      for (std::size_t i = 0; i < value->size(); ++i) {
        pending.emplace_back(&(*value)[i], join_path(path, i));
      }
    }
  }
  return {};
}

void check_fleet_mapping(const Stack& stack, DiagnosticSink& sink) {
  const bool gpu_targets = targets_gpu_clusters(stack.targets);
  std::unordered_map<std::string, std::string> bundles; // Bundle name -> what it belongs to
  bundles.emplace(policy_bundle_name(stack), "the policy Bundle");
  for (const Chart& chart : stack.charts) {
    if (!gpu_targets) {
      const std::string request = find_gpu_request(chart.inline_values, chart_path(chart) + ".values.inline");
      if (!request.empty()) {
        sink.warning(
            rules::gpu_without_gpu_targets, request,
            "chart \"" + chart.name +
                "\" requests nvidia.com/gpu, but no target of the Stack selects GPU clusters; its pods "
                "stay Pending on clusters without GPUs");
      }
    }
    if (chart.name.empty()) {
      continue;
    }
    const std::string name = chart_bundle_name(stack, chart.name);
    const auto [it, inserted] = bundles.emplace(name, "chart \"" + chart.name + "\"");
    if (!inserted && it->second != "chart \"" + chart.name + "\"") {
      sink.error(rules::bundle_name_collision, chart_path(chart) + ".name",
                 "chart \"" + chart.name + "\" would get the Fleet Bundle name \"" + name +
                     "\", already used by " + it->second);
    }
  }
}

// Clusters are unknown offline (and to the webhook), so a target stays within the tenancy selector only when
// its own selector implies it; cluster ids and groups cannot be shown to, and are refused under a
// restriction.
void check_tenancy_targets(const Stack& stack,
                           const std::string& namespace_name,
                           const TenancyRule& tenancy,
                           const Policy& policy,
                           DiagnosticSink& sink) {
  if (tenancy.cluster_selector.empty()) {
    return;
  }
  const std::string allowed = format_selector(tenancy.cluster_selector);
  const std::string restriction = "policy \"" + policy.name + "\" restricts Stacks in namespace \"" +
                                  namespace_name + "\" to clusters matching " + allowed;
  if (stack.targets.has_selector && !selector_implies(stack.targets.selector, tenancy.cluster_selector)) {
    const std::string own = format_selector(stack.targets.selector);
    sink.error(rules::targets_outside_tenancy, "spec.targets.selector",
               "selector {" + own + "} may reach clusters outside the tenancy: " + restriction +
                   "; add those requirements to the selector");
  }
  if (!stack.targets.cluster_ids.empty()) {
    sink.error(rules::targets_outside_tenancy, "spec.targets.clusterIds",
               "cluster ids cannot be checked against the tenancy: " + restriction +
                   "; target them with a selector that includes those requirements");
  }
  if (!stack.targets.cluster_group.empty()) {
    sink.error(rules::targets_outside_tenancy, "spec.targets.clusterGroup",
               "cluster group \"" + stack.targets.cluster_group +
                   "\" cannot be checked against the tenancy: " + restriction +
                   "; target the clusters with a selector that includes those requirements");
  }
}

void check_policy(const Stack& stack, const Policy& policy, DiagnosticSink& sink) {
  const EnvironmentPolicy& environment = policy.environment(stack.env);
  std::string allowed;
  for (const auto& scheme : environment.allowed_repo_schemes) {
    allowed += (allowed.empty() ? "" : ", ") + scheme + "://";
  }
  for (const Chart& chart : stack.charts) {
    const std::size_t colon = chart.repo.find("://");
    if (colon == std::string::npos) {
      continue; // the schema reports malformed URLs
    }
    const std::string scheme = chart.repo.substr(0, colon);
    if (std::find(environment.allowed_repo_schemes.begin(), environment.allowed_repo_schemes.end(), scheme) ==
        environment.allowed_repo_schemes.end()) {
      std::string message = "repo \"" + chart.repo + "\" uses ";
      message += scheme;
      message += "://, which policy \"";
      message += policy.name;
      message += "\" does not allow for env ";
      message += stack.env;
      message += " (allowed: ";
      message += allowed;
      message += ")";
      sink.error(rules::repo_scheme, chart_path(chart) + ".repo", message);
    }
  }
  if (stack.charts.size() > environment.max_charts) {
    sink.error(rules::too_many_charts, "spec.charts",
               "the Stack has " + std::to_string(stack.charts.size()) + " charts; policy \"" + policy.name +
                   "\" allows at most " + std::to_string(environment.max_charts) + " for env " + stack.env);
  }
  const std::string namespace_name = stack.namespace_name.empty() ? "default" : stack.namespace_name;
  const TenancyRule* tenancy = policy.tenancy_for(namespace_name);
  if (tenancy == nullptr) {
    sink.error(rules::workspace_not_allowed, "metadata.namespace",
               "policy \"" + policy.name + "\" allows no Stacks in namespace \"" + namespace_name + "\"");
  } else if (!tenancy->workspaces.empty() && std::find(tenancy->workspaces.begin(), tenancy->workspaces.end(),
                                                       stack.workspace) == tenancy->workspaces.end()) {
    std::string list;
    for (const auto& workspace : tenancy->workspaces) {
      list += (list.empty() ? "" : ", ") + workspace;
    }
    sink.error(rules::workspace_not_allowed, "spec.workspace",
               "Stacks in namespace \"" + namespace_name + "\" may not use Fleet workspace \"" +
                   stack.workspace + "\" (policy \"" + policy.name + "\" allows: " + list + ")");
  }
  if (tenancy != nullptr) {
    check_tenancy_targets(stack, namespace_name, *tenancy, policy, sink);
  }
}

} // namespace

void check_stack_rules(const Stack& stack, const Policy& policy, DiagnosticSink& sink) {
  const DependencyGraph graph(stack.charts);
  check_names(stack, sink);
  check_dependencies(stack, graph, sink);
  check_releases(stack, sink);
  check_charts(stack, sink);
  check_fleet_mapping(stack, sink);
  check_policy(stack, policy, sink);
}

void check_stack_update(const Stack& old_stack, const Stack& stack, DiagnosticSink& sink) {
  for (const Chart& chart : stack.charts) {
    const auto previous = std::find_if(old_stack.charts.begin(), old_stack.charts.end(),
                                       [&](const Chart& old_chart) { return old_chart.name == chart.name; });
    if (previous == old_stack.charts.end()) {
      continue;
    }
    if (!previous->namespace_name.empty() && chart.namespace_name != previous->namespace_name) {
      sink.error(
          rules::immutable_field, chart_path(chart) + ".namespace",
          "Invalid value: \"" + chart.namespace_name + "\": field is immutable (was \"" +
              previous->namespace_name +
              "\"); moving a Helm release between namespaces requires deleting and re-adding the chart");
    }
    if (!previous->release_name.empty() && chart.release_name != previous->release_name) {
      sink.error(rules::immutable_field, chart_path(chart) + ".releaseName",
                 "Invalid value: \"" + chart.release_name + "\": field is immutable (was \"" +
                     previous->release_name +
                     "\"); renaming a Helm release requires deleting and re-adding the chart");
    }
  }
}

} // namespace herd::core
