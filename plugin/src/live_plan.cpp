#include "live_plan.hpp"

#include "bundle_diff.hpp"
#include "cluster_connection.hpp"
#include "input_files.hpp"
#include "policy_file.hpp"
#include "terminal.hpp"

#include <herd/controller/bundle_sync.hpp>
#include <herd/core/bundle_renderer.hpp>
#include <herd/core/diagnostic_sink.hpp>
#include <herd/core/linter.hpp>
#include <herd/core/stack.hpp>
#include <herd/core/yaml_loader.hpp>
#include <herd/core/yaml_writer.hpp>
#include <herd/kube/object_meta.hpp>
#include <herd/plugin/app.hpp>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

namespace herd::plugin {

namespace {

using nlohmann::json;

constexpr std::string_view k_fleet_hint = "is Fleet installed? Herd deploys through Fleet's CRDs";
constexpr std::size_t k_max_printed_value = 96; // characters of one value in the text diff

// A Stack to plan and where it came from.
struct StackSource {
  json document;
  std::string source;                          // the file, or stack.herd.suse.com/NAME
  std::shared_ptr<core::SourceMap> source_map; // positions of a file's findings; null for a stored Stack
};

// One Stack's plan, ready to print.
struct StackPlan {
  controller::StackRef stack;
  std::string source;
  std::string workspace;
  BundleChanges changes;
  std::map<std::string, TargetResolution> targets;  // by Bundle name (rendered Bundles only)
  std::map<std::string, std::string> cluster_names; // Fleet Cluster name -> display name
  std::size_t workspace_clusters = 0;
};

enum class Outcome { planned, invalid, api_error };

// The selector of Herd's labels of `stack`: its Bundles, in one list call.
std::string bundle_selector(const controller::StackRef& stack) {
  return std::string(controller::k_managed_by_label) + "=" + std::string(controller::k_managed_by_herd) +
         "," + std::string(controller::k_stack_label) + "=" + controller::stack_label_value(stack.name) +
         "," + std::string(controller::k_stack_namespace_label) + "=" +
         controller::stack_label_value(stack.namespace_name);
}

bool targets_cluster_groups(const core::RenderedStack& rendered) {
  for (const auto& bundle : rendered.bundles) {
    for (const char* list : {"targets", "targetRestrictions"}) {
      const json& spec = bundle.object()["spec"];
      if (!spec.contains(list)) {
        continue;
      }
      for (const auto& target : spec[list]) {
        if (target.contains("clusterGroup") || target.contains("clusterGroupSelector")) {
          return true;
        }
      }
    }
  }
  return false;
}

// A value for the text diff: JSON, cut when long (the -o json diff has it whole).
std::string printed(const std::optional<json>& value) {
  if (!value) {
    return "(none)";
  }
  std::string text = value->dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() <= k_max_printed_value) {
    return text;
  }
  if (value->is_object() || value->is_array()) { // the path names it; -o json has it whole
    return std::string(value->is_object() ? "{…}" : "[…]") + " (" + std::to_string(text.size()) +
           " characters)";
  }
  std::size_t cut = k_max_printed_value - 16;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) {
    --cut; // not inside a UTF-8 sequence
  }
  return text.substr(0, cut) + "… (" + std::to_string(text.size()) + " characters)";
}

class LivePlanner {
public:
  LivePlanner(const CommandContext& context, ClusterConnection& cluster, core::Linter& linter)
      : m_context(context), m_cluster(cluster), m_linter(linter),
        m_finding_color(use_color(context.global.color, 2)) {}

