#pragma once

#include <herd/controller/informer.hpp>
#include <herd/controller/stack_status.hpp>
#include <herd/core/policy.hpp>
#include <herd/kube/api_client.hpp>
#include <herd/runtime/logger.hpp>
#include <herd/runtime/metrics.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace herd::core {
class Linter;
}

namespace herd::controller {

inline constexpr std::string_view k_bundles_finalizer = "herd.suse.com/bundles";

// Index keys of the caches (InformerOptions::index), so a reconcile reads one Stack's objects directly:
// Bundles by the Stack their labels name, BundleDeployments by their Bundle, Clusters by workspace.
std::string bundle_index_key(const nlohmann::json& bundle); // "<stack-namespace label>/<stack label>"
std::string stack_index_key(const std::string& name_space, const std::string& name); // the same for a Stack
std::string deployment_index_key(const nlohmann::json& deployment); // "<bundle-namespace>/<bundle-name>"
std::string namespace_index_key(const nlohmann::json& object);      // metadata.namespace

// The caches a reconcile reads (kept current by informers; see StackController); the informers of bundles,
// bundle_deployments and clusters are indexed with the functions above.
struct ReconcilerCaches {
  const Informer& stacks;
  const Informer& bundles;            // Bundles with Herd's managed-by label, every namespace
  const Informer& bundle_deployments; // BundleDeployments with Herd's managed-by label (Fleet copies it)
  const Informer& clusters;           // Fleet Clusters
  const Informer& config_maps;        // ConfigMaps of the namespaces Stacks live in
};

// The reconciler's metrics (registered once per registry).
struct ReconcilerMetrics {
  explicit ReconcilerMetrics(runtime::MetricsRegistry& registry);
  runtime::Counter& reconciles;    // {result}: success, requeue, error
  runtime::Counter& bundle_writes; // {verb}: apply, delete
  runtime::Histogram& duration;    // seconds
};

// What a reconcile asks of the work queue.
enum class ReconcileResult {
  done,    // converged (or nothing to do): forget the key's backoff
  requeue, // a conflict, an API failure or a Bundle still being deleted: try again with backoff
};

// Reconciles one Stack at a time (DESIGN §6): finalizer, re-validation, rendering with the ConfigMap values
// of configMapRefs, server-side apply of the Bundles whose rendered hash changed, deletion of Bundles of
// removed charts, the status (only when it changed) and an Event per phase change and apply error. Reads
// only the caches (plus a GET when a Bundle name is taken by an object outside them); writes through the
// client. Never writes a Bundle without Herd's labels of this Stack. Not thread-safe: one per worker thread.
class StackReconciler {
public:
  using PolicySource = std::function<std::shared_ptr<const core::Policy>()>;
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  StackReconciler(
      kube::ApiClient& client,
      ReconcilerCaches caches,
      PolicySource policy,
      runtime::Logger& logger,
      ReconcilerMetrics& metrics,
      std::string identity,
      Clock clock = [] { return std::chrono::system_clock::now(); });
  ~StackReconciler();
  StackReconciler(const StackReconciler&) = delete;
  StackReconciler& operator=(const StackReconciler&) = delete;

  // Reconciles the Stack "namespace/name".
  ReconcileResult reconcile(const std::string& key);

private:
  ReconcileResult finalize(const nlohmann::json& stack);
  // Writes `next` to /status when it differs from the stored one; emits the phase-change Event.
  bool write_status(const nlohmann::json& stack, const nlohmann::json& next);
  void emit_event(const nlohmann::json& stack, const StackEvent& event);
  core::Linter* linter(const std::shared_ptr<const core::Policy>& policy);

  kube::ApiClient& m_client;
  ReconcilerCaches m_caches;
  PolicySource m_policy;
  runtime::Logger& m_logger;
  ReconcilerMetrics& m_metrics;
  std::string m_identity;
  Clock m_clock;
  std::shared_ptr<const core::Policy> m_linter_policy;
  std::shared_ptr<core::Linter> m_linter;
};

// An RFC 3339 UTC timestamp with seconds, as metav1.Time is written: 2026-11-23T02:15:07Z.
std::string format_time(std::chrono::system_clock::time_point time);

} // namespace herd::controller
