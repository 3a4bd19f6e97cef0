#include <herd/controller/bundle_sync.hpp>
#include <herd/controller/stack_controller.hpp>
#include <herd/kube/object_meta.hpp>

#include <condition_variable>
#include <utility>

namespace herd::controller {

namespace {

using kube::label;
using kube::metadata_string;
using nlohmann::json;

bool references_config_map(const json& stack, const std::string& name) {
  const auto spec = stack.find("spec");
  if (spec == stack.end() || !spec->is_object() || !spec->contains("charts") ||
      !(*spec)["charts"].is_array()) {
    return false;
  }
  for (const auto& chart : (*spec)["charts"]) {
    if (!chart.is_object() || !chart.contains("values") || !chart["values"].is_object()) {
      continue;
    }
    const auto& refs = chart["values"].value("configMapRefs", json::array());
    if (!refs.is_array()) {
      continue;
    }
    for (const auto& ref : refs) {
      if (ref.is_object() && ref.value("name", json()) == name) {
        return true;
      }
    }
  }
  return false;
}

bool wait_for_stop(std::chrono::milliseconds delay, const std::stop_token& stop) {
  std::mutex sleeping;
  std::unique_lock lock(sleeping);
  std::condition_variable_any wake;
  wake.wait_for(lock, stop, delay, [] { return false; });
  return !stop.stop_requested();
}

const std::string k_herd_selector = std::string(k_managed_by_label) + "=" + std::string(k_managed_by_herd);

} // namespace

StackController::StackController(kube::ApiClient& client,
                                 kube::ApiClient& election_client,
                                 StackControllerOptions options,
                                 StackReconciler::PolicySource policy,
                                 runtime::Logger& logger,
                                 runtime::MetricsRegistry& registry)
    : m_client(client), m_election_client(election_client), m_options(std::move(options)),
      m_policy(std::move(policy)), m_logger(logger), m_metrics(registry),
      m_queue_depth(registry.gauge("herd_workqueue_depth", "Stacks waiting to be reconciled.")),
      m_leader(registry.gauge("herd_leader", "1 while this replica holds the Lease and reconciles.")),
      m_identity(m_options.leader_election.identity.empty() ? default_leader_identity()
                                                            : m_options.leader_election.identity) {
  m_options.leader_election.identity = m_identity;
  const auto make = [this](kube::ResourceType type, std::string name_space, std::string selector,
                           Informer::Handler handler, std::function<std::string(const json&)> index = {}) {
    InformerOptions informer;
    informer.type = std::move(type);
    informer.name_space = std::move(name_space);
    informer.label_selector = std::move(selector);
    informer.watch_timeout = m_options.watch_timeout;
    informer.retry_base = m_options.informer_retry_base;
    informer.index = std::move(index);
    informer.on_error = [this, resource = informer.type.group.empty()
                                              ? informer.type.plural
                                              : informer.type.plural + "." + informer.type.group](
                            std::string_view what, const kube::ApiError& error) {
      m_logger.warn("cannot " + std::string(what) + " " + resource + "; retrying with backoff",
                    {{"error", error.to_string()}});
    };
    return std::make_unique<Informer>(m_client, std::move(informer), std::move(handler));
  };
  m_stacks = make(kube::resources::stacks, m_options.name_space, "",
                  [this](const InformerEvent& event) { on_stack(event); });
  m_bundles = make(
      kube::resources::bundles, "", k_herd_selector,
      [this](const InformerEvent& event) { on_bundle(*event.object); }, bundle_index_key);
  m_bundle_deployments = make(
      kube::resources::bundle_deployments, "", k_herd_selector,
      [this](const InformerEvent& event) { on_bundle_deployment(*event.object); }, deployment_index_key);
  m_clusters = make(
      kube::resources::clusters, "", "", [this](const InformerEvent& event) { on_cluster(event); },
      namespace_index_key);
  m_config_maps = make(kube::resources::config_maps, m_options.name_space, "",
                       [this](const InformerEvent& event) { on_config_map(*event.object); });
}

StackController::~StackController() {
  stop_workers();
}

void StackController::enqueue(const std::string& key) {
  const std::lock_guard lock(m_workers_mutex);
  if (m_queue) {
    m_queue->add(key);
    m_queue_depth.set(static_cast<double>(m_queue->depth()));
  }
}

void StackController::enqueue_all() {
  for (const auto& stack : m_stacks->list()) {
    enqueue(object_key(*stack));
  }
}

void StackController::on_stack(const InformerEvent& event) {
  const json& stack = *event.object;
  const std::string key = object_key(stack);
  {
    const std::lock_guard lock(m_index_mutex);
    const std::string labels = stack_label_value(metadata_string(stack, "namespace")) + "/" +
                               stack_label_value(metadata_string(stack, "name"));
    if (event.type == InformerEvent::Type::deleted) {
      m_stack_by_labels.erase(labels);
    } else {
      m_stack_by_labels[labels] = key;
    }
  }
  if (event.type != InformerEvent::Type::deleted) {
    enqueue(key);
  }
}

void StackController::on_bundle(const json& bundle) {
  const std::string labels = label(bundle, k_stack_namespace_label) + "/" + label(bundle, k_stack_label);
  std::string key;
  {
    const std::lock_guard lock(m_index_mutex);
    const auto found = m_stack_by_labels.find(labels);
    if (found == m_stack_by_labels.end()) {
      return; // a Bundle of a Stack that is gone (or not watched here)
    }
    key = found->second;
  }
  enqueue(key);
}

void StackController::on_bundle_deployment(const json& deployment) {
  // Fleet copies the Bundle's labels onto its BundleDeployments; fall back to the Bundle they name.
  if (!label(deployment, k_stack_label).empty()) {
    on_bundle(deployment);
    return;
  }
  if (const auto bundle = m_bundles->get(label(deployment, k_bd_bundle_namespace_label),
                                         label(deployment, k_bd_bundle_name_label))) {
    on_bundle(*bundle);
  }
}

void StackController::on_config_map(const json& config_map) {
  const std::string name_space = metadata_string(config_map, "namespace");
  const std::string name = metadata_string(config_map, "name");
  for (const auto& stack : m_stacks->select([&](const json& item) {
         return metadata_string(item, "namespace") == name_space && references_config_map(item, name);
       })) {
    enqueue(object_key(*stack));
  }
}

void StackController::on_cluster(const InformerEvent& event) {
  // Which clusters a Stack reaches changes only with a cluster's arrival, departure or labels; Fleet's
  // frequent status updates of a Cluster change nothing Herd reports from it.
  if (event.type == InformerEvent::Type::updated && event.previous &&
      kube::labels(*event.previous) == kube::labels(*event.object)) {
    return;
  }
  const std::string workspace = metadata_string(*event.object, "namespace");
  for (const auto& stack : m_stacks->select([&](const json& item) {
         const auto spec = item.find("spec");
         return spec == item.end() || !spec->is_object() || spec->value("workspace", workspace) == workspace;
       })) {
    enqueue(object_key(*stack));
  }
}

void StackController::work(WorkQueue& queue) {
  StackReconciler reconciler(
      m_client, ReconcilerCaches{*m_stacks, *m_bundles, *m_bundle_deployments, *m_clusters, *m_config_maps},
      m_policy, m_logger, m_metrics, m_identity);
  while (auto key = queue.get()) {
    const ReconcileResult result = reconciler.reconcile(*key);
    if (result == ReconcileResult::requeue) {
      queue.add_rate_limited(*key);
    } else {
      queue.forget(*key);
    }
    queue.done(*key);
    m_queue_depth.set(static_cast<double>(queue.depth()));
  }
}

void StackController::start_workers() {
  {
    const std::lock_guard lock(m_workers_mutex);
    m_queue = std::make_shared<WorkQueue>(m_options.queue);
    for (int i = 0; i < m_options.workers; ++i) {
      m_workers.emplace_back([this, queue = m_queue] { work(*queue); });
    }
  }
  m_leading.store(true);
  m_leader.set(1);
  m_logger.info("reconciling Stacks", {{"identity", m_identity}, {"workers", m_options.workers}});
  enqueue_all();
}

void StackController::stop_workers() {
  std::vector<std::jthread> workers;
  {
    const std::lock_guard lock(m_workers_mutex);
    if (m_queue) {
      m_queue->shut_down();
      m_queue.reset();
    }
    workers = std::move(m_workers);
    m_workers.clear();
  }
  workers.clear(); // joins: each finishes the Stack it is reconciling
  if (m_leading.exchange(false)) {
    m_leader.set(0);
    m_logger.info("stopped reconciling Stacks", {{"identity", m_identity}});
  }
}

std::size_t StackController::queue_depth() {
  const std::lock_guard lock(m_workers_mutex);
  return m_queue ? m_queue->depth() + m_queue->waiting() : 0;
}

bool StackController::synced() const {
  return m_stacks->synced() && m_bundles->synced() && m_bundle_deployments->synced() &&
         m_clusters->synced() && m_config_maps->synced();
}

void StackController::run(const std::stop_token& stop) {
  std::vector<std::jthread> informers;
  for (Informer* informer :
       {m_stacks.get(), m_bundles.get(), m_bundle_deployments.get(), m_clusters.get(), m_config_maps.get()}) {
    informers.emplace_back(
        [informer](const std::stop_token& informer_stop) { informer->run(informer_stop); });
  }
  const auto stop_informers = [&informers] {
    for (auto& informer : informers) {
      informer.request_stop();
    }
    informers.clear();
  };
  // No worker starts before every cache holds a whole snapshot: a finalizer must never be released, nor a
  // Bundle applied, on the word of a half-filled cache.
  while (!synced()) {
    if (!wait_for_stop(std::chrono::milliseconds(50), stop)) {
      stop_informers();
      return;
    }
  }
  m_logger.info("caches synced", {{"stacks", m_stacks->size()},
                                  {"bundles", m_bundles->size()},
                                  {"bundleDeployments", m_bundle_deployments->size()},
                                  {"clusters", m_clusters->size()},
                                  {"configMaps", m_config_maps->size()}});
  std::jthread resync([this](const std::stop_token& resync_stop) {
    while (wait_for_stop(m_options.resync_period, resync_stop)) {
      enqueue_all();
    }
  });
  if (m_options.leader_elect) {
    LeaderElector elector(m_election_client, m_options.leader_election,
                          {[this] { start_workers(); }, [this] { stop_workers(); },
                           [this](const std::string& holder) {
                             m_logger.info("leader", {{"holder", holder}, {"identity", m_identity}});
                           }});
    elector.run(stop);
  } else {
    start_workers();
    while (wait_for_stop(std::chrono::hours(1), stop)) {
    }
  }
  resync.request_stop();
  resync.join();
  stop_workers();
  stop_informers();
}

} // namespace herd::controller
