#pragma once

#include <herd/controller/informer.hpp>
#include <herd/controller/leader_elector.hpp>
#include <herd/controller/stack_reconciler.hpp>
#include <herd/controller/work_queue.hpp>
#include <herd/kube/api_client.hpp>
#include <herd/runtime/logger.hpp>
#include <herd/runtime/metrics.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace herd::controller {

struct StackControllerOptions {
  std::string name_space; // Stacks (and ConfigMaps) of one namespace; empty: all
  std::chrono::milliseconds resync_period{std::chrono::minutes(10)}; // every Stack reconciled again
  int workers = 2;                                                   // Stacks reconciled at once
  bool leader_elect = true;
  LeaderElectionOptions leader_election{};
  std::chrono::seconds watch_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds informer_retry_base{500};
  WorkQueue::Options queue{};
};

// The reconciler of herd-controller: informers on Stacks, Herd's Bundles and BundleDeployments, Fleet
// Clusters and ConfigMaps feed a work queue keyed by Stack; workers run StackReconciler. With leader election
// only the replica holding the Lease runs workers (every replica keeps its caches warm, so a new leader
// starts at once); without it, this process always does.
class StackController {
public:
  // `client` serves the informers and the reconcilers; `election_client` (fail-fast: one attempt, short
  // timeout) the Lease. Both must outlive the controller.
  StackController(kube::ApiClient& client,
                  kube::ApiClient& election_client,
                  StackControllerOptions options,
                  StackReconciler::PolicySource policy,
                  runtime::Logger& logger,
                  runtime::MetricsRegistry& registry);
  ~StackController();
  StackController(const StackController&) = delete;
  StackController& operator=(const StackController&) = delete;

  // Runs until `stop` is requested. Blocks.
  void run(const std::stop_token& stop);

  // Queues every cached Stack (the policy changed, or a resync).
  void enqueue_all();

  // Whether the caches are synced and this replica reconciles (or stands by for the Lease).
  [[nodiscard]] bool synced() const;
  [[nodiscard]] bool leading() const { return m_leading.load(); }
  [[nodiscard]] const std::string& identity() const { return m_identity; }
  [[nodiscard]] const ReconcilerMetrics& metrics() const { return m_metrics; }
  // Stacks queued and ready for a worker (0 while not leading).
  [[nodiscard]] std::size_t queue_depth();

private:
  void enqueue(const std::string& key);
  void on_stack(const InformerEvent& event);
  void on_bundle(const nlohmann::json& bundle);
  void on_bundle_deployment(const nlohmann::json& deployment);
  void on_config_map(const nlohmann::json& config_map);
  void on_cluster(const InformerEvent& event);
  void start_workers();
  void stop_workers();
  void work(WorkQueue& queue);

  kube::ApiClient& m_client;
  kube::ApiClient& m_election_client;
  StackControllerOptions m_options;
  StackReconciler::PolicySource m_policy;
  runtime::Logger& m_logger;
  ReconcilerMetrics m_metrics;
  runtime::Gauge& m_queue_depth;
  runtime::Gauge& m_leader;
  std::string m_identity;

  std::unique_ptr<Informer> m_stacks;
  std::unique_ptr<Informer> m_bundles;
  std::unique_ptr<Informer> m_bundle_deployments;
  std::unique_ptr<Informer> m_clusters;
  std::unique_ptr<Informer> m_config_maps;

  // Bundle label values (stack-namespace/stack, hashed beyond 63 characters) -> Stack key.
  mutable std::mutex m_index_mutex;
  std::map<std::string, std::string> m_stack_by_labels;

  std::mutex m_workers_mutex;
  std::shared_ptr<WorkQueue> m_queue; // while leading
  std::vector<std::jthread> m_workers;
  std::atomic<bool> m_leading{false};
};

} // namespace herd::controller
