#include "cluster_connection.hpp"

#include <herd/core/go_duration.hpp>
#include <herd/kube/kubeconfig.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <ostream>

namespace herd::plugin {

namespace {

// kubectl's --request-timeout: "0" (no timeout), a bare number of seconds, or a Go duration ("30s", "1m").
std::optional<std::chrono::milliseconds> request_timeout(const std::string& text) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (text.size() > 9) {
      return std::nullopt;
    }
    return std::chrono::seconds(std::stoll(text));
  }
  const std::optional<double> seconds = core::parse_go_duration(text);
  if (!seconds || *seconds < 0) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<long long>(std::ceil(*seconds * 1000.0)));
}

} // namespace

core::Result<ClusterConnection> connect_cluster(const GlobalOptions& global) {
  const std::optional<std::chrono::milliseconds> timeout = request_timeout(global.request_timeout);
  if (!timeout) {
    return core::Error{"invalid --request-timeout \"" + global.request_timeout +
                       "\": use 0, a number of seconds or a duration such as 30s or 1m"};
  }
  kube::KubeconfigOptions options;
  options.kubeconfig_path = global.kubeconfig;
  options.context = global.context;
  options.namespace_override = global.namespace_name;
  core::Result<kube::ClusterConfig> config = kube::load_client_config(options, kube::system_environment());
  if (!config) {
    return config.error();
  }
  ClusterConnection connection;
  connection.namespace_name = config->namespace_name;
  connection.context = config->context;
  connection.server = config->server;

  kube::ApiClientOptions client_options;
  client_options.user_agent =
      "kubectl-herd/v" HERD_VERSION; // the server's default field manager: kubectl-herd
  client_options.field_manager = "kubectl-herd";
  // A terminal command fails fast: a few quick retries for 429/5xx, never the controller's long backoff.
  client_options.max_attempts = 3;
  client_options.backoff_base = std::chrono::milliseconds(100);
  client_options.backoff_cap = std::chrono::seconds(1);
  client_options.retry_after_cap = std::chrono::seconds(5);
  client_options.max_idle_connections = 1;
  if (timeout->count() > 0) {
    client_options.request_timeout = *timeout;
    client_options.connect_timeout = std::min(client_options.connect_timeout, *timeout);
  }
  core::Result<std::unique_ptr<kube::ApiClient>> client =
      kube::ApiClient::create(std::move(*config), std::move(client_options));
  if (!client) {
    return client.error();
  }
  connection.client = std::move(*client);
  return connection;
}

int report_api_error(const kube::ApiError& error,
                     const ClusterConnection& cluster,
                     std::ostream& err,
                     std::string_view resource,
                     std::string_view install_hint) {
  if (error.status == 0) {
    err << "error: cannot reach the cluster";
    if (!cluster.context.empty()) {
      err << " of context \"" << cluster.context << '"';
    }
    err << ": " << error.message << '\n';
  } else if (error.status == 401) {
    err << "error: You must be logged in to the server (Unauthorized)\n";
  } else if (error.status == 404 && error.message.rfind(resource, 0) != 0) {
    // Not "stacks.herd.suse.com "x" not found": the resource type itself is unknown to the server.
    err << "error: the server doesn't have a resource type \"" << resource << '"';
    if (!install_hint.empty()) {
      err << " (" << install_hint << ')';
    }
    err << '\n';
  } else if (!error.reason.empty()) {
    err << "Error from server (" << error.reason << "): " << error.message << '\n';
  } else {
    err << "error: " << error.to_string() << '\n';
  }
  return 1;
}

std::string quoted_stack(std::string_view name) {
  // Appended, not operator+: GCC 12 reports false overflows inside std::string for the sum.
  std::string text(k_stack_resource);
  text.append(" \"").append(name).append("\"");
  return text;
}

} // namespace herd::plugin
