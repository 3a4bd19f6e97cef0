#pragma once

// The StackController end to end: a test API server (tests/apiserver), a "kubectl" client acting as the user,
// controller instances each with their own ApiClients, caches, logs and metrics, and helpers that play Fleet
// (Bundle status, BundleDeployments, Clusters) and compare what the server holds with what `plan` renders.
// Every wait polls with a deadline (eventually); nothing sleeps for correctness.

#include "controller_fixtures.hpp"

#include <herd/controller/bundle_sync.hpp>
#include <herd/controller/stack_controller.hpp>
#include <herd/core/bundle_renderer.hpp>
#include <herd/core/diagnostic.hpp>
#include <herd/core/policy.hpp>
#include <herd/core/yaml_loader.hpp>
#include <herd/kube/api_client.hpp>
#include <herd/kube/kubeconfig.hpp>
#include <herd/kube/resource.hpp>
#include <herd/kube/url.hpp>
#include <herd/runtime/logger.hpp>
#include <herd/runtime/metrics.hpp>
#include <herd/test_apiserver/api_server.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace herd::test {

using namespace std::chrono_literals;
using test_apiserver::ApiServer;
using test_apiserver::FaultRule;
using test_apiserver::WriteRecord;

inline constexpr const char* k_stack_api = "herd.suse.com/v1";
inline constexpr const char* k_fleet_api = "fleet.cattle.io/v1alpha1";

// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
inline bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(20ms);
  }
}

inline kube::ClusterConfig config_for(const ApiServer& server) {
  kube::ClusterConfig config;
  config.server = server.url();
  auto url = kube::parse_server_url(config.server);
  if (!url) {
    throw std::runtime_error(url.error().message);
  }
  config.server_url = *url;
  config.namespace_name = "default";
  return config;
}

inline std::unique_ptr<kube::ApiClient> make_client(const ApiServer& server, kube::ApiClientOptions options) {
  auto client = kube::ApiClient::create(config_for(server), std::move(options));
  if (!client) {
    throw std::runtime_error(client.error().message);
  }
  return std::move(client).value();
}

// The built-in policy, as herd-controller's PolicyStore hands it out.
inline std::shared_ptr<const core::Policy> default_policy_ptr() {
  return {&core::default_policy(), [](const core::Policy*) {}};
}

// Options for one controller instance: fast everything, so a scenario takes a second or two.
struct InstanceOptions {
  std::string identity = "herd-a";
  bool leader_elect = false;
  std::chrono::milliseconds resync_period = 250ms;
  std::chrono::milliseconds request_timeout = 5s;
  int max_attempts = 5;
  std::string name_space{}; // --namespace: empty for all
};

// One herd-controller replica: its own clients (requests counted by method), caches, logs and metrics.
class ControllerInstance {
public:
  ControllerInstance(const ApiServer& server, const InstanceOptions& options)
      : m_logger(runtime::LogLevel::info, runtime::LogFormat::text, m_log) {
    kube::ApiClientOptions client_options;
    client_options.user_agent = "herd-controller/" + options.identity;
    client_options.request_timeout = options.request_timeout;
    client_options.connect_timeout = 1s;
    client_options.max_attempts = options.max_attempts;
    client_options.backoff_base = 20ms;
    client_options.backoff_cap = 200ms;
    client_options.retry_after_cap = 2s;
    client_options.observer = [this](std::string_view method, int status) {
      if (method != "GET") {
        m_write_attempts.fetch_add(1);
      }
      if (status == 0) {
        m_unanswered.fetch_add(1);
      }
    };
    m_client = make_client(server, client_options);
    kube::ApiClientOptions election_options = client_options;
    election_options.observer = {};
    election_options.max_attempts = 1;
    election_options.request_timeout = 500ms;
    m_election_client = make_client(server, election_options);

    controller::StackControllerOptions controller_options;
    controller_options.resync_period = options.resync_period;
    controller_options.name_space = options.name_space;
    controller_options.workers = 2;
    controller_options.leader_elect = options.leader_elect;
    controller_options.leader_election.identity = options.identity;
    controller_options.leader_election.timing = {1500ms, 1000ms, 200ms};
    controller_options.watch_timeout = 30s;
    controller_options.informer_retry_base = 50ms;
    controller_options.queue = {5ms, 500ms};
    m_controller = std::make_unique<controller::StackController>(
        *m_client, *m_election_client, controller_options, default_policy_ptr, m_logger, m_registry);
  }

