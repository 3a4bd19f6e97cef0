#include "bundle_diff.hpp"

#include <herd/core/json_depth.hpp>
#include <herd/core/json_path.hpp>
#include <herd/core/label_selector.hpp>
#include <herd/core/yaml_loader.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <utility>

namespace herd::plugin {

namespace {

using nlohmann::json;

constexpr std::string_view k_cluster_name_label = "management.cattle.io/cluster-name";
// Values nested deeper than this are summarized, not copied into a change: copying and printing a JSON value
// recurse, and a live object's depth is whatever was stored.
constexpr std::size_t k_max_value_depth = 64;
// The walk reports a subtree below this depth as one change: each frame holds its whole path, so a walk to
// depth d costs d² in path copies. Herd's values are capped at 128 levels by the YAML loader, so a rendered
// Bundle (values 3 levels under the root) never reaches it.
constexpr std::size_t k_max_walk_depth = 160;

// Where a node sits in a Fleet Bundle, which says how its fields are compared.
enum class Level {
  spec,             // Bundle.spec
  helm,             // spec.helm
  targets,          // spec.targets or spec.targetRestrictions (an array of target)
  target,           // one target
  target_helm,      // a target's helm
  dependencies,     // spec.dependsOn
  dependency,       // one dependsOn entry
  resources,        // spec.resources
  resource,         // one resource
  resource_content, // a resource's content: a manifest as text
  helm_op_options,  // spec.helmOpOptions
  values_from,      // spec.helm.valuesFrom
  values_from_item,
  value_ref, // secretKeyRef / configMapKeyRef: names only
  fleet,     // any other Fleet field: every key compared, absent = zero value
  values,    // Helm values: user content, every key compared, absent differs from any value
};

Level child_level(Level parent, std::string_view key) {
  switch (parent) {
  case Level::spec:
    if (key == "helm") {
      return Level::helm;
    }
    if (key == "targets" || key == "targetRestrictions") {
      return Level::targets;
    }
    if (key == "dependsOn") {
      return Level::dependencies;
    }
    if (key == "resources") {
      return Level::resources;
    }
    if (key == "helmOpOptions") {
      return Level::helm_op_options;
    }
    return Level::fleet;
  case Level::helm:
    if (key == "values") {
      return Level::values;
    }
    return key == "valuesFrom" ? Level::values_from : Level::fleet;
  case Level::target:
    return key == "helm" ? Level::target_helm : Level::fleet;
  case Level::target_helm:
    return key == "values" ? Level::values : Level::fleet;
  case Level::resource:
    return key == "content" ? Level::resource_content : Level::fleet;
  case Level::values_from_item:
    return key == "secretKeyRef" || key == "configMapKeyRef" ? Level::value_ref : Level::fleet;
  case Level::values:
    return Level::values;
  default:
    return Level::fleet;
  }
}

Level element_level(Level array) {
  switch (array) {
  case Level::targets:
    return Level::target;
  case Level::dependencies:
    return Level::dependency;
  case Level::resources:
    return Level::resource;
  case Level::values_from:
    return Level::values_from_item;
  case Level::values:
    return Level::values;
  default:
    return Level::fleet;
  }
}

// The fields Herd renders at `level`. A field only the live object has is compared when Herd renders it
// somewhere at that level (so its removal shows), and ignored otherwise: Fleet's defaults and other tools'
// additions are not Herd's to change. nullptr: every field counts.
const std::set<std::string_view>* rendered_fields(Level level) {
  static const std::set<std::string_view> spec = {"helmOpOptions",
                                                  "helm",
                                                  "defaultNamespace",
                                                  "paused",
                                                  "forceSyncGeneration",
                                                  "dependsOn",
                                                  "namespaceLabels",
                                                  "namespaceAnnotations",
                                                  "targets",
                                                  "targetRestrictions",
                                                  "resources"};
  static const std::set<std::string_view> helm = {
      "repo",   "chart",      "version",        "releaseName", "disablePreProcess",
      "values", "valuesFrom", "timeoutSeconds", "waitForJobs", "takeOwnership"};
  static const std::set<std::string_view> target = {"name", "clusterSelector", "clusterGroup", "helm"};
  static const std::set<std::string_view> target_helm = {"values"};
  static const std::set<std::string_view> dependency = {"name"};
  static const std::set<std::string_view> resource = {"name", "content"};
  static const std::set<std::string_view> none;
  static const std::set<std::string_view> values_from_item = {"secretKeyRef", "configMapKeyRef"};
  static const std::set<std::string_view> value_ref = {"name", "namespace", "key"};
  switch (level) {
  case Level::spec:
    return &spec;
  case Level::helm:
    return &helm;
  case Level::target:
    return &target;
  case Level::target_helm:
    return &target_helm;
  case Level::dependency:
    return &dependency;
  case Level::resource:
    return &resource;
  case Level::helm_op_options:
    return &none;
  case Level::values_from_item:
    return &values_from_item;
  case Level::value_ref:
    return &value_ref;
  default:
    return nullptr;
  }
}

bool is_container(const json* value) {
  return value != nullptr && (value->is_object() || value->is_array());
}

// How Fleet's Go types read a missing field: as its zero value.
bool is_zero(const json& value) {
  return value.is_null() || (value.is_boolean() && !value.get<bool>()) || (value.is_number() && value == 0) ||
         (value.is_string() && value.get_ref<const std::string&>().empty()) ||
         ((value.is_object() || value.is_array()) && value.empty());
}

// A value as a change records it: itself, or a summary when copying it would recurse too deep.
json recorded(const json& value) {
  if (is_container(&value)) {
    const std::size_t depth = core::json_depth(value);
    if (depth > k_max_value_depth) {
      return "(a value nested " + std::to_string(depth) + " levels deep)";
    }
  }
  return value;
}

// Whether a resource's content is a Secret manifest: its values are never printed.
bool is_secret_manifest(const json* content) {
  if (content == nullptr || !content->is_string()) {
    return false;
  }
  const core::YamlDocument document = core::parse_yaml_document(content->get_ref<const std::string&>(), "");
  return document.parsed && document.value.is_object() && document.value.value("kind", json()) == "Secret";
}

const json* member(const json* object, std::string_view key);

struct Frame {
  std::string path;
  const json* rendered; // nullptr: absent
  const json* live;     // nullptr: absent
  Level level;
  std::size_t depth = 0;
  bool whole = false; // compared as one value: a named list item on one side only
};

// json's operator== without its recursion.
bool deep_equal(const json& a, const json& b) {
  std::vector<std::pair<const json*, const json*>> pending{{&a, &b}};
  while (!pending.empty()) {
    const auto [left, right] = pending.back();
    pending.pop_back();
    if (left->is_object() && right->is_object()) {
      if (left->size() != right->size()) {
        return false;
      }
      for (auto item = left->begin(); item != left->end(); ++item) {
        const auto other = right->find(item.key());
        if (other == right->end()) {
          return false;
        }
        pending.emplace_back(&item.value(), &*other);
      }
    } else if (left->is_array() && right->is_array()) {
      if (left->size() != right->size()) {
        return false;
      }
      for (std::size_t i = 0; i < left->size(); ++i) {
        pending.emplace_back(&(*left)[i], &(*right)[i]);
      }
    } else if (is_container(left) || is_container(right) || *left != *right) {
      return false;
    }
  }
  return true;
}

// Pushes the children of an object frame (either side may be absent) so they pop in key order.
void push_object_children(const Frame& frame, std::vector<Frame>& stack) {
  static const json empty = json::object();
  const json& rendered = frame.rendered != nullptr && frame.rendered->is_object() ? *frame.rendered : empty;
  const json& live = frame.live != nullptr && frame.live->is_object() ? *frame.live : empty;
  const std::set<std::string_view>* known = rendered_fields(frame.level);
  std::vector<std::string> keys;
  for (const auto& [key, value] : rendered.items()) {
    keys.push_back(key);
  }
  for (const auto& [key, value] : live.items()) {
    if (!rendered.contains(key) && (known == nullptr || known->contains(key))) {
      keys.push_back(key);
    }
  }
  std::sort(keys.begin(), keys.end(), std::greater<>()); // pushed last to first: they pop in key order
  for (const std::string& key : keys) {
    const auto in_rendered = rendered.find(key);
    const auto in_live = live.find(key);
    stack.push_back(
        {core::join_path(frame.path, key), in_rendered != rendered.end() ? &*in_rendered : nullptr,
         in_live != live.end() ? &*in_live : nullptr, child_level(frame.level, key), frame.depth + 1});
  }
}

// The items of a list of named items (targets, dependsOn, resources) by name, in order; nullopt when some
// item has no string name or a name repeats: such a list is compared by position.
std::optional<std::vector<std::pair<std::string, const json*>>> named_items(const json* list) {
  std::vector<std::pair<std::string, const json*>> items;
  if (list == nullptr || !list->is_array()) {
    return items;
  }
  std::set<std::string> seen;
  for (const auto& item : *list) {
    const auto name = item.is_object() ? item.find("name") : item.end();
    if (!item.is_object() || name == item.end() || !name->is_string() ||
        !seen.insert(name->get<std::string>()).second) {
      return std::nullopt;
    }
    items.emplace_back(name->get<std::string>(), &item);
  }
  return items;
}

bool is_named_list(Level level) {
  return level == Level::targets || level == Level::dependencies || level == Level::resources;
}

void push_array_children(const Frame& frame, std::vector<Frame>& stack) {
  const Level level = element_level(frame.level);
  if (is_named_list(frame.level)) {
    // Paired by name, so inserting one item shows as that item, not as every later item shifted by one.
    const auto rendered = named_items(frame.rendered);
    const auto live = named_items(frame.live);
    if (rendered && live) {
      // Maps, not searches: the policy Bundle of a large Stack holds thousands of resources.
      const std::map<std::string_view, const json*> rendered_by_name(rendered->begin(), rendered->end());
      const std::map<std::string_view, const json*> live_by_name(live->begin(), live->end());
      std::vector<Frame> children;
      for (const auto& [name, item] : *rendered) {
        const auto other = live_by_name.find(name);
        const json* live_item = other != live_by_name.end() ? other->second : nullptr;
        children.push_back({frame.path + "[name=" + name + "]", item, live_item, level, frame.depth + 1,
                            live_item == nullptr});
      }
      for (const auto& [name, item] : *live) {
        if (!rendered_by_name.contains(name)) {
          children.push_back(
              {frame.path + "[name=" + name + "]", nullptr, item, level, frame.depth + 1, true});
        }
      }
      std::move(children.rbegin(), children.rend(), std::back_inserter(stack));
      return;
    }
  }
  const std::size_t rendered_size =
      frame.rendered != nullptr && frame.rendered->is_array() ? frame.rendered->size() : 0;
  const std::size_t live_size = frame.live != nullptr && frame.live->is_array() ? frame.live->size() : 0;
  for (std::size_t i = std::max(rendered_size, live_size); i-- > 0;) {
    stack.push_back({core::join_path(frame.path, i), i < rendered_size ? &(*frame.rendered)[i] : nullptr,
                     i < live_size ? &(*frame.live)[i] : nullptr, level, frame.depth + 1});
  }
}

void compare_leaf(const Frame& frame, std::vector<FieldChange>& changes) {
  const json* rendered = frame.rendered;
  const json* live = frame.live;
  if (rendered != nullptr && live != nullptr && !is_container(rendered) && !is_container(live) &&
      *rendered == *live) {
    return;
  }
  if (frame.level != Level::values && (rendered == nullptr || is_zero(*rendered)) &&
      (live == nullptr || is_zero(*live))) {
    return;
  }
  FieldChange change{frame.path, std::nullopt, std::nullopt, false};
  // A resource's content, or a whole resource added or removed.
  const auto content = [&](const json* value) {
    return frame.level == Level::resource ? member(value, "content") : value;
  };
  if ((frame.level == Level::resource_content || frame.level == Level::resource) &&
      (is_secret_manifest(content(rendered)) || is_secret_manifest(content(live)))) {
    change.sensitive = true;
    changes.push_back(std::move(change));
    return;
  }
  if (live != nullptr) {
    change.old_value = recorded(*live);
  }
  if (rendered != nullptr) {
    change.new_value = recorded(*rendered);
  }
  changes.push_back(std::move(change));
}

// Walks both trees with an explicit stack: the depth of user values never becomes call depth.
void diff_tree(Frame root, std::vector<FieldChange>& changes) {
  std::vector<Frame> stack;
  stack.push_back(std::move(root));
  while (!stack.empty()) {
    Frame frame = std::move(stack.back());
    stack.pop_back();
    const json* rendered = frame.rendered;
    const json* live = frame.live;
    if (frame.whole) {
      compare_leaf(frame, changes);
      continue;
    }
    if (frame.depth >= k_max_walk_depth) {
      if (rendered == nullptr || live == nullptr || !deep_equal(*rendered, *live)) {
        changes.push_back({frame.path, live != nullptr ? std::optional<json>(recorded(*live)) : std::nullopt,
                           rendered != nullptr ? std::optional<json>(recorded(*rendered)) : std::nullopt,
                           false});
      }
      continue;
    }
    const bool both_objects =
        rendered != nullptr && live != nullptr && rendered->is_object() && live->is_object();
    const bool both_arrays =
        rendered != nullptr && live != nullptr && rendered->is_array() && live->is_array();
    // A container on one side only is walked to its leaves, each shown as added or removed; an empty one is
    // a leaf itself.
    const json* only = rendered == nullptr ? live : (live == nullptr ? rendered : nullptr);
    const bool lone_container = only != nullptr && is_container(only) && !only->empty();
    if (both_objects || (lone_container && only->is_object())) {
      push_object_children(frame, stack);
    } else if (both_arrays || (lone_container && only->is_array())) {
      push_array_children(frame, stack);
    } else {
      compare_leaf(frame, changes);
    }
  }
}

const json* member(const json* object, std::string_view key) {
  if (object == nullptr || !object->is_object()) {
    return nullptr;
  }
  const auto found = object->find(key);
  return found == object->end() ? nullptr : &*found;
}

const json* member_path(const json& object, std::initializer_list<std::string_view> keys) {
  const json* node = &object;
  for (const auto key : keys) {
    node = member(node, key);
  }
  return node;
}

std::string string_member(const json* object, std::string_view key) {
  const json* value = member(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

bool is_herd_key(std::string_view key) {
  return key == controller::k_managed_by_label || key.starts_with("herd.suse.com/");
}

// Herd's labels or annotations (`map`) of both objects: the keys Herd renders, and Herd's keys the live
// object has that the rendering dropped. The rendered hash is not a field of the Bundle: diff_bundles reads
// it.
void diff_metadata_map(const json& rendered,
                       const json& live,
                       std::string_view map,
                       std::vector<FieldChange>& changes) {
  const json* rendered_map = member(member(&rendered, "metadata"), map);
  const json* live_map = member(member(&live, "metadata"), map);
  std::set<std::string> keys;
  for (const json* entries : {rendered_map, live_map}) {
    if (entries == nullptr || !entries->is_object()) {
      continue;
    }
    for (const auto& [key, value] : entries->items()) {
      if ((entries == rendered_map || is_herd_key(key)) && key != core::k_rendered_hash_annotation) {
        keys.insert(key);
      }
    }
  }
  const std::string parent = "metadata." + std::string(map);
  for (const auto& key : keys) {
    const json* old_value = member(live_map, key);
    const json* new_value = member(rendered_map, key);
    if (old_value != nullptr && new_value != nullptr && !is_container(old_value) &&
        *old_value == *new_value) {
      continue;
    }
    FieldChange change{core::join_path(parent, key), std::nullopt, std::nullopt, false};
    if (old_value != nullptr) {
      change.old_value = recorded(*old_value);
    }
    if (new_value != nullptr) {
      change.new_value = recorded(*new_value);
    }
    changes.push_back(std::move(change));
  }
}

// The fields that say what a Bundle is, for one that is added (`as_new`) or destroyed.
std::vector<FieldChange> key_fields(const json& bundle, bool as_new) {
  std::vector<FieldChange> fields;
  const auto add = [&](std::string path, const json* value) {
    if (value == nullptr || value->is_null()) {
      return;
    }
    FieldChange field{std::move(path), std::nullopt, std::nullopt, false};
    (as_new ? field.new_value : field.old_value) = recorded(*value);
    fields.push_back(std::move(field));
  };
  for (const char* key : {"chart", "repo", "version", "releaseName"}) {
    add(std::string("spec.helm.") + key, member_path(bundle, {"spec", "helm", key}));
  }
  add("spec.defaultNamespace", member_path(bundle, {"spec", "defaultNamespace"}));
  if (const json* paused = member_path(bundle, {"spec", "paused"});
      paused != nullptr && paused->is_boolean() && paused->get<bool>()) {
    add("spec.paused", paused);
  }
  if (const json* depends_on = member_path(bundle, {"spec", "dependsOn"});
      depends_on != nullptr && depends_on->is_array()) {
    for (std::size_t i = 0; i < depends_on->size(); ++i) {
      add("spec.dependsOn[" + std::to_string(i) + "].name", member(&(*depends_on)[i], "name"));
    }
  }
  if (const json* from = member_path(bundle, {"spec", "helm", "valuesFrom"});
      from != nullptr && from->is_array()) {
    for (std::size_t i = 0; i < from->size(); ++i) {
      for (const char* ref : {"secretKeyRef", "configMapKeyRef"}) {
        const json* reference = member(&(*from)[i], ref);
        for (const char* key : {"name", "key"}) {
          add("spec.helm.valuesFrom[" + std::to_string(i) + "]." + ref + "." + key, member(reference, key));
        }
      }
    }
  }
  if (const json* resources = member_path(bundle, {"spec", "resources"});
      resources != nullptr && resources->is_array()) {
    for (std::size_t i = 0; i < resources->size(); ++i) {
      add("spec.resources[" + std::to_string(i) + "].name", member(&(*resources)[i], "name"));
    }
  }
  return fields;
}

std::string annotation(const json& bundle, std::string_view key) {
  return string_member(member_path(bundle, {"metadata", "annotations"}), key);
}

std::string chart_of(const core::RenderedBundle& bundle) {
  return bundle.chart().empty() ? std::string(controller::k_policy_chart) : bundle.chart();
}

std::map<std::string, std::string> string_map(const json* object) {
  std::map<std::string, std::string> out;
  if (object != nullptr && object->is_object()) {
    for (const auto& [key, value] : object->items()) {
      if (value.is_string()) {
        out.emplace(key, value.get<std::string>());
      }
    }
  }
  return out;
}

struct ClusterFacts {
  std::string name;
  std::map<std::string, std::string> labels;
  std::vector<const json*> groups; // the ClusterGroups holding it
};

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : std::string(separator)) + item;
  }
  return out;
}

bool is_cluster_id_requirement(const core::LabelRequirement& requirement) {
  return requirement.key == k_cluster_name_label && requirement.op == "In";
}

std::string selector_description(const json& selector_json) {
  core::LabelSelector selector = core::label_selector_from_json(selector_json);
  std::vector<std::string> ids;
  std::erase_if(selector.match_expressions, [&](const core::LabelRequirement& requirement) {
    if (!is_cluster_id_requirement(requirement)) {
      return false;
    }
    ids.insert(ids.end(), requirement.values.begin(), requirement.values.end());
    return true;
  });
  std::string out = ids.empty() ? std::string("clusters") : "clusters " + join(ids, ", ");
  if (!selector.empty()) {
    out += " labelled " + core::format_selector(selector);
  } else if (ids.empty()) {
    out = "every cluster";
  }
  return out;
}

std::string target_description(const json& target) {
  std::vector<std::string> parts;
  if (const std::string name = string_member(&target, "clusterName"); !name.empty()) {
    parts.push_back("cluster " + name);
  }
  if (const json* selector = member(&target, "clusterSelector");
      selector != nullptr && selector->is_object()) {
    parts.push_back(selector_description(*selector));
  }
  if (const std::string group = string_member(&target, "clusterGroup"); !group.empty()) {
    parts.push_back("cluster group " + group);
  }
  if (const json* selector = member(&target, "clusterGroupSelector");
      selector != nullptr && selector->is_object()) {
    parts.push_back("cluster groups labelled " +
                    core::format_selector(core::label_selector_from_json(*selector)));
  }
  return parts.empty() ? std::string("nothing (the target sets no criterion)") : join(parts, " and ");
}

// Fleet's target matcher: every criterion the target sets must hold, and it must set one.
bool target_matches(const json& target, const ClusterFacts& cluster) {
  bool any = false;
  if (const std::string name = string_member(&target, "clusterName"); !name.empty()) {
    any = true;
    if (name != cluster.name) {
      return false;
    }
  }
  if (const std::string group = string_member(&target, "clusterGroup"); !group.empty()) {
    any = true;
    if (std::none_of(cluster.groups.begin(), cluster.groups.end(),
                     [&](const json* g) { return string_member(member(g, "metadata"), "name") == group; })) {
      return false;
    }
  }
  if (const json* selector = member(&target, "clusterGroupSelector");
      selector != nullptr && selector->is_object()) {
    any = true;
    const core::LabelSelector group_selector = core::label_selector_from_json(*selector);
    if (std::none_of(cluster.groups.begin(), cluster.groups.end(), [&](const json* g) {
          return core::selector_matches(group_selector, string_map(member_path(*g, {"metadata", "labels"})));
        })) {
      return false;
    }
  }
  if (const json* selector = member(&target, "clusterSelector");
      selector != nullptr && selector->is_object()) {
    any = true;
    if (!core::selector_matches(core::label_selector_from_json(*selector), cluster.labels)) {
      return false;
    }
  }
  return any;
}

} // namespace

