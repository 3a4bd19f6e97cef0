#include <herd/controller/bundle_sync.hpp>
#include <herd/core/policy.hpp>
#include <herd/core/sha256.hpp>
#include <herd/kube/object_meta.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace herd::controller {

namespace {

using kube::annotation;
using kube::label;
using kube::metadata_string;
using nlohmann::json;

constexpr std::size_t k_max_label_value = 63;

std::string chart_of(const json& bundle) {
  if (label(bundle, k_component_label) == "policy") {
    return std::string(k_policy_chart);
  }
  return label(bundle, k_chart_label);
}

std::string rendered_chart(const core::RenderedBundle& bundle) {
  return bundle.chart().empty() ? std::string(k_policy_chart) : bundle.chart();
}

// Who holds a Bundle name Herd wants, for the collision report.
std::string owner_of(const json& bundle) {
  const std::string managed_by = label(bundle, k_managed_by_label);
  if (managed_by != k_managed_by_herd) {
    return managed_by.empty() ? std::string("not managed by Herd")
                              : "not managed by Herd (managed by \"" + managed_by + "\")";
  }
  return "Stack " + label(bundle, k_stack_namespace_label) + "/" + label(bundle, k_stack_label);
}

std::vector<BundleRef> sorted(const std::map<std::pair<std::string, std::string>, BundleRef>& refs) {
  std::vector<BundleRef> out;
  out.reserve(refs.size());
  for (const auto& [key, ref] : refs) {
    out.push_back(ref);
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
  return label(bundle, k_managed_by_label) == k_managed_by_herd &&
         label(bundle, k_stack_label) == stack_label_value(stack.name) &&
         label(bundle, k_stack_namespace_label) == stack_label_value(stack_namespace);
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
    auto key =
        std::pair{metadata_string(bundle.object(), "namespace"), metadata_string(bundle.object(), "name")};
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
    if (annotation(current, hash) == annotation(bundle.object(), hash)) {
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
  plan.remove = sorted(remove);
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
  return sorted(remove);
}

} // namespace herd::controller