  ~ControllerInstance() { stop(); }
  ControllerInstance(const ControllerInstance&) = delete;
  ControllerInstance& operator=(const ControllerInstance&) = delete;

  void start() {
    m_thread = std::jthread([this](std::stop_token stop) { m_controller->run(stop); });
  }
  // Requests the stop and waits for run() to return (workers finish the Stack they are on).
  void stop() {
    if (m_thread.joinable()) {
      m_thread.request_stop();
      m_thread.join();
    }
  }

  controller::StackController& controller() { return *m_controller; }
  [[nodiscard]] bool leading() const { return m_controller->leading(); }
  // POST/PUT/PATCH/DELETE attempts of the main client (the Lease client is not counted).
  [[nodiscard]] int write_attempts() const { return m_write_attempts.load(); }
  [[nodiscard]] int unanswered() const { return m_unanswered.load(); }

  // Completed reconciles (every result).
  [[nodiscard]] double reconciles() const {
    double total = 0;
    std::istringstream lines(m_registry.render());
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("herd_reconcile_total{", 0) == 0) {
        total += std::stod(line.substr(line.rfind(' ') + 1));
      }
    }
    return total;
  }

  // Waits until `count` more reconciles completed: with a resync period P, about count/stacks periods.
  bool wait_reconciles(double count, std::chrono::milliseconds timeout = 10s) {
    const double start = reconciles();
    return eventually([&] { return reconciles() >= start + count; }, timeout);
  }

  // The log so far; only read once the instance stopped (the logger writes from other threads).
  [[nodiscard]] std::string log() const { return m_log.str(); }

private:
  std::ostringstream m_log;
  runtime::Logger m_logger;
  runtime::MetricsRegistry m_registry;
  std::atomic<int> m_write_attempts{0};
  std::atomic<int> m_unanswered{0};
  std::unique_ptr<kube::ApiClient> m_client;
  std::unique_ptr<kube::ApiClient> m_election_client;
  std::unique_ptr<controller::StackController> m_controller;
  std::jthread m_thread;
};

// The scenario's cluster: the API server with Fleet's namespaces, a user's client, controller instances.
class StackControllerFixture : public ::testing::Test {
protected:
  void SetUp() override {
    server = std::make_unique<ApiServer>();
    server->start();
    for (const char* name : {"fleet-default", "herd-system", "team-a", "team-b"}) {
      put_namespace(name);
    }
    kube::ApiClientOptions user_options;
    user_options.user_agent = "kubectl/v1.32";
    user_options.field_manager = "kubectl";
    user_options.backoff_base = 20ms;
    user_options.backoff_cap = 200ms;
    user = make_client(*server, user_options);
  }

  void TearDown() override {
    for (auto& instance : instances) {
      instance->stop();
    }
    if (HasFailure()) {
      for (std::size_t i = 0; i < instances.size(); ++i) {
        std::cerr << "---- controller instance " << i << " log\n" << instances[i]->log();
      }
    }
    instances.clear();
    user.reset();
    server.reset();
  }

  ControllerInstance& start_controller(InstanceOptions options = {}) {
    instances.push_back(std::make_unique<ControllerInstance>(*server, options));
    instances.back()->start();
    return *instances.back();
  }