  Outcome plan(StackSource input, std::vector<StackPlan>& plans) {
    json& document = input.document;
    if (!document["metadata"].is_object()) {
      document["metadata"] = json::object();
    }
    const std::string stated = kube::metadata_string(document, "namespace");
    if (stated.empty()) {
      document["metadata"]["namespace"] = m_cluster.namespace_name;
    } else if (!m_context.global.namespace_name.empty() && stated != m_context.global.namespace_name) {
      // kubectl apply refuses the same mismatch.
      m_context.err << "error: the namespace from the provided object \"" << stated
                    << "\" does not match the namespace \"" << m_context.global.namespace_name
                    << "\". You must pass '--namespace=" << stated << "' to perform this operation.\n";
      return Outcome::invalid;
    }
    const bool deleting = !kube::metadata_string(document, "deletionTimestamp").empty();
    document.erase("status");

    core::Diagnostics findings;
    core::DiagnosticSink sink(findings, input.source, input.source_map.get());
    json effective;
    m_linter.check_stack(std::move(document), sink, nullptr, &effective);
    for (const auto& finding : findings) {
      m_context.err << core::format_diagnostic(finding, m_finding_color) << '\n';
    }
    if (core::has_errors(findings)) {
      m_context.err << "kubectl herd: error: not planning the invalid Stack in " << input.source << '\n';
      return Outcome::invalid;
    }
    const core::Stack model = core::stack_from_json(effective);
    StackPlan plan;
    plan.stack = controller::stack_ref(effective);
    plan.source = input.source;
    const std::string stack_name = plan.stack.namespace_name + "/" + plan.stack.name;

    core::RenderedStack rendered;
    if (deleting) {
      // The reconciler renders nothing for a Stack being deleted: it deletes its Bundles, then lets it go.
      warn("Stack " + stack_name + " is being deleted: its Bundles go with it");
    } else if (const Outcome outcome = render(model, plan.stack, input.source, rendered);
               outcome != Outcome::planned) {
      return outcome;
    }
    plan.workspace = model.workspace;

    // The Bundles that exist: the Stack's (Herd's labels) and whatever holds a rendered name, as the
    // reconciler gathers them.
    kube::ListOptions by_labels;
    by_labels.label_selector = bundle_selector(plan.stack);
    kube::ApiResult<kube::ObjectList> listed =
        m_cluster.client->list(kube::resources::bundles, plan.workspace, by_labels);
    if (!listed) {
      report_api_error(listed.error(), m_cluster, m_context.err, "bundles.fleet.cattle.io", k_fleet_hint);
      return Outcome::api_error;
    }
    std::vector<json> live = std::move(listed->items);
    std::set<std::pair<std::string, std::string>> listed_names;
    for (const auto& bundle : live) {
      listed_names.emplace(kube::metadata_string(bundle, "namespace"), kube::metadata_string(bundle, "name"));
    }
    std::vector<std::pair<std::string, std::string>> unseen;
    for (const auto& bundle : rendered.bundles) {
      std::pair key{kube::metadata_string(bundle.object(), "namespace"),
                    kube::metadata_string(bundle.object(), "name")};
      if (!listed_names.contains(key)) {
        unseen.push_back(std::move(key));
      }
    }
    if (!read_bundles_named(unseen, live)) {
      return Outcome::api_error;
    }
    plan.changes = diff_bundles(plan.stack, rendered, live);

    const std::vector<json>* clusters = fleet_clusters(plan.workspace);
    if (clusters == nullptr) {
      return Outcome::api_error;
    }
    const std::vector<json>* groups = &m_no_objects;
    if (targets_cluster_groups(rendered)) {
      groups = cluster_groups(plan.workspace);
      if (groups == nullptr) {
        return Outcome::api_error;
      }
    }
    plan.workspace_clusters = clusters->size();
    for (const auto& cluster : *clusters) {
      plan.cluster_names[kube::metadata_string(cluster, "name")] = cluster_display_name(cluster);
    }
    for (const auto& bundle : rendered.bundles) {
      TargetResolution resolution = resolve_targets(bundle.object(), *clusters, *groups);
      for (const auto& target : resolution.targets) {
        // An override belongs to one chart; the Stack's targets are in every Bundle (warned once).
        const bool chart_target = target.name.starts_with("override-");
        std::string where = "Stack " + stack_name;
        if (chart_target) {
          where += " chart " + bundle.chart();
        }
        if (target.clusters.empty()) {
          warn(where + ": target \"" + target.name + "\" (" + target.description +
               ") matches no Fleet Cluster in workspace " + plan.workspace);
          continue;
        }
        for (const auto& id : target.missing_cluster_ids) {
          std::string message = where;
          message += ": cluster id " + id + " (target \"" + target.name +
                     "\") matches no Fleet Cluster in workspace " + plan.workspace;
          warn(message);
        }
      }
      plan.targets.emplace(kube::metadata_string(bundle.object(), "name"), std::move(resolution));
    }
    plans.push_back(std::move(plan));
    return Outcome::planned;
  }

