#include "bounded_task_queue.hpp"

#include <herd/webhook/webhook_server.hpp>

#include <httplib.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <thread>

namespace herd::webhook {

using nlohmann::json;

namespace {

constexpr std::string_view k_json_type = "application/json";
// cpp-httplib gzips every answer whose type is exactly "application/json" when the client accepts gzip (Go's
// transport, so the kube-apiserver, always does): deflate per ~200-byte answer costs more CPU than it saves.
// With the charset parameter the library leaves the answer alone; the apiserver reads it the same.
constexpr std::string_view k_json_answer_type = "application/json; charset=utf-8";

bool is_admission_path(const std::string& path) {
  return path == "/validate-stack" || path == "/mutate-stack";
}

// The body length the client declared, or nothing when it sent no Content-Length (a chunked body).
std::optional<unsigned long long> declared_length(const httplib::Request& request) {
  if (!request.has_header("Content-Length")) {
    return std::nullopt;
  }
  return std::strtoull(request.get_header_value("Content-Length").c_str(), nullptr, 10);
}

void refuse(httplib::Response& response, int status, const std::string& message) {
  response.status = status;
  // The unread body would be taken for the next request: end the connection.
  response.set_header("Connection", "close");
  response.set_content(json{{"apiVersion", "v1"},
                            {"kind", "Status"},
                            {"metadata", json::object()},
                            {"status", "Failure"},
                            {"message", message},
                            {"code", status}}
                           .dump(),
                       std::string(k_json_answer_type));
}

} // namespace

WebhookMetrics::WebhookMetrics(runtime::MetricsRegistry& registry)
    : requests(registry.counter(
          "herd_webhook_requests_total",
          "Admission requests by endpoint and verdict (allowed, denied, patched, bad-request, "
          "too-large, unsupported, error).",
          {"endpoint", "verdict"})),
      latency(registry.histogram("herd_webhook_request_duration_seconds",
                                 "Time from the request headers to the answer, by endpoint.",
                                 runtime::latency_buckets(),
                                 {"endpoint"})),
      tls_reloads(registry.counter("herd_webhook_tls_reloads_total",
                                   "Serving certificate reloads from disk, by result (success, failure).",
                                   {"result"})),
      policy_reloads(registry.counter("herd_policy_reloads_total",
                                      "Policy file reloads from disk, by result (success, failure).",
                                      {"result"})),
      in_flight(registry.gauge("herd_webhook_in_flight_requests", "Admission requests being answered.")) {}

struct WebhookServer::Impl {
  WebhookServerOptions options;
  const AdmissionHandler& handler;
  CertificateStore& certificates;
  const runtime::MetricsRegistry& registry;
  WebhookMetrics& metrics;
  runtime::Logger& logger;
  std::function<bool()> ready;
  std::unique_ptr<httplib::SSLServer> webhook;
  httplib::Server health;
  int webhook_port = -1;
  int health_port = -1;
  std::atomic<bool> stopping{false};
  std::atomic<bool> serving{false};

  Impl(WebhookServerOptions options_in,
       const AdmissionHandler& handler_in,
       CertificateStore& certificates_in,
       const runtime::MetricsRegistry& registry_in,
       WebhookMetrics& metrics_in,
       runtime::Logger& logger_in,
       std::function<bool()> ready_in)
      : options(std::move(options_in)), handler(handler_in), certificates(certificates_in),
        registry(registry_in), metrics(metrics_in), logger(logger_in), ready(std::move(ready_in)) {
    webhook = std::make_unique<httplib::SSLServer>([this](SSL_CTX& context) {
      certificates.configure(context);
      return true;
    });
    configure_webhook();
    configure_health();
  }

