#pragma once

#include <herd/controller/bundle_sync.hpp>
#include <herd/core/bundle_renderer.hpp>
#include <herd/core/policy.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace herd::controller {

// The label keys Fleet puts on every BundleDeployment (besides copying the Bundle's own labels).
inline constexpr std::string_view k_bd_bundle_name_label = "fleet.cattle.io/bundle-name";
inline constexpr std::string_view k_bd_bundle_namespace_label = "fleet.cattle.io/bundle-namespace";
inline constexpr std::string_view k_bd_cluster_label = "fleet.cattle.io/cluster";
inline constexpr std::string_view k_bd_cluster_namespace_label = "fleet.cattle.io/cluster-namespace";
// The label Rancher puts on a Fleet Cluster: the Rancher cluster id (c-m-…) of that cluster.
inline constexpr std::string_view k_rancher_cluster_id_label = "management.cattle.io/cluster-name";
// The state Herd reports for a deployment Fleet shows as ErrApplied "dependent bundle(s) are not ready":
// waiting, not failed (newer Fleet releases call it the same).
inline constexpr std::string_view k_waiting_for_dependency = "WaitingForDependency";

inline constexpr std::size_t k_default_max_deployments = 100;
inline constexpr std::size_t k_default_max_target_clusters = 100;

// A rendered Bundle that could not be written this round (the API refused the server-side apply).
struct ApplyError {
  std::string chart; // "herd-policy" for the policy Bundle
  std::string bundle;
  std::string message; // the API's Status message
};

// Everything the Stack status is computed from. Lists are the objects as the API returns them; spans only
// borrow, so the caller keeps them alive during compute_stack_status.
struct StatusInput {
  // The Stack object (metadata.generation, metadata.deletionTimestamp, spec; the effective Stack after
  // defaults and policy injection, as the webhook stored it).
  const nlohmann::json* stack = nullptr;
  // The Bundles render_bundles made for it; null when the Stack was not rendered (invalid).
  const core::RenderedStack* rendered = nullptr;
  // The policy the Bundles were rendered with (which ServiceMonitor values it turns on); null = the default.
  const core::Policy* policy = nullptr;
  // Validation findings as text (one per finding, e.g. "spec.charts[1].name: …"); any = the Stack is invalid.
  std::vector<std::string> validation_errors;
  // Fleet Bundles observed (matched to rendered ones by namespace and name; others are ignored).
  std::span<const nlohmann::json> bundles;
  // Fleet BundleDeployments observed (matched by their fleet.cattle.io/bundle-name/-namespace labels).
  std::span<const nlohmann::json> bundle_deployments;
  // Fleet Clusters (optional): their management.cattle.io/cluster-name label gives the Rancher cluster id;
  // a cluster not found here is reported by its Fleet name.
  std::span<const nlohmann::json> clusters;
  std::vector<Collision> collisions;        // from plan_bundle_sync
  std::vector<ApplyError> apply_errors;     // from applying that plan (final failures of this round only)
  const nlohmann::json* previous = nullptr; // the Stack's current .status (null or not an object = none)
  std::string now;                          // RFC 3339 UTC, e.g. "2025-05-01T12:00:00Z"
  std::size_t max_deployments = k_default_max_deployments;
  std::size_t max_target_clusters = k_default_max_target_clusters;
};

// Computes the Stack `status` (DESIGN §2). Pure and deterministic: the same input (including `previous`
// and `now`) gives byte-identical JSON; with unchanged inputs and `previous` set to the last result it
// returns `previous` again whatever `now` is (transition and update times are kept), so the reconciler
// writes /status only when status_changed says so.
//
// Phase, first rule that applies:
//  1. Deleting   metadata.deletionTimestamp is set.
//  2. Failed     the Stack is invalid (Validated=False, the findings in the message); Bundles untouched, so
//                summary/bundles/deployments keep their previous values.
//  3. Paused     spec.paused.
//  4. Failed     a Bundle could not be written (a name collision or an apply error), or a Bundle is in error
//                on every cluster it has a deployment on (that chart runs nowhere).
//  5. Pending    none of the rendered Bundles exists yet.
//  6. Degraded   some chart × cluster deployments are in error or modified (drift), but no Bundle is in
//                error everywhere. "In error" = Fleet ErrApplied (except a dependency wait) or NotReady with
//                a resource Fleet flags as an error.
//  7. NoTargets  a Bundle matches no cluster (Fleet's desiredReady 0, "Ready 0/0" — not success).
//  8. Deploying  a Bundle is missing, not yet processed by Fleet, or ready < desiredReady (waiting for a
//                dependency is progress, not failure).
//  9. Deployed   every Bundle has desiredReady > 0 and ready == desiredReady.
// Failed and Degraded messages carry Fleet's message for the worst deployment, naming chart and cluster.
//
// deployments[]: one entry per chart × cluster, worst first (error, not-ready with errors, modified,
// out-of-sync, not ready, wait-applied, pending, waiting for a dependency, ready; unknown states rank with
// not ready), then chart in render order (the policy Bundle first), then cluster id; at most
// `max_deployments` entries, summary.omittedDeployments counts the rest. targetClusters: sorted, at most
// `max_target_clusters`. Summary counts cover chart Bundles only (not the policy Bundle) and are complete.
nlohmann::json compute_stack_status(const StatusInput& input);

// Whether `next` differs from `old` (the stored status): the reconciler writes /status only then.
bool status_changed(const nlohmann::json& old_status, const nlohmann::json& next_status);

// A Kubernetes Event for the Stack.
struct StackEvent {
  std::string type;   // "Normal" or "Warning"
  std::string reason; // CamelCase
  std::string message;
};

// The Event for a phase change from `old_status` to `next_status` (type Warning for Failed, Degraded and
// NoTargets,
// reason = the new phase, message "Deploying -> Deployed: …"), or nullopt when the phase did not change.
std::optional<StackEvent> phase_change_event(const nlohmann::json& old_status,
                                             const nlohmann::json& next_status);

// The Warning Event for an apply error (reason "ApplyFailed").
StackEvent apply_error_event(const ApplyError& error);

} // namespace herd::controller
