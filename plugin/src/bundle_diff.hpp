#pragma once

// The pure half of the live plan (`kubectl herd plan NAME`, `plan -f FILE --live`): what the rendered Bundles
// of a Stack change in the cluster, field by field, and which Fleet Clusters each Bundle reaches. No I/O:
// live_plan.cpp reads the cluster and prints.

#include <herd/controller/bundle_sync.hpp>
#include <herd/core/bundle_renderer.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace herd::plugin {

// What applying the Stack does to one Bundle, in terraform's terms. `conflict`: the name is held by a Bundle
// Herd must not touch (not Herd's, or another Stack's); the reconciler refuses to write it.
enum class BundleAction { add, change, destroy, noop, conflict };

// "add", "change", "destroy", "noop", "conflict": the -o json words.
std::string_view to_string(BundleAction action);

// One field of a Bundle, as the cluster has it (old) and as the Stack renders it (new).
struct FieldChange {
  std::string
      path; // spec.helm.values.image.tag, metadata.labels["herd.suse.com/chart"], spec.dependsOn[1].name
  std::optional<nlohmann::json> old_value; // nullopt: absent (or withheld when sensitive)
  std::optional<nlohmann::json> new_value; // nullopt: absent (or withheld when sensitive)
  // The value may hold secret material (a policy resource that is a Secret manifest): both values are
  // withheld, only the path says what changes.
  bool sensitive = false;
};

struct BundleChange {
  std::string namespace_name;
  std::string name;
  std::string chart; // the Stack's chart, "herd-policy" for the policy Bundle; of a destroyed one its label
  BundleAction action = BundleAction::noop;
  // add: the key fields of the new Bundle (chart, repo, version, release, namespace, dependencies; only new
  // values); change: every field that differs; destroy: the key fields of the Bundle that goes (only old
  // values); noop and conflict: none.
  std::vector<FieldChange> changes;
  std::string owner; // conflict: who holds the name ("not managed by Herd", "Stack ns/name")
  // change: the fields differ but the rendered-hash annotation is the one Herd would write, so the Bundle was
  // edited outside Herd. The reconciler compares hashes and re-applies it only when its rendering changes.
  bool drifted = false;
};

struct BundleChanges {
  // The rendered Bundles in render order (policy Bundle first), then the destroyed ones sorted by namespace
  // and name.
  std::vector<BundleChange> bundles;
  std::size_t to_add = 0;
  std::size_t to_change = 0;
  std::size_t to_destroy = 0;
  std::size_t unchanged = 0;
  std::size_t conflicts = 0;

  [[nodiscard]] bool has_changes() const { return to_add + to_change + to_destroy > 0; }
};

// Compares the Bundles `rendered` for `stack` with the Bundles of the cluster: `live` holds the Bundles with
// Herd's labels of this Stack and any Bundle holding a rendered name (duplicates are fine), as the API
// returns them. Decides add/destroy/conflict exactly as the reconciler's plan_bundle_sync does; a Bundle
// that exists is compared field by field with diff_bundle_fields. Deterministic.
BundleChanges diff_bundles(const controller::StackRef& stack,
                           const core::RenderedStack& rendered,
                           std::span<const nlohmann::json> live);

// The fields of `live` that differ from `rendered`, in path order (object keys sorted, array items by
// index). Compared: Herd's labels and annotations (app.kubernetes.io/managed-by, herd.suse.com/…) except the
// rendered-hash annotation, and the spec. Ignored: status, the rest of metadata (resourceVersion, uid,
// generation, managedFields, other tools' labels), and fields Herd does not render where Fleet or another
// tool puts them (spec.targetCustomizationMode, which Fleet's CRD defaults; helmOpOptions content). Outside
// Helm values, an absent field equals a zero value (false, 0, "", {}, [], null), as Fleet's Go types read
// them; inside values every key counts. Lists of named items (targets, dependsOn, resources) are paired by
// name (spec.dependsOn[name=x]): an item on one side only is one change holding the whole item. Iterative: no
// recursion, however deep the values.
std::vector<FieldChange> diff_bundle_fields(const nlohmann::json& rendered, const nlohmann::json& live);

// What one Fleet target of a Bundle reaches.
struct TargetMatch {
  std::string name;        // the target's name ("selector", "override-0"), else "#<index>"
  std::string description; // "clusters c-m-gpu01, local", "clusters labelled gpu=true", "cluster group prod"
  std::vector<std::string> clusters; // Fleet Cluster names it matches (targetRestrictions applied), sorted
  // Rancher cluster ids the target names (management.cattle.io/cluster-name In …) that no Cluster carries.
  std::vector<std::string> missing_cluster_ids;
};

struct TargetResolution {
  std::vector<std::string> clusters; // Fleet Cluster names the Bundle deploys to, sorted
  std::vector<TargetMatch> targets;  // one per spec.targets entry, in order
};

// Which of `clusters` (Fleet Cluster objects) `bundle` (a Fleet Bundle) deploys to, as Fleet's target matcher
// decides: only Clusters of the Bundle's namespace; a cluster takes the first target that matches it (a
// target with doNotDeploy matched first excludes it) and must match one targetRestriction when there are
// any. A target matches when every criterion it sets holds (it sets none: nothing): clusterName, the
// clusterSelector on the Cluster's labels (an empty selector: every Cluster), clusterGroup and
// clusterGroupSelector through `cluster_groups` (a ClusterGroup holds the Clusters of its namespace its
// spec.selector matches; without a selector it holds none).
TargetResolution resolve_targets(const nlohmann::json& bundle,
                                 std::span<const nlohmann::json> clusters,
                                 std::span<const nlohmann::json> cluster_groups);

// A Fleet Cluster as users know it: its name, with the Rancher cluster id when that differs
// ("gpu-prod (c-m-gpu01)").
std::string cluster_display_name(const nlohmann::json& cluster);

} // namespace herd::plugin