  void put_namespace(const std::string& name) {
    server->put({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}});
  }

  // ---- the user

  // A Stack as a user writes it (no server-set metadata): rag_stack without the fixture's generation.
  static json user_stack(const std::string& name, const std::string& name_space = "team-a") {
    json stack = rag_stack(name);
    stack["metadata"] = {{"name", name}, {"namespace", name_space}};
    return stack;
  }

  json create_stack(const json& stack) {
    auto created =
        user->create(kube::resources::stacks, stack["metadata"]["namespace"].get<std::string>(), stack);
    if (!created) {
      ADD_FAILURE() << "create: " << created.error().to_string();
      return {};
    }
    return *created;
  }

  // Replaces spec.charts (a merge patch replaces lists whole), as `kubectl edit` would.
  json set_charts(const json& stack, const json& charts) {
    auto patched =
        user->merge_patch(kube::resources::stacks, stack["metadata"]["namespace"].get<std::string>(),
                          stack["metadata"]["name"].get<std::string>(), {{"spec", {{"charts", charts}}}});
    if (!patched) {
      ADD_FAILURE() << "patch: " << patched.error().to_string();
      return {};
    }
    return *patched;
  }

  // Creates `stack` and waits until the controller settled it (see settled); whether it did.
  bool create_and_settle(const json& stack) {
    create_stack(stack);
    return eventually([&] { return settled(stack); });
  }

  // set_charts, and the same edit in the test's own copy of `stack`.
  void edit_charts(json& stack, const json& charts) {
    set_charts(stack, charts);
    stack["spec"]["charts"] = charts;
  }

  // edit_charts with one chart's version changed.
  void edit_chart_version(json& stack, std::size_t chart, const std::string& version) {
    json charts = stack["spec"]["charts"];
    charts[chart]["version"] = version;
    edit_charts(stack, charts);
  }

  void delete_stack(const json& stack) {
    auto removed = user->remove(kube::resources::stacks, stack["metadata"]["namespace"].get<std::string>(),
                                stack["metadata"]["name"].get<std::string>());
    if (!removed) {
      ADD_FAILURE() << "delete: " << removed.error().to_string();
    }
  }

  // ---- what the server holds

  std::optional<json> stored_stack(const json& stack) const {
    return server->get(k_stack_api, "stacks", stack["metadata"]["namespace"].get<std::string>(),
                       stack["metadata"]["name"].get<std::string>());
  }

  json status_of(const json& stack) const {
    const auto stored = stored_stack(stack);
    return stored && stored->contains("status") ? (*stored)["status"] : json::object();
  }

  std::string phase_of(const json& stack) const { return status_of(stack).value("phase", ""); }

  // Waits until the stored status of `stack` is in `phase`; whether it got there.
  bool reaches_phase(const json& stack, const std::string& phase) const {
    return eventually([&] { return phase_of(stack) == phase; });
  }

  // The condition `type` of `status` (a copy), or null.
  static json condition(const json& status, const std::string& type) {
    for (const auto& item : status.value("conditions", json::array())) {
      if (item.value("type", "") == type) {
        return item;
      }
    }
    return nullptr;
  }

  // Every Bundle in every namespace, by "namespace/name".
  std::map<std::string, json> all_bundles() const {
    std::map<std::string, json> bundles;
    for (auto& bundle : server->list(k_fleet_api, "bundles")) {
      const std::string key = bundle["metadata"]["namespace"].get<std::string>() + "/" +
                              bundle["metadata"]["name"].get<std::string>();
      bundles.emplace(key, std::move(bundle));
    }
    return bundles;
  }

  // Plays Fleet: every Bundle of `stack` ready on both test clusters (gpu01, gpu02).
  void fleet_ready_everywhere(const json& stack) {
    for (const auto& [key, bundle] : bundles_of(stack)) {
      fleet_summary(key, 2, 2);
      fleet_deployment(key, "gpu01", "Ready");
      fleet_deployment(key, "gpu02", "Ready");
    }
  }

  // The Bundles carrying Herd's labels of `stack`.
  std::map<std::string, json> bundles_of(const json& stack) const {
    const controller::StackRef ref = controller::stack_ref(stack);
    std::map<std::string, json> bundles;
    for (auto& [key, bundle] : all_bundles()) {
      if (controller::is_bundle_of(bundle, ref)) {
        bundles.emplace(key, std::move(bundle));
      }
    }
    return bundles;
  }

  // ---- what `kubectl herd plan` renders

  // ConfigMap values as the server holds them (the same lookup plan's --config-map reads would give).
  core::ConfigMapValues config_map_values(const std::string& name_space) const {
    return [this, name_space](const std::string& name, const std::string& key) -> std::optional<json> {
      const auto config_map = server->get("v1", "configmaps", name_space, name);
      if (!config_map || !(*config_map)["data"].contains(key)) {
        return std::nullopt;
      }
      const auto parsed = core::parse_yaml_document((*config_map)["data"][key].get<std::string>(), name);
      return parsed.value.is_null() ? json::object() : parsed.value;
    };
  }

  // The Bundles `stack` (as the user wrote it) renders to, by "namespace/name".
  std::map<std::string, json> rendered_bundles(const json& stack) const {
    const json effective_stack = effective(stack);
    const auto rendered =
        core::render_bundles(core::stack_from_json(effective_stack), core::default_policy(),
                             config_map_values(stack["metadata"]["namespace"].get<std::string>()));
    std::map<std::string, json> bundles;
    for (const auto& bundle : rendered.bundles) {
      bundles.emplace(bundle.object()["metadata"]["namespace"].get<std::string>() + "/" +
                          bundle.object()["metadata"]["name"].get<std::string>(),
                      bundle.object());
    }
    return bundles;
  }

  // "" when the server holds exactly the Bundles `stack` renders to (names, spec, labels, annotations incl.
  // the rendered hash), else what differs.
  std::string bundle_difference(const json& stack) const {
    const auto expected = rendered_bundles(stack);
    const auto actual = bundles_of(stack);
    std::string difference;
    for (const auto& [key, bundle] : expected) {
      const auto found = actual.find(key);
      if (found == actual.end()) {
        difference += "missing " + key + "; ";
        continue;
      }
      const json& stored = found->second;
      if (stored.value("spec", json()) != bundle["spec"]) {
        difference +=
            key + " spec differs: " + json::diff(bundle["spec"], stored.value("spec", json())).dump() + "; ";
      }
      if (stored["metadata"].value("labels", json()) != bundle["metadata"]["labels"]) {
        difference += key + " labels differ; ";
      }
      if (stored["metadata"].value("annotations", json()) !=
          bundle["metadata"].value("annotations", json())) {
        difference +=
            key + " annotations differ: " + stored["metadata"].value("annotations", json()).dump() + "; ";
      }
    }
    for (const auto& [key, bundle] : actual) {
      if (!expected.contains(key)) {
        difference += "unexpected " + key + "; ";
      }
    }
    return difference;
  }

  bool converged(const json& stack) const { return bundle_difference(stack).empty(); }

  // Converged, and the status describes the current generation.
  bool settled(const json& stack) const {
    const auto stored = stored_stack(stack);
    return stored && converged(stack) && stored->contains("status") &&
           (*stored)["status"].value("observedGeneration", -1) ==
               (*stored)["metadata"].value("generation", 0);
  }

  // ---- the write log

  std::vector<WriteRecord> writes_of(const std::string& resource, const std::string& verb = "") const {
    std::vector<WriteRecord> selected;
    for (const auto& write : server->writes()) {
      if (write.resource == resource && (verb.empty() || write.verb == verb)) {
        selected.push_back(write);
      }
    }
    return selected;
  }

  // Committed Bundle writes (any verb) per "namespace/name".
  std::map<std::string, int> bundle_write_counts() const {
    std::map<std::string, int> counts;
    for (const auto& write : writes_of("bundles")) {
      ++counts[write.name_space + "/" + write.name];
    }
    return counts;
  }

  // Requests that would change something (the write verbs), whatever their answer.
  std::size_t write_requests() const {
    std::size_t count = 0;
    for (const auto& request : server->requests()) {
      if (request.method == "POST" || request.method == "PUT" || request.method == "PATCH" ||
          request.method == "DELETE") {
        ++count;
      }
    }
    return count;
  }

  // ---- Fleet

  // Fleet's view of a Bundle: status.summary (and observedGeneration = the stored generation).
  void fleet_summary(const std::string& key, int desired, int ready, int err_applied = 0) {
    const auto slash = key.find('/');
    auto bundle = server->get(k_fleet_api, "bundles", key.substr(0, slash), key.substr(slash + 1));
    ASSERT_TRUE(bundle) << key;
    (*bundle)["status"] = {
        {"observedGeneration", (*bundle)["metadata"].value("generation", 1)},
        {"summary",
         {{"desiredReady", desired},
          {"ready", ready},
          {"errApplied", err_applied},
          {"waitApplied", 0},
          {"modified", 0}}},
        {"display",
         {{"readyClusters", std::to_string(ready) + "/" + std::to_string(desired)},
          {"state", ready == desired ? "" : (err_applied > 0 ? "ErrApplied" : "NotReady")}}}};
    server->put(*bundle);
  }

  // A BundleDeployment of the Bundle `key` on Fleet cluster `cluster`, as Fleet writes it.
  void fleet_deployment(const std::string& key,
                        const std::string& cluster,
                        const std::string& state,
                        const std::string& message = "") {
    const auto slash = key.find('/');
    auto bundle = server->get(k_fleet_api, "bundles", key.substr(0, slash), key.substr(slash + 1));
    ASSERT_TRUE(bundle) << key;
    json deployment = bundle_deployment(*bundle, cluster, state, message);
    const std::string name_space = deployment["metadata"]["namespace"];
    if (!server->get("v1", "namespaces", "", name_space)) {
      put_namespace(name_space);
    }
    server->put(deployment);
  }

  void fleet_clusters() {
    server->put(fleet_cluster("gpu01", "c-m-gpu01"));
    server->put(fleet_cluster("gpu02", "c-m-gpu02"));
  }

  std::unique_ptr<ApiServer> server;
  std::unique_ptr<kube::ApiClient> user;
  std::vector<std::unique_ptr<ControllerInstance>> instances;
};

} // namespace herd::test