  [[nodiscard]] const std::vector<std::string>& warnings() const { return m_warnings; }

private:
  // Renders `model` as the reconciler does, with ConfigMap values read from the cluster through the same
  // function: a missing ConfigMap or key is an error there too.
  Outcome render(const core::Stack& model,
                 const controller::StackRef& stack,
                 const std::string& source,
                 core::RenderedStack& rendered) {
    std::map<std::string, std::optional<json>> config_maps;
    for (const auto& chart : model.charts) {
      for (const auto& reference : chart.config_map_refs) {
        if (config_maps.contains(reference.name)) {
          continue;
        }
        kube::ApiResult<json> found =
            m_cluster.client->get(kube::resources::config_maps, stack.namespace_name, reference.name);
        if (!found && !found.error().not_found()) {
          report_api_error(found.error(), m_cluster, m_context.err, "configmaps", {});
          return Outcome::api_error;
        }
        config_maps.emplace(reference.name,
                            found ? std::optional<json>(std::move(found.value())) : std::nullopt);
      }
    }
    std::vector<std::string> problems;
    const core::ConfigMapValues values = [&](const std::string& name,
                                             const std::string& key) -> std::optional<json> {
      const auto found = config_maps.find(name);
      const json* object = found != config_maps.end() && found->second ? &*found->second : nullptr;
      core::Result<json> read = core::config_map_values(object, stack.namespace_name, name, key);
      if (!read) {
        problems.push_back(read.error().message);
        return std::nullopt;
      }
      return std::move(read.value());
    };
    rendered = core::render_bundles(model, m_linter.policy(), values);
    if (!problems.empty()) {
      for (const auto& problem : problems) {
        m_context.err << "error: Stack " << stack.namespace_name << "/" << stack.name << ": " << problem
                      << '\n';
      }
      m_context.err << "kubectl herd: error: not planning the Stack in " << source
                    << ": the reconciler would not render it either\n";
      return Outcome::invalid;
    }
    return Outcome::planned;
  }

  // Adds to `live` the Bundles holding the names in `names` (namespace, name), whoever owns them: a GET each,
  // or, for many (a new Stack of many charts), one list of their workspace. False after an API error.
  bool read_bundles_named(const std::vector<std::pair<std::string, std::string>>& names,
                          std::vector<json>& live) {
    constexpr std::size_t k_max_gets = 16;
    if (names.size() > k_max_gets) {
      const std::set<std::pair<std::string, std::string>> wanted(names.begin(), names.end());
      std::set<std::string> workspaces;
      for (const auto& [name_space, name] : names) {
        workspaces.insert(name_space);
      }
      for (const auto& workspace : workspaces) {
        kube::ApiResult<kube::ObjectList> listed =
            m_cluster.client->list(kube::resources::bundles, workspace);
        if (!listed) {
          report_api_error(listed.error(), m_cluster, m_context.err, "bundles.fleet.cattle.io", k_fleet_hint);
          return false;
        }
        for (auto& bundle : listed->items) {
          if (wanted.contains(
                  {kube::metadata_string(bundle, "namespace"), kube::metadata_string(bundle, "name")})) {
            live.push_back(std::move(bundle));
          }
        }
      }
      return true;
    }
    for (const auto& [name_space, name] : names) {
      kube::ApiResult<json> found = m_cluster.client->get(kube::resources::bundles, name_space, name);
      if (found) {
        live.push_back(std::move(found.value()));
      } else if (!found.error().not_found()) {
        report_api_error(found.error(), m_cluster, m_context.err, "bundles.fleet.cattle.io", k_fleet_hint);
        return false;
      }
    }
    return true;
  }

