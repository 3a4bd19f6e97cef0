#pragma once

#include <herd/core/bundle_renderer.hpp>

#include <nlohmann/json.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace herd::controller {

inline constexpr std::string_view k_managed_by_label = "app.kubernetes.io/managed-by";
inline constexpr std::string_view k_managed_by_herd = "herd";
inline constexpr std::string_view k_stack_label = "herd.suse.com/stack";
inline constexpr std::string_view k_stack_namespace_label = "herd.suse.com/stack-namespace";
inline constexpr std::string_view k_chart_label = "herd.suse.com/chart";
inline constexpr std::string_view k_component_label = "herd.suse.com/component";
// The name status and events give the policy Bundle where a chart name is expected.
inline constexpr std::string_view k_policy_chart = "herd-policy";

// Which Stack a decision is about: metadata.namespace and metadata.name of the Stack object.
struct StackRef {
  std::string namespace_name;
  std::string name;
};

// The StackRef of a Stack object (metadata.namespace, empty = "default"; metadata.name).
StackRef stack_ref(const nlohmann::json& stack);

// The label values Herd puts on the Bundles of `stack` (herd.suse.com/stack, herd.suse.com/stack-namespace):
// the names themselves, or, beyond 63 characters, cut and suffixed with a hash exactly as render_bundles
// does.
std::string stack_label_value(const std::string& text);

// One existing Bundle, named.
struct BundleRef {
  std::string namespace_name;
  std::string name;
  std::string chart; // herd.suse.com/chart label; "herd-policy" for the policy Bundle; may be empty
};

// A Bundle Herd wants to write whose name is taken by an object Herd must not touch.
struct Collision {
  std::string chart; // the chart the rendered Bundle belongs to ("herd-policy" for the policy Bundle)
  std::string namespace_name;
  std::string bundle;
  // Who holds the name: "not managed by Herd" (no or another managed-by label, with its value when set) or
  // "Stack <namespace>/<name>" (Herd's labels of another Stack).
  std::string owner;
};

// What the reconciler does to the Bundles of one Stack.
struct SyncPlan {
  // Rendered Bundles to server-side apply: missing, or their herd.suse.com/rendered-hash differs. Render
  // order (the policy Bundle first, so dependencies exist before their dependents).
  std::vector<core::RenderedBundle> apply;
  // Bundles of this Stack (Herd's labels naming it) that nothing rendered any more: a removed chart, or the
  // Bundles left in the old workspace after spec.workspace changed. Sorted by namespace, then name.
  std::vector<BundleRef> remove;
  // Rendered Bundles whose name is held by a Bundle Herd must neither apply nor delete. Render order.
  std::vector<Collision> collisions;
  std::size_t unchanged = 0; // rendered Bundles that already exist with the same hash

  // Whether the plan writes nothing (no apply, no delete).
  [[nodiscard]] bool writes_nothing() const { return apply.empty() && remove.empty(); }
};

// Whether `bundle` carries Herd's labels naming `stack` (managed-by herd, stack and stack-namespace).
bool is_bundle_of(const nlohmann::json& bundle, const StackRef& stack);

// Decides what to write for `stack`, whose Bundles render as `rendered`. `existing` are Bundle objects as the
// API lists them, from any namespace: those whose names match rendered ones and those carrying Herd's labels
// of this Stack (duplicates are fine). Pure: the same inputs give the same plan. An unchanged Stack gives an
// empty plan (zero writes on a resync).
SyncPlan plan_bundle_sync(const StackRef& stack,
                          const core::RenderedStack& rendered,
                          std::span<const nlohmann::json> existing);

// The Bundles to delete when `stack` is finalized: every Bundle in `existing` with Herd's labels of this
// Stack, in any namespace; Bundles without them are never included. Sorted by namespace, then name.
std::vector<BundleRef> bundles_to_finalize(const StackRef& stack, std::span<const nlohmann::json> existing);

} // namespace herd::controller
