#pragma once

#include <herd/core/result.hpp>
#include <herd/runtime/logger.hpp>
#include <herd/runtime/metrics.hpp>
#include <herd/webhook/admission_handler.hpp>
#include <herd/webhook/certificate_store.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace herd::webhook {

struct WebhookServerOptions {
  std::string bind_address = "0.0.0.0";
  int webhook_port = 8443; // 0: pick a free port
  int health_port = 8080;  // 0: pick a free port
  // Worker threads of the TLS port. Each open connection holds one while it is served or idles in keep-alive,
  // so this is also the connection count served at once; more connections wait in the accept queue. Each
  // kube-apiserver keeps up to 25 idle keep-alive connections per webhook host (client-go's transport
  // default), and an HA control plane has three of them: 128 leaves room for all of them on one replica
  // while the other restarts. An idle thread costs a few KiB of resident memory.
  std::size_t threads = 128;
  // Accepted connections waiting for a thread; beyond it, clients wait in the kernel's listen backlog.
  std::size_t max_queued_connections = 256;
  std::size_t max_body_bytes = 8U << 20U; // object + oldObject of a 3 MiB write
  std::chrono::seconds read_timeout{10};
  std::chrono::seconds write_timeout{10};
  // Short, because a graceful stop waits for idle keep-alive connections to time out.
  std::chrono::seconds keep_alive_timeout{5};
  std::size_t keep_alive_max_requests = 100000;
};

// The counters and histograms the webhook updates, registered once.
struct WebhookMetrics {
  explicit WebhookMetrics(runtime::MetricsRegistry& registry);
  runtime::Counter& requests;       // endpoint, verdict
  runtime::Histogram& latency;      // endpoint
  runtime::Counter& tls_reloads;    // result
  runtime::Counter& policy_reloads; // result
  runtime::Gauge& in_flight;
};

// herd-controller's two listeners: the admission webhook over TLS (cpp-httplib + OpenSSL, certificate from
// the CertificateStore at each handshake) and a plain-HTTP port for /healthz, /readyz and /metrics.
class WebhookServer {
public:
  WebhookServer(WebhookServerOptions options,
                const AdmissionHandler& handler,
                CertificateStore& certificates,
                const runtime::MetricsRegistry& registry,
                WebhookMetrics& metrics,
                runtime::Logger& logger,
                std::function<bool()> ready);
  ~WebhookServer();
  WebhookServer(const WebhookServer&) = delete;
  WebhookServer& operator=(const WebhookServer&) = delete;

  // Binds both ports (so port 0 resolves) without serving yet.
  core::VoidResult bind();
  [[nodiscard]] int webhook_port() const;
  [[nodiscard]] int health_port() const;

  // Serves until stop(); returns once in-flight requests are answered.
  void serve();
  // Stops accepting; connections finish the request they are in. Safe from any thread (not a signal handler).
  void stop();

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace herd::webhook
