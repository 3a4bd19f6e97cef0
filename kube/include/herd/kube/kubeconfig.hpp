#pragma once

#include <herd/core/result.hpp>
#include <herd/kube/environment.hpp>
#include <herd/kube/url.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace herd::kube {

// The flags kubectl resolves a client configuration from.
struct KubeconfigOptions {
  std::string kubeconfig_path{};    // --kubeconfig: only this file (an error when it does not exist)
  std::string context{};            // --context: instead of current-context
  std::string namespace_override{}; // -n / --namespace
  // herd-controller's default: the in-cluster service account when it is available and neither
  // --kubeconfig nor --context is given, the kubeconfig otherwise or when the in-cluster config fails
  // (client-go's BuildConfigFromFlags order).
  // kubectl's order (false): the kubeconfig, and in-cluster only when the kubeconfig selects no context.
  bool prefer_in_cluster = false;
  // Where the kubelet mounts the service account (token, ca.crt, namespace); tests point it elsewhere.
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

// users[].user.exec of a kubeconfig: a client-go credential plugin.
struct ExecEnvVar {
  std::string name;
  std::string value;
};
struct ExecConfig {
  std::string api_version; // client.authentication.k8s.io/v1 or /v1beta1
  std::string command;     // a PATH name, or a path (relative ones resolved against the kubeconfig's dir)
  std::vector<std::string> args;
  std::vector<ExecEnvVar> env; // added to the current environment
  std::string install_hint;    // shown when the command is not found (control characters escaped)
  bool provide_cluster_info = false;
  std::string interactive_mode;  // Never or IfAvailable (herd never runs plugins interactively)
  nlohmann::json cluster_config; // the cluster's `client.authentication.k8s.io/exec` extension, or null
  std::string origin;            // `user "name" in /path/kubeconfig`, for messages
};

// How to talk to one API server: the result of resolving kubeconfig files, flags, environment and the
// in-cluster service account as kubectl does. Holds secrets (token, password, client key): never log it.
struct ClusterConfig {
  // Where it came from.
  bool in_cluster = false;
  std::vector<std::string> kubeconfig_files; // the files read, in precedence order
  std::string context;                       // the context used (empty in-cluster)
  std::string cluster_name;
  std::string user_name;
  std::string namespace_name;        // -n, else the context's namespace, else "default"
  bool namespace_overridden = false; // from -n

  // The API server: `server_url.path` prefixes every request (see Url::request_path).
  std::string server; // as written
  Url server_url;

  // TLS. The server is verified against exactly `certificate_authority_pem` when set; when it is empty
  // (in-cluster without a readable ca.crt, or no CA in the kubeconfig) client-go uses the system roots.
  std::string certificate_authority_pem;
  std::string certificate_authority_file; // the file it came from (empty for -data and in-cluster defaults)
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;

  // The proxy to reach the server through: proxy-url, else HTTPS_PROXY/HTTP_PROXY unless NO_PROXY matches.
  std::optional<Url> proxy;
  bool proxy_from_kubeconfig = false; // proxy-url (told to exec plugins), not the environment

  // Credentials. kubectl sends none to an http:// server, so they are all empty then.
  std::string client_certificate_pem;
  std::string client_key_pem;
  std::string token;      // bearer token: `token`, or the first read of the token file
  std::string token_file; // re-read every minute when set (TokenSource); `token` is the fallback
  std::string username;   // basic authentication
  std::string password;
  std::optional<ExecConfig> exec; // unused when a token or basic credentials are set, as in client-go

  // Impersonation (the user's `as`, `as-uid`, `as-groups`, `as-user-extra`): Impersonate-* headers.
  std::string impersonate_user;
  std::string impersonate_uid;
  std::vector<std::string> impersonate_groups;
  std::map<std::string, std::vector<std::string>> impersonate_extra;
};

// Upper bounds of what is read (kubeconfig and certificate files).
inline constexpr std::size_t k_max_kubeconfig_bytes = 16U * 1024U * 1024U;
inline constexpr std::size_t k_max_credential_file_bytes = 1024U * 1024U;

// Resolves the client configuration as kubectl (client-go's clientcmd loading rules and
// DeferredLoadingClientConfig) does:
//  * files: --kubeconfig alone (must exist); else every file of KUBECONFIG (colon-separated, duplicates and
//    empty entries dropped, missing files skipped); else ~/.kube/config when it exists. Merged so that the
//    first file to define a cluster, user or context name wins it whole, and current-context comes from the
//    first file that sets one. Relative file paths resolve against the directory of the file that holds them.
//  * context: --context, else current-context; its cluster and user; namespace: -n, else the context's,
//    else "default".
//  * when no context is selected (no kubeconfig, or none with a current-context) and the in-cluster service
//    account is available (KUBERNETES_SERVICE_HOST and _PORT set, token file present): in-cluster config.
// Errors name the file, line and field, and offer "did you mean" for misspelled names.
core::Result<ClusterConfig> load_client_config(const KubeconfigOptions& options,
                                               const Environment& environment);

} // namespace herd::kube