std::string_view to_string(BundleAction action) {
  switch (action) {
  case BundleAction::add:
    return "add";
  case BundleAction::change:
    return "change";
  case BundleAction::destroy:
    return "destroy";
  case BundleAction::conflict:
    return "conflict";
  case BundleAction::noop:
    break;
  }
  return "noop";
}

std::vector<FieldChange> diff_bundle_fields(const json& rendered, const json& live) {
  std::vector<FieldChange> changes;
  diff_metadata_map(rendered, live, "labels", changes);
  diff_metadata_map(rendered, live, "annotations", changes);
  diff_tree({"spec", member(&rendered, "spec"), member(&live, "spec"), Level::spec, 0}, changes);
  return changes;
}

BundleChanges diff_bundles(const controller::StackRef& stack,
                           const core::RenderedStack& rendered,
                           std::span<const json> live) {
  // The reconciler's own decision says what gets written; the field diff says what that changes.
  const controller::SyncPlan sync = controller::plan_bundle_sync(stack, rendered, live);
  std::map<std::pair<std::string, std::string>, const json*> by_name;
  for (const auto& bundle : live) {
    by_name.emplace(std::pair{string_member(member(&bundle, "metadata"), "namespace"),
                              string_member(member(&bundle, "metadata"), "name")},
                    &bundle);
  }
  std::map<std::pair<std::string, std::string>, const controller::Collision*> collisions;
  for (const auto& collision : sync.collisions) {
    collisions.emplace(std::pair{collision.namespace_name, collision.bundle}, &collision);
  }

  BundleChanges out;
  for (const auto& bundle : rendered.bundles) {
    BundleChange change;
    change.namespace_name = string_member(member(&bundle.object(), "metadata"), "namespace");
    change.name = string_member(member(&bundle.object(), "metadata"), "name");
    change.chart = chart_of(bundle);
    const auto key = std::pair{change.namespace_name, change.name};
    if (const auto collision = collisions.find(key); collision != collisions.end()) {
      change.action = BundleAction::conflict;
      change.owner = collision->second->owner;
      ++out.conflicts;
    } else if (const auto found = by_name.find(key); found == by_name.end()) {
      change.action = BundleAction::add;
      change.changes = key_fields(bundle.object(), true);
      ++out.to_add;
    } else {
      const json& current = *found->second;
      change.changes = diff_bundle_fields(bundle.object(), current);
      const std::string hash(core::k_rendered_hash_annotation);
      const bool same_hash = annotation(current, hash) == annotation(bundle.object(), hash);
      if (change.changes.empty() && same_hash) {
        change.action = BundleAction::noop;
        ++out.unchanged;
      } else {
        change.action = BundleAction::change;
        change.drifted = same_hash;
        if (change.changes.empty()) {
          // Same fields, another hash (written by another Herd version): the reconciler writes it again.
          FieldChange rewritten{core::join_path("metadata.annotations", hash), std::nullopt, std::nullopt,
                                false};
          if (const json* old_hash = member_path(current, {"metadata", "annotations", hash})) {
            rewritten.old_value = recorded(*old_hash);
          }
          rewritten.new_value = annotation(bundle.object(), hash);
          change.changes.push_back(std::move(rewritten));
        }
        ++out.to_change;
      }
    }
    out.bundles.push_back(std::move(change));
  }
  for (const auto& removed : sync.remove) {
    BundleChange change;
    change.namespace_name = removed.namespace_name;
    change.name = removed.name;
    change.chart = removed.chart;
    change.action = BundleAction::destroy;
    if (const auto found = by_name.find(std::pair{removed.namespace_name, removed.name});
        found != by_name.end()) {
      change.changes = key_fields(*found->second, false);
    }
    ++out.to_destroy;
    out.bundles.push_back(std::move(change));
  }
  return out;
}

