#include <herd/controller/bundle_sync.hpp>
#include <herd/core/policy.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace herd::controller {

namespace {

using nlohmann::json;

constexpr std::size_t k_max_label_value = 63;

// metadata.<field> of `object` when it is a string, else "".
std::string metadata_string(const json& object, std::string_view field) {
  if (!object.is_object()) {
    return {};
  }
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) {
    return {};
  }
  const auto value = metadata->find(field);
  return value != metadata->end() && value->is_string() ? value->get<std::string>() : std::string();
}

// The string value of label or annotation `key` in metadata.<map>, or "".
std::string metadata_entry(const json& object, std::string_view map, std::string_view key) {
  if (!object.is_object()) {
    return {};
  }
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) {
    return {};
  }
  const auto entries = metadata->find(map);
  if (entries == metadata->end() || !entries->is_object()) {
    return {};
  }
  const auto value = entries->find(key);
  return value != entries->end() && value->is_string() ? value->get<std::string>() : std::string();
}

std::string chart_of(const json& bundle) {
  if (metadata_entry(bundle, "labels", k_component_label) == "policy") {
    return std::string(k_policy_chart);
  }
  return metadata_entry(bundle, "labels", k_chart_label);
}

std::string rendered_chart(const core::RenderedBundle& bundle) {
  return bundle.chart.empty() ? std::string(k_policy_chart) : bundle.chart;
}

// Who holds a Bundle name Herd wants, for the collision report.
std::string owner_of(const json& bundle) {
  const std::string managed_by = metadata_entry(bundle, "labels", k_managed_by_label);
  if (managed_by != k_managed_by_herd) {
    return managed_by.empty() ? std::string("not managed by Herd")
                              : "not managed by Herd (managed by \"" + managed_by + "\")";
  }
  return "Stack " + metadata_entry(bundle, "labels", k_stack_namespace_label) + "/" +
         metadata_entry(bundle, "labels", k_stack_label);
}

std::vector<BundleRef> sorted(std::map<std::pair<std::string, std::string>, BundleRef> refs) {
  std::vector<BundleRef> out;
  out.reserve(refs.size());
  for (auto& [key, ref] : refs) {
    out.push_back(std::move(ref));
  }
  return out;
}

} // namespace

StackRef stack_ref(const json& stack) {
  StackRef ref{metadata_string(stack, "namespace"), metadata_string(stack, "name")};
  if (ref.namespace_name.empty()) {
    ref.namespace_name = "default";
  }
  return ref;
}

// Mirrors label_value in core/src/bundle_renderer.cpp (a test checks both agree on a long name).
std::string stack_label_value(const std::string& text) {
  if (text.size() <= k_max_label_value) {
    return text;
  }
  return text.substr(0, k_max_label_value - 9) + "-" + core::sha256_hex(text).substr(0, 8);
}

bool is_bundle_of(const json& bundle, const StackRef& stack) {
  const std::string stack_namespace = stack.namespace_name.empty() ? "default" : stack.namespace_name;
  return metadata_entry(bundle, "labels", k_managed_by_label) == k_managed_by_herd &&
         metadata_entry(bundle, "labels", k_stack_label) == stack_label_value(stack.name) &&
         metadata_entry(bundle, "labels", k_stack_namespace_label) == stack_label_value(stack_namespace);
}

SyncPlan
plan_bundle_sync(const StackRef& stack, const core::RenderedStack& rendered, std::span<const json> existing) {
  // The existing Bundles by namespace/name (the caller's two listings may overlap).
  std::map<std::pair<std::string, std::string>, const json*> by_name;
  for (const auto& bundle : existing) {
    by_name.emplace(std::pair{metadata_string(bundle, "namespace"), metadata_string(bundle, "name")},
                    &bundle);
  }
  SyncPlan plan;
  std::set<std::pair<std::string, std::string>> wanted;
  for (const auto& bundle : rendered.bundles) {
    auto key = std::pair{metadata_string(bundle.object, "namespace"), metadata_string(bundle.object, "name")};
    wanted.insert(key);
    const auto found = by_name.find(key);
    if (found == by_name.end()) {
      plan.apply.push_back(bundle);
      continue;
    }
    const json& current = *found->second;
    if (!is_bundle_of(current, stack)) {
      plan.collisions.push_back({rendered_chart(bundle), key.first, key.second, owner_of(current)});
      continue;
    }
    const std::string hash(core::k_rendered_hash_annotation);
    if (metadata_entry(current, "annotations", hash) == metadata_entry(bundle.object, "annotations", hash)) {
      ++plan.unchanged;
    } else {
      plan.apply.push_back(bundle);
    }
  }
  std::map<std::pair<std::string, std::string>, BundleRef> remove;
  for (const auto& [key, bundle] : by_name) {
    if (!wanted.contains(key) && is_bundle_of(*bundle, stack)) {
      remove.emplace(key, BundleRef{key.first, key.second, chart_of(*bundle)});
    }
  }
  plan.remove = sorted(std::move(remove));
  return plan;
}

std::vector<BundleRef> bundles_to_finalize(const StackRef& stack, std::span<const json> existing) {
  std::map<std::pair<std::string, std::string>, BundleRef> remove;
  for (const auto& bundle : existing) {
    if (is_bundle_of(bundle, stack)) {
      BundleRef ref{metadata_string(bundle, "namespace"), metadata_string(bundle, "name"), chart_of(bundle)};
      remove.emplace(std::pair{ref.namespace_name, ref.name}, ref);
    }
  }
  return sorted(std::move(remove));
}

} // namespace herd::controller
