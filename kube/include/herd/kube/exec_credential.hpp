#pragma once

#include <herd/core/result.hpp>
#include <herd/kube/kubeconfig.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace herd::kube {

// What an exec credential plugin returned (ExecCredential status). Secret: never log it.
struct ExecCredential {
  std::string token;
  std::string client_certificate_pem;
  std::string client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expiration; // none: valid until rejected (401)
};

// The cluster an exec plugin is told about (ExecCredential spec.cluster) when provideClusterInfo is set:
// client-go's rest.ConfigToExecCluster.
struct ExecClusterInfo {
  std::string server;
  std::string tls_server_name;
  bool insecure_skip_tls_verify = false;
  std::string certificate_authority_pem;
  std::string proxy_url; // the kubeconfig's proxy-url only (not the environment's proxy)
  nlohmann::json config; // the cluster's client.authentication.k8s.io/exec extension
};
ExecClusterInfo exec_cluster_info(const ClusterConfig& config);

struct ExecOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  std::size_t max_output = 1024U * 1024U; // stdout bytes
  std::function<std::chrono::system_clock::time_point()> clock = [] {
    return std::chrono::system_clock::now();
  };
};

// The KUBERNETES_EXEC_INFO value: an ExecCredential of the plugin's apiVersion with spec.interactive false
// and, when `cluster` is given, spec.cluster.
std::string exec_info_json(std::string_view api_version, const ExecClusterInfo* cluster);

// Parses a plugin's stdout: an ExecCredential of `api_version` whose status holds a token and/or a client
// certificate and key, and optionally expirationTimestamp (RFC 3339). Error messages never quote the output.
core::Result<ExecCredential> parse_exec_credential(std::string_view output, std::string_view api_version);

// An RFC 3339 timestamp as Go's time.Parse(time.RFC3339) reads it (2024-05-01T10:00:00Z,
// 2024-05-01T12:00:00.5+02:00).
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

// Runs a kubeconfig's exec credential plugin as client-go's exec.Authenticator does, and caches what it
// returns until its expirationTimestamp (or, without one, until invalidated after a 401).
// The plugin runs without a shell, with the current environment plus the kubeconfig's env and
// KUBERNETES_EXEC_INFO, stdin from /dev/null (never interactive), stdout bounded and a timeout. One run at a
// time: concurrent callers wait for it and share its result. Thread-safe.
class ExecCredentialProvider {
public:
  ExecCredentialProvider(ExecConfig config, std::optional<ExecClusterInfo> cluster, ExecOptions options = {});

  // The cached credential while it has not expired, else the plugin's fresh one.
  core::Result<ExecCredential> credential();

  // Drops the cached credential: the next credential() runs the plugin again.
  void invalidate();
  // After a 401 with `rejected`: drops the cache only if it still holds that credential (another caller
  // may already have refreshed it), as client-go's maybeRefreshCreds.
  void invalidate_if_current(const ExecCredential& rejected);

  // How many times the plugin ran (observability and tests).
  [[nodiscard]] int runs() const;

private:
  core::Result<ExecCredential> run_locked();

  ExecConfig m_config;
  std::optional<ExecClusterInfo> m_cluster;
  ExecOptions m_options;
  mutable std::mutex m_mutex;
  std::optional<ExecCredential> m_cached;
  int m_runs = 0;
};

} // namespace herd::kube