  void configure_webhook() {
    httplib::Server& server = *webhook;
    const std::size_t threads = options.threads;
    const std::size_t queued = options.max_queued_connections;
    // cpp-httplib's hook takes ownership of a raw pointer (it deletes the queue when the server stops).
    server.new_task_queue = [threads, queued] {
      return new BoundedTaskQueue(threads, queued); // NOLINT(cppcoreguidelines-owning-memory)
    };
    server.set_tcp_nodelay(true);
    server.set_keep_alive_max_count(options.keep_alive_max_requests);
    server.set_keep_alive_timeout(options.keep_alive_timeout.count());
    server.set_read_timeout(options.read_timeout.count(), 0);
    server.set_write_timeout(options.write_timeout.count(), 0);
    // httplib's own limit only checks Content-Length; the content reader below also counts chunked bodies.
    server.set_payload_max_length(options.max_body_bytes);
    server.set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
      return screen(request, response) ? httplib::Server::HandlerResponse::Unhandled
                                       : httplib::Server::HandlerResponse::Handled;
    });
    for (const AdmissionEndpoint endpoint : {AdmissionEndpoint::validate, AdmissionEndpoint::mutate}) {
      std::string path = "/"; // not "/" + ...: GCC 12 at -O3 warns falsely (-Wrestrict) on that
      path += to_string(endpoint);
      server.Post(path, [this, endpoint](const httplib::Request& request, httplib::Response& response,
                                         const httplib::ContentReader& reader) {
        admit(endpoint, request, response, reader);
      });
    }
  }

  // Refuses, before a byte of the body is read, what must not be read at all. False = answered.
  bool screen(const httplib::Request& request, httplib::Response& response) {
    if (!is_admission_path(request.path)) {
      return true; // 404 from the router
    }
    const std::string endpoint = request.path.substr(1);
    auto refuse_counted = [&](int status, const std::string& verdict, const std::string& message) {
      metrics.requests.increment({endpoint, verdict});
      refuse(response, status, message);
      logger.info("refused admission request",
                  {{"endpoint", endpoint}, {"status", status}, {"reason", message}});
      return false;
    };
    if (request.method != "POST") {
      response.set_header("Allow", "POST");
      return refuse_counted(405, "unsupported", "only POST is served on " + request.path);
    }
    const std::string encoding = request.get_header_value("Content-Encoding");
    if (!encoding.empty() && encoding != "identity") {
      return refuse_counted(415, "unsupported",
                            "Content-Encoding \"" + encoding +
                                "\" is not accepted: send the AdmissionReview "
                                "uncompressed");
    }
    const std::string type = request.get_header_value("Content-Type");
    if (!type.empty() && type.rfind(k_json_type, 0) != 0) {
      return refuse_counted(415, "unsupported",
                            "Content-Type \"" + type + "\" is not accepted: send application/json");
    }
    if (const auto declared = declared_length(request); declared && *declared > options.max_body_bytes) {
      return refuse_counted(413, "too-large",
                            "the body of " + request.get_header_value("Content-Length") +
                                " bytes is larger than the " + std::to_string(options.max_body_bytes) +
                                " bytes accepted");
    }
    return true;
  }

  void admit(AdmissionEndpoint endpoint,
             const httplib::Request& request,
             httplib::Response& response,
             const httplib::ContentReader& reader) {
    const auto started = std::chrono::steady_clock::now();
    const std::string endpoint_name(to_string(endpoint));
    metrics.in_flight.add(1);
    std::string body;
    // Sized once from the declared length rather than a reallocation per chunk; at most 64 KiB up front, so a
    // client that declares megabytes and sends nothing holds no memory it has not sent.
    if (const auto declared = declared_length(request)) {
      constexpr std::size_t k_reserve_cap = std::size_t{64} * 1024;
      body.reserve(static_cast<std::size_t>(std::min<unsigned long long>(*declared, k_reserve_cap)));
    }
    bool too_large = false;
    const bool complete = reader([&](const char* data, std::size_t length) {
      if (body.size() + length > options.max_body_bytes) {
        too_large = true;
        return false;
      }
      body.append(data, length);
      return true;
    });
    if (too_large || !complete) {
      const int status = too_large ? 413 : 400;
      const std::string verdict = too_large ? "too-large" : "bad-request";
      refuse(response, status,
             too_large
                 ? "the body is larger than the " + std::to_string(options.max_body_bytes) + " bytes accepted"
                 : "the body could not be read");
      metrics.requests.increment({endpoint_name, verdict});
      metrics.in_flight.add(-1);
      logger.info("refused admission request", {{"endpoint", endpoint_name}, {"status", status}});
      return;
    }
    const AdmissionOutcome outcome = handler.handle(endpoint, body);
    response.status = outcome.http_status;
    response.set_content(outcome.body,
                         outcome.http_status == 500 ? "text/plain" : std::string(k_json_answer_type));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics.requests.increment({endpoint_name, outcome.verdict});
    metrics.latency.observe(seconds, {endpoint_name});
    metrics.in_flight.add(-1);
    log(endpoint_name, request, outcome, seconds);
  }

  void log(const std::string& endpoint,
           const httplib::Request& request,
           const AdmissionOutcome& outcome,
           double seconds) {
    const bool notable = outcome.verdict == "denied" || outcome.http_status != 200;
    const runtime::LogLevel level = notable ? runtime::LogLevel::info : runtime::LogLevel::debug;
    if (!logger.enabled(level)) {
      return;
    }
    json fields = {{"endpoint", endpoint},           {"uid", outcome.uid},
                   {"operation", outcome.operation}, {"namespace", outcome.namespace_name},
                   {"name", outcome.name},           {"dryRun", outcome.dry_run},
                   {"verdict", outcome.verdict},     {"status", outcome.http_status},
                   {"durationMs", seconds * 1000.0}, {"remote", request.remote_addr}};
    if (!outcome.denied_fields.empty()) {
      fields["findings"] = outcome.denied_fields;
    }
    if (!outcome.error.empty()) {
      fields["error"] = outcome.error;
    }
    logger.log(level, outcome.verdict == "denied" ? "denied Stack" : "admission request", fields);
  }

  void configure_health() {
    health.new_task_queue = [] {
      return new httplib::ThreadPool(2); // NOLINT(cppcoreguidelines-owning-memory): owned by cpp-httplib
    };
    health.set_keep_alive_timeout(5);
    health.set_read_timeout(5, 0);
    health.set_write_timeout(5, 0);
    health.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("ok\n", "text/plain");
    });
    health.Get("/readyz", [this](const httplib::Request&, httplib::Response& response) {
      if (stopping) {
        response.status = 503;
        response.set_content("shutting down\n", "text/plain");
      } else if (!ready()) {
        response.status = 503;
        response.set_content("not ready: certificate or policy not loaded\n", "text/plain");
      } else {
        response.set_content("ok\n", "text/plain");
      }
    });
    health.Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
      response.set_content(registry.render(), "text/plain; version=0.0.4; charset=utf-8");
    });
  }
};