  // Once per message: a Stack target is in every Bundle of the Stack.
  void warn(const std::string& message) {
    if (m_warned.insert(message).second) {
      m_context.err << "warning: " << message << '\n';
      m_warnings.push_back(message);
    }
  }

  const std::vector<json>* fleet_clusters(const std::string& workspace) {
    if (const auto found = m_clusters.find(workspace); found != m_clusters.end()) {
      return &found->second;
    }
    kube::ApiResult<kube::ObjectList> listed = m_cluster.client->list(kube::resources::clusters, workspace);
    if (!listed) {
      report_api_error(listed.error(), m_cluster, m_context.err, "clusters.fleet.cattle.io", k_fleet_hint);
      return nullptr;
    }
    return &m_clusters.emplace(workspace, std::move(listed->items)).first->second;
  }

  const std::vector<json>* cluster_groups(const std::string& workspace) {
    if (const auto found = m_groups.find(workspace); found != m_groups.end()) {
      return &found->second;
    }
    kube::ApiResult<kube::ObjectList> listed =
        m_cluster.client->list(kube::resources::cluster_groups, workspace);
    if (!listed) {
      if (listed.error().status != 404) {
        report_api_error(listed.error(), m_cluster, m_context.err, "clustergroups.fleet.cattle.io",
                         k_fleet_hint);
        return nullptr;
      }
      // A Fleet without ClusterGroups: targets by cluster group match nothing, and say so.
      warn("the server has no clustergroups.fleet.cattle.io: targets by cluster group match no cluster");
      return &m_groups.emplace(workspace, std::vector<json>()).first->second;
    }
    return &m_groups.emplace(workspace, std::move(listed->items)).first->second;
  }

  const CommandContext& m_context;
  ClusterConnection& m_cluster;
  core::Linter& m_linter;
  bool m_finding_color;
  std::map<std::string, std::vector<json>> m_clusters; // by workspace
  std::map<std::string, std::vector<json>> m_groups;   // by workspace
  const std::vector<json> m_no_objects;
  std::vector<std::string> m_warnings; // in the order printed
  std::set<std::string> m_warned;
};

std::string clusters_text(const TargetResolution& resolution, const StackPlan& plan) {
  if (resolution.clusters.empty()) {
    return "no cluster";
  }
  std::string out;
  for (const auto& name : resolution.clusters) {
    const auto display = plan.cluster_names.find(name);
    out += (out.empty() ? "" : ", ") + (display != plan.cluster_names.end() ? display->second : name);
  }
  return out;
}

