#include <herd/controller/stack_controller.hpp>
#include <herd/core/go_duration.hpp>
#include <herd/kube/api_client.hpp>
#include <herd/kube/environment.hpp>
#include <herd/kube/kubeconfig.hpp>
#include <herd/runtime/file_watcher.hpp>
#include <herd/runtime/logger.hpp>
#include <herd/runtime/metrics.hpp>
#include <herd/webhook/admission_handler.hpp>
#include <herd/webhook/certificate_store.hpp>
#include <herd/webhook/controller_app.hpp>
#include <herd/webhook/policy_store.hpp>
#include <herd/webhook/webhook_server.hpp>

#include <CLI/CLI.hpp>

#include <csignal>
#include <functional>
#include <iostream>
#include <memory>
#include <pthread.h>
#include <thread>

namespace herd::webhook {

namespace {

struct ControllerOptions {
  WebhookServerOptions server;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string policy_file;
  bool reconcile = true;
  std::string log_level = "info";
  std::string log_format = "json";
  std::string reload_interval = "2s";
  // The reconciler.
  std::string kubeconfig;
  std::string context;
  std::string name_space;
  bool leader_elect = true;
  std::string leader_election_namespace = "herd-system";
  std::string resync_period = "10m";
  int reconcile_workers = 2;
};

void add_flags(CLI::App& app, ControllerOptions& options) {
  app.add_option("--bind-address", options.server.bind_address, "Address both ports listen on")
      ->capture_default_str();
  app.add_option("--webhook-port", options.server.webhook_port,
                 "HTTPS port of the admission webhook (0: any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--health-port", options.server.health_port,
                 "Plain-HTTP port of /healthz, /readyz and /metrics (0: any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--tls-cert-file", options.tls_cert_file,
                 "PEM serving certificate (then any intermediates); reloaded when it changes")
      ->required();
  app.add_option("--tls-key-file", options.tls_key_file, "PEM private key of the serving certificate")
      ->required();
  app.add_option("--policy", options.policy_file,
                 "StackPolicy YAML file, reloaded when it changes (default: the built-in policy)");
  app.add_option("--reconcile", options.reconcile,
                 "Run the reconciler as well as the webhook (false: the webhook alone, no cluster needed)")
      ->capture_default_str();
  app.add_option("--log-level", options.log_level, "debug, info, warn or error")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  app.add_option("--log-format", options.log_format, "json or text")
      ->capture_default_str()
      ->check(CLI::IsMember({"json", "text"}));
  app.add_option("--webhook-threads", options.server.threads,
                 "Connections the webhook serves at once (each holds a thread while open)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--reload-interval", options.reload_interval,
                 "How often the certificate and policy files are checked for changes (Go duration)")
      ->capture_default_str();
  app.add_option("--kubeconfig", options.kubeconfig,
                 "Kubeconfig of the cluster to reconcile (default: in-cluster, else as kubectl finds it)");
  app.add_option("--context", options.context, "Kubeconfig context to use (default: its current-context)");
  app.add_option("--namespace", options.name_space,
                 "Reconcile the Stacks of this namespace only (default: all)");
  app.add_option("--leader-elect", options.leader_elect,
                 "Reconcile only while holding the Lease herd-controller (replicas stand by)")
      ->capture_default_str();
  app.add_option("--leader-election-namespace", options.leader_election_namespace,
                 "Namespace of the leader-election Lease")
      ->capture_default_str();
  app.add_option("--resync-period", options.resync_period,
                 "How often every Stack is reconciled again even when nothing changed (Go duration)")
      ->capture_default_str();
  app.add_option("--reconcile-workers", options.reconcile_workers, "Stacks reconciled at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.set_version_flag("--version", "herd-controller v" HERD_VERSION " (commit " HERD_GIT_COMMIT ")");
}

struct Reloaders {
  CertificateStore& certificates;
  PolicyStore& policies;
  WebhookMetrics& metrics;
  runtime::Logger& logger;
  std::string policy_file;
  std::function<void()> on_policy_change{};

  bool certificate(const std::vector<std::string>& contents) {
    const auto loaded = certificates.load(contents[0], contents[1]);
    if (!loaded) {
      metrics.tls_reloads.increment({"failure"});
      logger.error("kept the current serving certificate: the new one does not load",
                   {{"error", loaded.error().message}});
      return false;
    }
    metrics.tls_reloads.increment({"success"});
    logger.info("reloaded the serving certificate", {{"certificate", certificates.describe()}});
    return true;
  }

  bool policy(const std::vector<std::string>& contents) {
    const auto loaded = policies.load(contents[0], policy_file);
    if (!loaded) {
      metrics.policy_reloads.increment({"failure"});
      logger.error("kept the current policy: the new one is invalid", {{"error", loaded.error().message}});
      return false;
    }
    metrics.policy_reloads.increment({"success"});
    const auto current = policies.current();
    logger.info("reloaded the policy", {{"policy", current->name}, {"sha256", current->sha256}});
    if (on_policy_change) {
      on_policy_change(); // every Stack is rendered again under the new policy
    }
    return true;
  }
};

// Blocks SIGTERM and SIGINT in every thread (call before starting any) and returns the set to wait on.
sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

} // namespace

int run_controller(int argc, char** argv, std::ostream& log_stream) {
  CLI::App app("herd-controller: the admission webhook and the reconciler of Herd Stacks");
  ControllerOptions options;
  add_flags(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : 2;
  }
  runtime::Logger logger(*runtime::parse_log_level(options.log_level),
                         *runtime::parse_log_format(options.log_format), log_stream);
  const auto interval = core::parse_go_duration(options.reload_interval);
  if (!interval || *interval < 0.01) {
    logger.error("--reload-interval must be a Go duration of at least 10ms",
                 {{"value", options.reload_interval}});
    return 2;
  }
  const auto resync = core::parse_go_duration(options.resync_period);
  if (!resync || *resync < 1) {
    logger.error("--resync-period must be a Go duration of at least 1s", {{"value", options.resync_period}});
    return 2;
  }

  PolicyStore policies;
  std::vector<std::string> policy_bytes;
  if (!options.policy_file.empty()) {
    const runtime::FileContent content = runtime::read_file(options.policy_file);
    if (!content.ok) {
      logger.error("cannot read the policy file", {{"file", options.policy_file}, {"error", content.error}});
      return 1;
    }
    if (const auto loaded = policies.load(content.bytes, options.policy_file); !loaded) {
      logger.error("invalid policy", {{"file", options.policy_file}, {"error", loaded.error().message}});
      return 1;
    }
    policy_bytes.push_back(content.bytes);
  }
  CertificateStore certificates;
  std::vector<std::string> certificate_bytes;
  for (const auto& file : {options.tls_cert_file, options.tls_key_file}) {
    runtime::FileContent content = runtime::read_file(file);
    if (!content.ok) {
      logger.error("cannot read a TLS file", {{"file", file}, {"error", content.error}});
      return 1;
    }
    certificate_bytes.push_back(std::move(content.bytes));
  }
  if (const auto loaded = certificates.load(certificate_bytes[0], certificate_bytes[1]); !loaded) {
    logger.error("cannot load the serving certificate", {{"certificate", options.tls_cert_file},
                                                         {"key", options.tls_key_file},
                                                         {"error", loaded.error().message}});
    return 1;
  }

  const sigset_t stop_signals = block_stop_signals();
  runtime::MetricsRegistry registry;
  WebhookMetrics metrics(registry);
  registry.gauge("herd_build_info", "Always 1; the labels say which build runs.", {"version", "commit"})
      .set(1, {"v" HERD_VERSION, HERD_GIT_COMMIT});
  Reloaders reloaders{certificates, policies, metrics, logger, options.policy_file};
  runtime::FileWatcher watcher(std::chrono::milliseconds(static_cast<long long>(*interval * 1000)));
  watcher.watch(
      {options.tls_cert_file, options.tls_key_file}, certificate_bytes,
      [&reloaders](const std::vector<std::string>& contents) { return reloaders.certificate(contents); });
  if (!options.policy_file.empty()) {
    watcher.watch(
        {options.policy_file}, policy_bytes,
        [&reloaders](const std::vector<std::string>& contents) { return reloaders.policy(contents); });
  }

  const AdmissionHandler handler(policies);
  WebhookServer server(options.server, handler, certificates, registry, metrics, logger,
                       [&certificates] { return certificates.loaded(); });
  if (const auto bound = server.bind(); !bound) {
    logger.error("cannot start", {{"error", bound.error().message}});
    return 1;
  }
  const auto policy = policies.current();
  logger.info("listening", {{"webhookPort", server.webhook_port()},
                            {"healthPort", server.health_port()},
                            {"bindAddress", options.server.bind_address},
                            {"policy", policy->name},
                            {"certificate", certificates.describe()},
                            {"version", "v" HERD_VERSION}});
  std::unique_ptr<kube::ApiClient> api_client;
  std::unique_ptr<kube::ApiClient> election_client;
  std::unique_ptr<controller::StackController> stack_controller;
  std::jthread reconciler;
  if (options.reconcile) {
    kube::KubeconfigOptions kubeconfig;
    kubeconfig.kubeconfig_path = options.kubeconfig;
    kubeconfig.context = options.context;
    kubeconfig.prefer_in_cluster = true;
    auto config = kube::load_client_config(kubeconfig, kube::system_environment());
    if (!config) {
      logger.error("cannot configure the Kubernetes client", {{"error", config.error().message}});
      return 1;
    }
    auto& requests =
        registry.counter("herd_api_requests_total",
                         "Kubernetes API requests by verb and status code (0: no answer).", {"verb", "code"});
    kube::ApiClientOptions client_options;
    client_options.user_agent = "herd-controller/v" HERD_VERSION;
    client_options.observer = [&requests](std::string_view method, int status) {
      requests.increment({std::string(method), std::to_string(status)});
    };
    // The Lease client fails fast: a renewal that hangs must not outlive the renew deadline.
    kube::ApiClientOptions election_options = client_options;
    election_options.max_attempts = 1;
    election_options.request_timeout = std::chrono::seconds(5);
    election_options.connect_timeout = std::chrono::seconds(5);
    auto client = kube::ApiClient::create(*config, client_options);
    auto lease_client = kube::ApiClient::create(*config, election_options);
    if (!client || !lease_client) {
      logger.error("cannot create the Kubernetes client",
                   {{"error", (!client ? client.error() : lease_client.error()).message}});
      return 1;
    }
    api_client = std::move(client.value());
    election_client = std::move(lease_client.value());
    controller::StackControllerOptions controller_options;
    controller_options.name_space = options.name_space;
    controller_options.resync_period = std::chrono::milliseconds(static_cast<long long>(*resync * 1000));
    controller_options.workers = options.reconcile_workers;
    controller_options.leader_elect = options.leader_elect;
    controller_options.leader_election.lease_namespace = options.leader_election_namespace;
    stack_controller = std::make_unique<controller::StackController>(
        *api_client, *election_client, controller_options, [&policies] { return policies.current(); }, logger,
        registry);
    logger.info("reconciling", {{"server", config->server_url.to_string()},
                                {"context", config->context},
                                {"inCluster", config->in_cluster},
                                {"namespace", options.name_space.empty() ? "(all)" : options.name_space},
                                {"leaderElect", options.leader_elect},
                                {"identity", stack_controller->identity()}});
    reconciler =
        std::jthread([&stack_controller](const std::stop_token& stop) { stack_controller->run(stop); });
    reloaders.on_policy_change = [&stack_controller] { stack_controller->enqueue_all(); };
  }
  watcher.start();
  std::thread signal_waiter([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    logger.info("shutting down: finishing in-flight requests",
                {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
    server.stop();
  });
  server.serve();
  // serve() also returns when listening fails: wake the waiter so it can be joined.
  // NOLINTNEXTLINE(bugprone-bad-signal-to-kill-thread,cert-pos44-c): SIGTERM is blocked; it ends the sigwait
  pthread_kill(signal_waiter.native_handle(), SIGTERM);
  signal_waiter.join();
  watcher.stop();
  if (reconciler.joinable()) {
    // The reconcile in progress finishes; a leader releases its Lease so a standby takes over at once.
    reconciler.request_stop();
    reconciler.join();
  }
  logger.info("stopped");
  return 0;
}

} // namespace herd::webhook