WebhookServer::WebhookServer(WebhookServerOptions options,
                             const AdmissionHandler& handler,
                             CertificateStore& certificates,
                             const runtime::MetricsRegistry& registry,
                             WebhookMetrics& metrics,
                             runtime::Logger& logger,
                             std::function<bool()> ready)
    : m_impl(std::make_unique<Impl>(
          std::move(options), handler, certificates, registry, metrics, logger, std::move(ready))) {}

WebhookServer::~WebhookServer() {
  stop();
}

core::VoidResult WebhookServer::bind() {
  Impl& impl = *m_impl;
  if (!impl.webhook->is_valid()) {
    return core::Error{"could not create the TLS context"};
  }
  auto bind_one = [&](httplib::Server& server, int port, const char* what) -> core::Result<int> {
    const int bound = port == 0 ? server.bind_to_any_port(impl.options.bind_address)
                                : (server.bind_to_port(impl.options.bind_address, port) ? port : -1);
    if (bound <= 0) {
      return core::Error{std::string("cannot listen on ") + impl.options.bind_address + ":" +
                         std::to_string(port) + " (" + what + " port): " + std::strerror(errno)};
    }
    return bound;
  };
  auto webhook = bind_one(*impl.webhook, impl.options.webhook_port, "webhook");
  if (!webhook) {
    return webhook.error();
  }
  auto health = bind_one(impl.health, impl.options.health_port, "health");
  if (!health) {
    return health.error();
  }
  impl.webhook_port = *webhook;
  impl.health_port = *health;
  return core::success();
}

int WebhookServer::webhook_port() const {
  return m_impl->webhook_port;
}

int WebhookServer::health_port() const {
  return m_impl->health_port;
}

void WebhookServer::serve() {
  Impl& impl = *m_impl;
  impl.serving = true;
  if (!impl.stopping) {
    std::atomic<bool> health_done{false};
    std::thread health([&impl, &health_done] {
      impl.health.listen_after_bind();
      health_done = true;
    });
    impl.webhook->listen_after_bind();
    impl.stopping = true;
    while (!health_done) { // stop() is a no-op until the health loop has started
      impl.health.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    health.join();
  }
  impl.serving = false;
}

void WebhookServer::stop() {
  Impl& impl = *m_impl;
  impl.stopping = true; // /readyz answers 503 from now on, while in-flight requests drain
  // httplib ignores stop() before its accept loop runs: wait for serve() to get there (or to give up).
  for (int i = 0; i < 2000 && impl.serving && !impl.webhook->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  impl.webhook->stop();
  if (!impl.serving) {
    impl.health.stop(); // serve() stops the health port itself once the webhook has drained
  }
}

} // namespace herd::webhook