void print_text(const std::vector<StackPlan>& plans,
                const ClusterConnection& cluster,
                std::ostream& out,
                bool color) {
  const auto paint = [&](const char* code, const std::string& text) {
    return color ? std::string("\033[") + code + "m" + text + "\033[0m" : text;
  };
  const std::string against =
      cluster.context.empty() ? cluster.server : "context \"" + cluster.context + "\"";
  BundleChanges total;
  bool first = true;
  for (const auto& plan : plans) {
    out << (first ? "" : "\n") << paint("1", "Stack " + plan.stack.namespace_name + "/" + plan.stack.name)
        << " (" << plan.source << ") against " << against << "\n";
    first = false;
    out << "Targets: " << plan.workspace_clusters << " Fleet Cluster"
        << (plan.workspace_clusters == 1 ? "" : "s") << " in workspace " << plan.workspace << "\n";
    std::size_t width = 0;
    for (const auto& bundle : plan.changes.bundles) {
      if (plan.targets.contains(bundle.name)) {
        width = std::max(width, bundle.chart.size());
      }
    }
    for (const auto& bundle : plan.changes.bundles) {
      if (const auto found = plan.targets.find(bundle.name); found != plan.targets.end()) {
        out << "  " << bundle.chart << std::string(width - bundle.chart.size() + 3, ' ')
            << clusters_text(found->second, plan) << "\n";
      }
    }
    out << "\n";
    for (const auto& bundle : plan.changes.bundles) {
      const std::string name = "bundle " + bundle.name;
      switch (bundle.action) {
      case BundleAction::add:
        out << paint("32", "+ " + name + " (new)") << "\n";
        break;
      case BundleAction::change:
        out << paint("33", "~ " + name) << "\n";
        break;
      case BundleAction::destroy:
        out << paint("31", "- " + name + " (destroy)") << "\n";
        break;
      case BundleAction::conflict:
        out << paint("35", "! " + name + " (the name is held by " + bundle.owner +
                               ": the reconciler will not write it)")
            << "\n";
        break;
      case BundleAction::noop:
        out << "  " << name << " (no changes)\n";
        break;
      }
      for (const auto& change : bundle.changes) {
        out << "      " << change.path << ": ";
        if (change.sensitive) {
          out << "(sensitive value withheld)\n";
        } else if (bundle.action == BundleAction::add) {
          out << printed(change.new_value) << "\n";
        } else if (bundle.action == BundleAction::destroy) {
          out << printed(change.old_value) << "\n";
        } else {
          out << printed(change.old_value) << " → " << printed(change.new_value) << "\n";
        }
      }
      if (bundle.drifted) {
        out << "      (changed outside Herd: the reconciler re-applies a Bundle when its rendering changes, "
               "e.g. "
               "after kubectl herd rollout restart "
            << plan.stack.name << " --chart " << bundle.chart << ")\n";
      }
    }
    total.to_add += plan.changes.to_add;
    total.to_change += plan.changes.to_change;
    total.to_destroy += plan.changes.to_destroy;
  }
  out << "\n";
  if (total.has_changes()) {
    out << paint("1", "Plan: " + std::to_string(total.to_add) + " to add, " +
                          std::to_string(total.to_change) + " to change, " +
                          std::to_string(total.to_destroy) + " to destroy.")
        << "\n";
  } else {
    out << paint("1", plans.size() == 1 ? "No changes. The cluster matches the Stack."
                                        : "No changes. The cluster matches the " +
                                              std::to_string(plans.size()) + " Stacks.")
        << "\n";
  }
}

json change_json(const FieldChange& change) {
  json out = {{"path", change.path}};
  if (change.sensitive) {
    out["sensitive"] = true;
    return out;
  }
  if (change.old_value) {
    out["old"] = *change.old_value;
  }
  if (change.new_value) {
    out["new"] = *change.new_value;
  }
  return out;
}

json plan_json(const std::vector<StackPlan>& plans, const std::vector<std::string>& warnings) {
  json bundles = json::array();
  std::array<std::size_t, 5> counts{}; // by BundleAction
  for (const auto& plan : plans) {
    for (const auto& bundle : plan.changes.bundles) {
      json entry = {{"stack", plan.stack.namespace_name + "/" + plan.stack.name},
                    {"namespace", bundle.namespace_name},
                    {"name", bundle.name},
                    {"chart", bundle.chart},
                    {"action", to_string(bundle.action)}};
      if (const auto found = plan.targets.find(bundle.name); found != plan.targets.end()) {
        entry["clusters"] = found->second.clusters;
      }
      json changes = json::array();
      for (const auto& change : bundle.changes) {
        changes.push_back(change_json(change));
      }
      entry["changes"] = std::move(changes);
      if (bundle.drifted) {
        entry["drifted"] = true;
      }
      if (!bundle.owner.empty()) {
        entry["owner"] = bundle.owner;
      }
      bundles.push_back(std::move(entry));
      ++counts[static_cast<int>(bundle.action)];
    }
  }
  const std::size_t add = counts[static_cast<int>(BundleAction::add)];
  const std::size_t change = counts[static_cast<int>(BundleAction::change)];
  const std::size_t destroy = counts[static_cast<int>(BundleAction::destroy)];
  return {{"bundles", std::move(bundles)},
          {"warnings", warnings},
          {"summary",
           {{"add", add},
            {"change", change},
            {"destroy", destroy},
            {"noop", counts[static_cast<int>(BundleAction::noop)]},
            {"conflict", counts[static_cast<int>(BundleAction::conflict)]},
            {"changes", add + change + destroy > 0}}}};
}