TargetResolution
resolve_targets(const json& bundle, std::span<const json> clusters, std::span<const json> cluster_groups) {
  const std::string workspace = string_member(member(&bundle, "metadata"), "namespace");
  std::vector<const json*> groups;
  for (const auto& group : cluster_groups) {
    if (string_member(member(&group, "metadata"), "namespace") == workspace) {
      groups.push_back(&group);
    }
  }
  std::vector<ClusterFacts> facts;
  for (const auto& cluster : clusters) {
    if (string_member(member(&cluster, "metadata"), "namespace") != workspace) {
      continue;
    }
    ClusterFacts fact{string_member(member(&cluster, "metadata"), "name"),
                      string_map(member_path(cluster, {"metadata", "labels"})),
                      {}};
    for (const json* group : groups) {
      const json* selector = member_path(*group, {"spec", "selector"});
      if (selector != nullptr && selector->is_object() &&
          core::selector_matches(core::label_selector_from_json(*selector), fact.labels)) {
        fact.groups.push_back(group);
      }
    }
    facts.push_back(std::move(fact));
  }
  std::sort(facts.begin(), facts.end(),
            [](const ClusterFacts& a, const ClusterFacts& b) { return a.name < b.name; });

  static const json no_targets = json::array();
  const json* targets_json = member_path(bundle, {"spec", "targets"});
  const json& targets = targets_json != nullptr && targets_json->is_array() ? *targets_json : no_targets;
  const json* restrictions = member_path(bundle, {"spec", "targetRestrictions"});
  const auto allowed = [&](const ClusterFacts& cluster) {
    if (restrictions == nullptr || !restrictions->is_array() || restrictions->empty()) {
      return true;
    }
    return std::any_of(restrictions->begin(), restrictions->end(),
                       [&](const json& restriction) { return target_matches(restriction, cluster); });
  };

  TargetResolution resolution;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const json& target = targets[i];
    TargetMatch match;
    match.name = string_member(&target, "name");
    if (match.name.empty()) {
      match.name = "#" + std::to_string(i);
    }
    match.description = target_description(target);
    for (const auto& cluster : facts) {
      if (target_matches(target, cluster) && allowed(cluster)) {
        match.clusters.push_back(cluster.name);
      }
    }
    const json* selector = member(&target, "clusterSelector");
    for (const auto& requirement :
         core::label_selector_from_json(selector != nullptr ? *selector : json()).match_expressions) {
      if (!is_cluster_id_requirement(requirement)) {
        continue;
      }
      for (const auto& id : requirement.values) {
        const bool carried = std::any_of(facts.begin(), facts.end(), [&](const ClusterFacts& cluster) {
          const auto found = cluster.labels.find(std::string(k_cluster_name_label));
          return found != cluster.labels.end() && found->second == id;
        });
        if (!carried) {
          match.missing_cluster_ids.push_back(id);
        }
      }
    }
    resolution.targets.push_back(std::move(match));
  }
  for (const auto& cluster : facts) {
    if (!allowed(cluster)) {
      continue;
    }
    const auto first = std::find_if(targets.begin(), targets.end(),
                                    [&](const json& target) { return target_matches(target, cluster); });
    const json* do_not_deploy = first != targets.end() ? member(&*first, "doNotDeploy") : nullptr;
    if (first != targets.end() &&
        !(do_not_deploy != nullptr && do_not_deploy->is_boolean() && do_not_deploy->get<bool>())) {
      resolution.clusters.push_back(cluster.name);
    }
  }
  return resolution;
}

std::string cluster_display_name(const json& cluster) {
  const std::string name = string_member(member(&cluster, "metadata"), "name");
  const std::string id = string_member(member_path(cluster, {"metadata", "labels"}), k_cluster_name_label);
  return id.empty() || id == name ? name : name + " (" + id + ")";
}

} // namespace herd::plugin