// The Stack documents of the -f inputs. Returns false after a tool error (reported).
bool read_stacks(const PlanOptions& options,
                 const CommandContext& context,
                 std::vector<StackSource>& stacks,
                 bool& invalid) {
  auto inputs = expand_inputs(options.files, options.recursive);
  if (!inputs) {
    context.err << "kubectl herd: error: " << inputs.error().message << '\n';
    return false;
  }
  for (const auto& input : *inputs) {
    const std::string name = display_name(input);
    std::ifstream file;
    std::istream* stream = open_input(input, context.in, file);
    if (stream == nullptr) {
      context.err << "kubectl herd: error: cannot read \"" << input.path << "\"\n";
      return false;
    }
    core::read_yaml_stream(*stream, name, [&](core::YamlDocument& document) {
      if (!document.parsed || !core::is_stack_document(document.value)) {
        for (const auto& finding : document.diagnostics) {
          context.err << core::format_diagnostic(finding, use_color(context.global.color, 2)) << '\n';
        }
        invalid = invalid || core::has_errors(document.diagnostics);
        return;
      }
      for (const auto& finding : document.diagnostics) { // warnings of the loader
        context.err << core::format_diagnostic(finding, use_color(context.global.color, 2)) << '\n';
      }
      invalid = invalid || core::has_errors(document.diagnostics);
      stacks.push_back({std::move(document.value), name,
                        std::make_shared<core::SourceMap>(std::move(document.source_map))});
    });
  }
  return true;
}

} // namespace

int live_plan(const PlanOptions& options, const CommandContext& context) {
  if (!options.name.empty() && context.global.all_namespaces) {
    context.err << "error: a resource cannot be retrieved by name across all namespaces\n";
    return k_exit_usage;
  }
  auto linter = load_linter(context.global.policy_file);
  if (!linter) {
    context.err << "kubectl herd: error: " << linter.error().message << '\n';
    return k_exit_usage;
  }
  bool invalid = false;
  std::vector<StackSource> stacks;
  if (options.name.empty() && !read_stacks(options, context, stacks, invalid)) {
    return k_exit_usage;
  }
  core::Result<ClusterConnection> cluster = connect_cluster(context.global);
  if (!cluster) {
    context.err << "error: " << cluster.error().message << '\n';
    return k_exit_usage;
  }
  if (!options.name.empty()) {
    kube::ApiResult<json> stored =
        cluster->client->get(kube::resources::stacks, cluster->namespace_name, options.name);
    if (!stored) {
      return report_api_error(stored.error(), *cluster, context.err);
    }
    stacks.push_back({std::move(stored.value()), k_stack_kind_prefix + options.name, nullptr});
  }
  if (stacks.empty() && !invalid) {
    context.err << "kubectl herd: error: no Stack found in the inputs [HERD003]\n";
    return k_exit_findings;
  }

  LivePlanner planner(context, *cluster, **linter);
  std::vector<StackPlan> plans;
  for (auto& stack : stacks) {
    const Outcome outcome = planner.plan(std::move(stack), plans);
    if (outcome == Outcome::api_error) {
      return k_exit_findings;
    }
    invalid = invalid || outcome == Outcome::invalid;
  }
  std::size_t conflicts = 0;
  bool changes = false;
  for (const auto& plan : plans) {
    conflicts += plan.changes.conflicts;
    changes = changes || plan.changes.has_changes();
  }
  if (!plans.empty()) {
    if (options.output == "json") {
      context.out << plan_json(plans, planner.warnings()).dump(2) << '\n';
    } else if (options.output == "yaml") {
      context.out << core::to_yaml(plan_json(plans, planner.warnings()));
    } else {
      print_text(plans, *cluster, context.out, use_color(context.global.color, 1));
    }
  }
  if (conflicts > 0) {
    context.err << "kubectl herd: error: " << conflicts << " Bundle name"
                << (conflicts == 1 ? " is" : "s are")
                << " held by objects Herd must not touch (marked !): the reconciler will refuse to write "
                << (conflicts == 1 ? "it" : "them") << "\n";
  }
  if (invalid || conflicts > 0) {
    return k_exit_findings;
  }
  return options.detailed_exitcode && changes ? k_exit_changes : k_exit_ok;
}

} // namespace herd::plugin
