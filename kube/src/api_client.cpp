// The Kubernetes API client on cpp-httplib 0.11.4 (Debian's shared build) and OpenSSL 3. cpp-httplib's own
// certificate verification is disabled: its load_certs() adds the system roots to any CA store it is given,
// and kubectl trusts exactly the kubeconfig's CA. tls_context.cpp configures OpenSSL's verification instead.
#include "base64.hpp"
#include "tls_context.hpp"

#include <herd/kube/api_client.hpp>
#include <herd/kube/object_meta.hpp>
#include <herd/kube/token_source.hpp>

#include <httplib.h>
#include <openssl/err.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <random>
#include <thread>

namespace herd::kube {

namespace {

using nlohmann::json;

constexpr std::size_t k_max_error_body = std::size_t{1024} * 1024;
constexpr std::chrono::seconds k_watch_read_margin{30};

// A request as the retry loop sends it.
struct Call {
  std::string method;
  std::string target; // API path (without the server's prefix) and query
  std::string body{};
  std::string content_type{};
  bool idempotent = true;
};

// The credentials of one attempt.
struct Credentials {
  std::string authorization; // the Authorization header value, or empty
  std::optional<ExecCredential> exec;
  bool refreshable = false; // a 401 may be cured by refreshing (token file, exec plugin)
};

bool retryable_status(int status) {
  return status == 429 || (status >= 500 && status != 501);
}

std::string describe_transport_error(httplib::Error error,
                                     const std::string& server,
                                     std::chrono::milliseconds connect_timeout,
                                     std::chrono::milliseconds read_timeout,
                                     const std::string& tls_detail) {
  using httplib::Error;
  const auto seconds = [](std::chrono::milliseconds value) {
    return value.count() % 1000 == 0 ? std::to_string(value.count() / 1000) + "s"
                                     : std::to_string(value.count()) + "ms";
  };
  switch (error) {
  case Error::Connection:
    return "cannot connect to " + server + " (connection refused or host unreachable)";
  case Error::ConnectionTimeout:
    return "timed out connecting to " + server + " after " + seconds(connect_timeout);
  case Error::Read:
    return "no complete answer from " + server + " (connection closed, or timed out after " +
           seconds(read_timeout) + ")";
  case Error::Write:
    return "cannot send the request to " + server + " (connection closed or timed out)";
  case Error::SSLConnection:
  case Error::SSLServerVerification:
    return "TLS handshake with " + server + " failed" + (tls_detail.empty() ? "" : ": " + tls_detail);
  case Error::SSLLoadingCerts:
    return "cannot load the TLS certificates for " + server;
  case Error::Canceled:
    return "the request to " + server + " was canceled";
  case Error::ExceedRedirectCount:
    return "too many redirects from " + server;
  case Error::Compression:
    return "cannot decompress the answer of " + server;
  default:
    return "request to " + server + " failed: " + httplib::to_string(error);
  }
}

// Transport errors after which the request was surely not processed by the server.
bool before_sending(httplib::Error error) {
  return error == httplib::Error::Connection || error == httplib::Error::ConnectionTimeout;
}

bool retryable_transport(httplib::Error error) {
  return error == httplib::Error::Connection || error == httplib::Error::ConnectionTimeout ||
         error == httplib::Error::Read || error == httplib::Error::Write;
}

std::optional<int> retry_after(const httplib::Response& response) {
  const std::string value = response.get_header_value("Retry-After");
  if (value.empty() || value.size() > 9 ||
      !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoi(value);
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const std::string hex(text.substr(i + 1, 2));
      if (std::isxdigit(static_cast<unsigned char>(hex[0])) != 0 &&
          std::isxdigit(static_cast<unsigned char>(hex[1])) != 0) {
        out += static_cast<char>(std::stoi(hex, nullptr, 16));
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

void add_query(std::string& target, std::string_view name, std::string_view value) {
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += name;
  target += '=';
  target += percent_encode(value);
}

// The selectors a list or a watch asks for.
void add_selectors(std::string& target,
                   const std::string& label_selector,
                   const std::string& field_selector) {
  if (!label_selector.empty()) {
    add_query(target, "labelSelector", label_selector);
  }
  if (!field_selector.empty()) {
    add_query(target, "fieldSelector", field_selector);
  }
}

double default_random() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

} // namespace

std::chrono::milliseconds
backoff_delay(int retry, std::chrono::milliseconds base, std::chrono::milliseconds cap, double random) {
  const int shift = std::clamp(retry, 0, 30);
  const double ceiling =
      std::min(static_cast<double>(cap.count()), static_cast<double>(base.count()) * std::ldexp(1.0, shift));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::clamp(random, 0.0, 1.0) * ceiling));
}

std::string percent_encode(std::string_view text) {
  static constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += hex[byte >> 4U];
      out += hex[byte & 0xfU];
    }
  }
  return out;
}

struct ApiClient::Impl {
  ClusterConfig config;
  ApiClientOptions options;
  std::string server; // origin, for messages (never with credentials)

  // A 407 comes from the proxy, not the API server: say so (without the proxy's password).
  void blame_proxy(ApiError& failure) const {
    if (failure.status == 407 && config.proxy) {
      failure.reason = "ProxyAuthenticationRequired";
      failure.message = "the proxy " + config.proxy->to_string() + " refused to connect to " + server +
                        " (407 Proxy Authentication Required): check the user and password in " +
                        (config.proxy_from_kubeconfig ? "the kubeconfig's proxy-url" : "HTTPS_PROXY");
    }
  }
  bool https = false;
  tls::ServerVerification verification;
  std::unique_ptr<TokenSource> token_source;
  std::unique_ptr<ExecCredentialProvider> exec_provider;

  // The client certificate in use (the configuration's, or the exec plugin's latest) and its generation:
  // pooled connections of an older generation are dropped.
  std::mutex identity_mutex;
  std::shared_ptr<const tls::ClientIdentity> identity;
  std::string identity_pem; // certificate + key the identity was parsed from
  std::uint64_t generation = 0;

  struct Pooled {
    std::unique_ptr<httplib::ClientImpl> client;
    std::uint64_t generation = 0;
  };
  std::mutex pool_mutex;
  std::vector<Pooled> idle;

  core::Result<std::unique_ptr<httplib::ClientImpl>>
  make_client(const tls::ClientIdentity* client_identity, std::chrono::milliseconds read_timeout) const;
  ApiResult<Credentials> credentials();
  core::VoidResult use_identity(const std::string& certificate_pem, const std::string& key_pem);
  void on_unauthorized(const Credentials& used) const;
  void apply_headers(httplib::Request& request, const Credentials& credentials) const;
  std::string request_path(std::string_view target) const;
  ApiResult<json> perform(const Call& call);
  void wait(std::chrono::milliseconds delay) const;
  // Waits before attempt number `attempt` (1 for the first retry): the backoff, or the Retry-After of a
  // 429/503 `last` answer.
  void wait_before_retry(int attempt, const std::optional<ApiError>& last) const;
  void observe(std::string_view method, int status) const;
};

core::Result<std::unique_ptr<httplib::ClientImpl>>
ApiClient::Impl::make_client(const tls::ClientIdentity* client_identity,
                             std::chrono::milliseconds read_timeout) const {
  const Url& url = config.server_url;
  std::unique_ptr<httplib::ClientImpl> client;
  if (https) {
    auto secure = std::make_unique<httplib::SSLClient>(
        url.host, url.port, client_identity != nullptr ? client_identity->certificate.get() : nullptr,
        client_identity != nullptr ? client_identity->key.get() : nullptr);
    if (!secure->is_valid()) {
      return core::Error{"cannot set up TLS for " + server + ": " + tls::take_openssl_errors()};
    }
    secure->enable_server_certificate_verification(false);
    if (auto configured = tls::configure_context(secure->ssl_context(), verification, client_identity);
        !configured) {
      return configured.error();
    }
    client = std::move(secure);
  } else {
    client = std::make_unique<httplib::ClientImpl>(url.host, url.port);
  }
  client->set_tcp_nodelay(true);
  client->set_keep_alive(true);
  client->set_url_encode(false);
  client->set_follow_location(false);
  client->set_connection_timeout(options.connect_timeout);
  client->set_read_timeout(read_timeout);
  client->set_write_timeout(options.request_timeout);
  if (config.proxy) {
    client->set_proxy(config.proxy->host, config.proxy->port);
    if (const auto& userinfo = config.proxy->userinfo; !userinfo.empty()) {
      const std::size_t colon = userinfo.find(':');
      client->set_proxy_basic_auth(percent_decode(userinfo.substr(0, colon)),
                                   colon == std::string::npos ? std::string()
                                                              : percent_decode(userinfo.substr(colon + 1)));
    }
  }
  return client;
}

core::VoidResult ApiClient::Impl::use_identity(const std::string& certificate_pem,
                                               const std::string& key_pem) {
  const std::lock_guard lock(identity_mutex);
  std::string pem = certificate_pem + '\n' + key_pem;
  if (identity && pem == identity_pem) {
    return core::success();
  }
  auto parsed = tls::parse_client_identity(certificate_pem, key_pem);
  if (!parsed) {
    return parsed.error();
  }
  identity = std::make_shared<const tls::ClientIdentity>(std::move(parsed).value());
  identity_pem = std::move(pem);
  ++generation;
  return core::success();
}

ApiResult<Credentials> ApiClient::Impl::credentials() {
  Credentials credentials;
  if (token_source) {
    auto token = token_source->token();
    if (!token) {
      return ApiError{0, "", "cannot read the bearer token: " + token.error().message};
    }
    credentials.authorization = "Bearer " + *token;
    credentials.refreshable = true;
  } else if (!config.token.empty()) {
    credentials.authorization = "Bearer " + config.token;
  } else if (!config.username.empty() || !config.password.empty()) {
    credentials.authorization = "Basic " + encode_base64(config.username + ":" + config.password);
  } else if (exec_provider) {
    auto credential = exec_provider->credential();
    if (!credential) {
      return ApiError{0, "", "cannot get credentials from the exec plugin: " + credential.error().message};
    }
    if (!credential->token.empty()) {
      credentials.authorization = "Bearer " + credential->token;
    }
    if (!credential->client_certificate_pem.empty() && https) {
      if (auto used = use_identity(credential->client_certificate_pem, credential->client_key_pem); !used) {
        return ApiError{0, "", "the exec plugin's client certificate: " + used.error().message};
      }
    }
    credentials.exec = std::move(credential).value();
    credentials.refreshable = true;
  }
  return credentials;
}

void ApiClient::Impl::on_unauthorized(const Credentials& used) const {
  if (token_source) {
    token_source->invalidate();
  }
  if (exec_provider && used.exec) {
    exec_provider->invalidate_if_current(*used.exec);
  }
}

void ApiClient::Impl::apply_headers(httplib::Request& request, const Credentials& credentials) const {
  const Url& url = config.server_url;
  const bool ipv6 = url.host.find(':') != std::string::npos;
  const std::string host = ipv6 ? "[" + url.host + "]" : url.host;
  request.set_header("Host", url.explicit_port ? host + ":" + std::to_string(url.port) : host);
  request.set_header("User-Agent", options.user_agent);
  if (!request.has_header("Accept")) {
    request.set_header("Accept", "application/json");
  }
  if (!credentials.authorization.empty()) {
    request.set_header("Authorization", credentials.authorization);
  }
  if (!config.impersonate_user.empty()) {
    request.set_header("Impersonate-User", config.impersonate_user);
  }
  if (!config.impersonate_uid.empty()) {
    request.set_header("Impersonate-Uid", config.impersonate_uid);
  }
  for (const auto& group : config.impersonate_groups) {
    request.headers.emplace("Impersonate-Group", group);
  }
  for (const auto& [key, values] : config.impersonate_extra) {
    for (const auto& value : values) {
      request.headers.emplace("Impersonate-Extra-" + percent_encode(key), value);
    }
  }
}

std::string ApiClient::Impl::request_path(std::string_view target) const {
  std::string path = config.server_url.request_path(target);
  // Through a proxy, a plain-http request names the whole URL (a tunnel carries https ones).
  if (config.proxy && !https) {
    path = config.server_url.origin() + path;
  }
  return path;
}

void ApiClient::Impl::wait(std::chrono::milliseconds delay) const {
  if (options.sleep) {
    options.sleep(delay);
  } else {
    std::this_thread::sleep_for(delay);
  }
}

void ApiClient::Impl::wait_before_retry(int attempt, const std::optional<ApiError>& last) const {
  std::chrono::milliseconds delay = backoff_delay(attempt - 1, options.backoff_base, options.backoff_cap,
                                                  options.random ? options.random() : default_random());
  if (last && last->retry_after_seconds && (last->status == 429 || last->status == 503)) {
    delay = std::min(std::chrono::milliseconds(std::chrono::seconds(*last->retry_after_seconds)),
                     options.retry_after_cap);
  }
  wait(delay);
}

void ApiClient::Impl::observe(std::string_view method, int status) const {
  if (options.observer) {
    options.observer(method, status);
  }
}

ApiResult<json> ApiClient::Impl::perform(const Call& call) {
  bool refreshed = false;
  std::optional<ApiError> last;
  const int attempts = std::max(1, options.max_attempts);
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) {
      wait_before_retry(attempt, last);
    }
    auto credentials = this->credentials();
    if (!credentials) {
      return credentials.error();
    }
    std::shared_ptr<const tls::ClientIdentity> client_identity;
    std::uint64_t client_generation = 0;
    {
      const std::lock_guard lock(identity_mutex);
      client_identity = identity;
      client_generation = generation;
    }
    std::unique_ptr<httplib::ClientImpl> client;
    {
      const std::lock_guard lock(pool_mutex);
      while (!idle.empty() && !client) {
        Pooled pooled = std::move(idle.back());
        idle.pop_back();
        if (pooled.generation == client_generation) {
          client = std::move(pooled.client);
        }
      }
    }
    if (!client) {
      auto made = make_client(client_identity.get(), options.request_timeout);
      if (!made) {
        return ApiError{0, "", made.error().message};
      }
      client = std::move(made).value();
    }

    httplib::Request request;
    request.method = call.method;
    request.path = request_path(call.target);
    apply_headers(request, *credentials);
    if (!call.content_type.empty()) {
      request.set_header("Content-Type", call.content_type);
      request.body = call.body;
    }
    httplib::Response response;
    httplib::Error error = httplib::Error::Success;
    ERR_clear_error();
    const bool sent = client->send(request, response, error);
    if (!sent) {
      observe(call.method, 0);
      last = ApiError{0, "",
                      describe_transport_error(error, server, options.connect_timeout,
                                               options.request_timeout, tls::take_openssl_errors())};
      // A failed connection is not reused.
      const bool retry = call.idempotent ? retryable_transport(error) : before_sending(error);
      if (!retry) {
        return *last;
      }
      continue;
    }
    observe(call.method, response.status);
    {
      const std::lock_guard lock(pool_mutex);
      if (idle.size() < options.max_idle_connections) {
        idle.push_back(Pooled{std::move(client), client_generation});
      }
    }
    if (response.status >= 200 && response.status < 300) {
      json body = json::parse(response.body, nullptr, false);
      if (body.is_discarded()) {
        return ApiError{response.status, "", "the answer of " + server + " is not JSON"};
      }
      return body;
    }
    ApiError failure = api_error_from_response(response.status, response.body);
    blame_proxy(failure);
    if (auto seconds = retry_after(response)) {
      failure.retry_after_seconds = seconds;
    }
    if (response.status == 401 && credentials->refreshable && !refreshed) {
      refreshed = true;
      on_unauthorized(*credentials);
      --attempt; // the refreshed credential gets a fresh attempt, once
      last.reset();
      continue;
    }
    const bool retry = call.idempotent ? retryable_status(response.status) : response.status == 429;
    if (!retry) {
      return failure;
    }
    last = std::move(failure);
  }
  return *last;
}

ApiClient::ApiClient(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
ApiClient::~ApiClient() = default;

const ClusterConfig& ApiClient::config() const {
  return m_impl->config;
}

core::Result<std::unique_ptr<ApiClient>> ApiClient::create(ClusterConfig config, ApiClientOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  const ClusterConfig& cluster = impl->config;
  const Url& url = cluster.server_url;
  if (url.scheme != "https" && url.scheme != "http") {
    return core::Error{"unsupported server URL scheme \"" + url.scheme + "\" (use https or http)"};
  }
  if (url.host.empty()) {
    return core::Error{"the server URL has no host"};
  }
  if (cluster.proxy) {
    if (cluster.proxy->scheme == "socks5") {
      return core::Error{"socks5 proxies are not supported (proxy " + cluster.proxy->to_string() + ")"};
    }
    if (cluster.proxy->scheme != "http") {
      return core::Error{"only http:// proxies are supported (proxy " + cluster.proxy->to_string() + ")"};
    }
  }
  impl->https = url.scheme == "https";
  impl->server = url.origin();
  impl->verification.insecure_skip_verify = cluster.insecure_skip_tls_verify;
  impl->verification.ca_pem = cluster.certificate_authority_pem;
  impl->verification.host = url.host;
  impl->verification.tls_server_name = cluster.tls_server_name;
  if (options.environment == nullptr) {
    options.environment = &system_environment();
  }
  impl->options = std::move(options);
  const ApiClientOptions& settings = impl->options;
  if (!cluster.token_file.empty()) {
    impl->token_source =
        std::make_unique<TokenSource>(*settings.environment, cluster.token_file, cluster.token);
  }
  if (cluster.exec && cluster.token.empty() && cluster.token_file.empty() && cluster.username.empty() &&
      cluster.password.empty()) {
    std::optional<ExecClusterInfo> info;
    if (cluster.exec->provide_cluster_info) {
      info = exec_cluster_info(cluster);
    }
    impl->exec_provider =
        std::make_unique<ExecCredentialProvider>(*cluster.exec, std::move(info), settings.exec);
  }
  if (impl->https && !cluster.client_certificate_pem.empty()) {
    if (auto used = impl->use_identity(cluster.client_certificate_pem, cluster.client_key_pem); !used) {
      return used.error();
    }
  }
  // A CA bundle that OpenSSL cannot read fails here rather than at the first request.
  if (impl->https) {
    auto probe = impl->make_client(impl->identity.get(), settings.request_timeout);
    if (!probe) {
      return probe.error();
    }
  }
  return std::unique_ptr<ApiClient>(new ApiClient(std::move(impl)));
}

ApiResult<json> ApiClient::get(const ResourceType& type,
                               std::string_view name_space,
                               std::string_view name,
                               std::string_view subresource) {
  return m_impl->perform(Call{"GET", api_path(type, name_space, name, subresource)});
}

ApiResult<ObjectList>
ApiClient::list(const ResourceType& type, std::string_view name_space, const ListOptions& options) {
  ObjectList result;
  std::string continue_token;
  bool restarted = false;
  while (true) {
    std::string target = api_path(type, name_space);
    if (options.limit > 0) {
      add_query(target, "limit", std::to_string(options.limit));
    }
    if (!continue_token.empty()) {
      add_query(target, "continue", continue_token);
    }
    add_selectors(target, options.label_selector, options.field_selector);
    auto page = m_impl->perform(Call{"GET", target});
    if (!page) {
      if (page.error().expired() && !continue_token.empty() && !restarted) {
        restarted = true; // the snapshot is gone: start over, once
        result = {};
        continue_token.clear();
        continue;
      }
      return page.error();
    }
    const json& body = *page;
    if (const auto items = body.find("items"); items != body.end() && items->is_array()) {
      for (const auto& item : *items) {
        result.items.push_back(item);
      }
    }
    const auto metadata = body.find("metadata");
    if (metadata == body.end() || !metadata->is_object()) {
      return ApiError{200, "", "the list answer has no metadata"};
    }
    if (result.resource_version.empty()) {
      result.resource_version = metadata->value("resourceVersion", std::string());
    }
    continue_token = metadata->value("continue", std::string());
    if (continue_token.empty()) {
      return result;
    }
  }
}

ApiResult<json> ApiClient::create(const ResourceType& type, std::string_view name_space, const json& object) {
  Call call{"POST", api_path(type, name_space), object.dump(), "application/json"};
  call.idempotent = false;
  return m_impl->perform(call);
}

ApiResult<json> ApiClient::apply(const ResourceType& type,
                                 std::string_view name_space,
                                 std::string_view name,
                                 const json& object,
                                 std::string_view subresource) {
  std::string target = api_path(type, name_space, name, subresource);
  add_query(target, "fieldManager", m_impl->options.field_manager);
  add_query(target, "force", "true");
  return m_impl->perform(Call{"PATCH", target, object.dump(), "application/apply-patch+yaml"});
}

ApiResult<json> ApiClient::merge_patch(const ResourceType& type,
                                       std::string_view name_space,
                                       std::string_view name,
                                       const json& patch,
                                       std::string_view subresource) {
  return m_impl->perform(Call{"PATCH", api_path(type, name_space, name, subresource), patch.dump(),
                              "application/merge-patch+json"});
}

ApiResult<json> ApiClient::json_patch(const ResourceType& type,
                                      std::string_view name_space,
                                      std::string_view name,
                                      const json& patch,
                                      std::string_view subresource) {
  return m_impl->perform(Call{"PATCH", api_path(type, name_space, name, subresource), patch.dump(),
                              "application/json-patch+json"});
}

ApiResult<json> ApiClient::replace(const ResourceType& type,
                                   std::string_view name_space,
                                   const json& object,
                                   std::string_view subresource) {
  const std::string name = metadata_string(object, "name");
  if (name.empty()) {
    return ApiError{0, "", "the object to replace has no metadata.name"};
  }
  return m_impl->perform(
      Call{"PUT", api_path(type, name_space, name, subresource), object.dump(), "application/json"});
}

ApiResult<json> ApiClient::remove(const ResourceType& type,
                                  std::string_view name_space,
                                  std::string_view name,
                                  const DeleteOptions& options) {
  Call call{"DELETE", api_path(type, name_space, name)};
  if (!options.precondition_uid.empty() || !options.precondition_resource_version.empty() ||
      !options.propagation_policy.empty()) {
    json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
    if (!options.precondition_uid.empty()) {
      body["preconditions"]["uid"] = options.precondition_uid;
    }
    if (!options.precondition_resource_version.empty()) {
      body["preconditions"]["resourceVersion"] = options.precondition_resource_version;
    }
    if (!options.propagation_policy.empty()) {
      body["propagationPolicy"] = options.propagation_policy;
    }
    call.body = body.dump();
    call.content_type = "application/json";
  }
  return m_impl->perform(call);
}

WatchResult ApiClient::watch(const ResourceType& type,
                             std::string_view name_space,
                             const WatchOptions& options,
                             const std::function<bool(const WatchEvent&)>& on_event,
                             std::stop_token stop) {
  Impl& impl = *m_impl;
  WatchResult result;
  result.resource_version = options.resource_version;
  bool refreshed = false;
  std::optional<ApiError> last;
  const int attempts = std::max(1, impl.options.max_attempts);
  const auto read_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout + k_watch_read_margin);
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (stop.stop_requested()) {
      result.end = WatchResult::End::stopped;
      return result;
    }
    if (attempt > 0) {
      impl.wait_before_retry(attempt, last);
    }
    auto credentials = impl.credentials();
    if (!credentials) {
      result.error = credentials.error();
      return result;
    }
    std::shared_ptr<const tls::ClientIdentity> client_identity;
    {
      const std::lock_guard lock(impl.identity_mutex);
      client_identity = impl.identity;
    }
    auto made = impl.make_client(client_identity.get(), read_timeout);
    if (!made) {
      result.error = ApiError{0, "", made.error().message};
      return result;
    }
    std::unique_ptr<httplib::ClientImpl> client = std::move(made).value();

    std::string target = api_path(type, name_space);
    add_query(target, "watch", "1");
    if (options.bookmarks) {
      add_query(target, "allowWatchBookmarks", "true");
    }
    if (!result.resource_version.empty()) {
      add_query(target, "resourceVersion", result.resource_version);
    }
    add_query(target, "timeoutSeconds", std::to_string(options.timeout.count()));
    add_selectors(target, options.label_selector, options.field_selector);

    httplib::Request request;
    request.method = "GET";
    request.path = impl.request_path(target);
    impl.apply_headers(request, *credentials);

    int status = 0;
    std::optional<int> retry_after_seconds;
    std::string error_body;
    WatchStreamDecoder decoder;
    std::vector<WatchEvent> events;
    std::optional<WatchResult::End> ended; // decided by the stream (stopped, expired, failed)
    request.response_handler = [&](const httplib::Response& response) {
      status = response.status;
      retry_after_seconds = retry_after(response);
      return !stop.stop_requested();
    };
    request.content_receiver = [&](const char* data, std::size_t size, std::uint64_t /*offset*/,
                                   std::uint64_t /*total*/) {
      if (status != 200) {
        if (error_body.size() < k_max_error_body) {
          error_body.append(data, std::min(size, k_max_error_body - error_body.size()));
        }
        return true;
      }
      if (stop.stop_requested()) {
        ended = WatchResult::End::stopped;
        return false;
      }
      events.clear();
      const auto decoded = decoder.feed(std::string_view(data, size), events);
      for (const auto& event : events) {
        if (event.type == WatchEvent::Type::error) {
          ApiError error = api_error_from_status(event.object);
          ended = error.status == 410 ? WatchResult::End::expired : WatchResult::End::failed;
          result.error = std::move(error);
          return false;
        }
        if (std::string version = metadata_string(event.object, "resourceVersion"); !version.empty()) {
          result.resource_version = std::move(version);
        }
        ++result.events;
        if (!on_event(event)) {
          ended = WatchResult::End::stopped;
          return false;
        }
      }
      if (!decoded) {
        ended = WatchResult::End::failed;
        result.error = ApiError{200, "", decoded.error().message};
        return false;
      }
      return true;
    };

    httplib::Response response;
    httplib::Error error = httplib::Error::Success;
    bool sent = false;
    {
      const std::stop_callback interrupt(stop, [&client] { client->stop(); });
      ERR_clear_error();
      sent = client->send(request, response, error);
    }
    impl.observe("GET", status);
    if (ended) {
      result.end = *ended;
      return result;
    }
    if (stop.stop_requested()) {
      result.end = WatchResult::End::stopped;
      return result;
    }
    if (status == 200) {
      if (!sent) {
        // The connection ended mid-stream: resume from the last resourceVersion.
        result.error = ApiError{0, "",
                                describe_transport_error(error, impl.server, impl.options.connect_timeout,
                                                         read_timeout, tls::take_openssl_errors())};
      } else if (auto finished = decoder.finish(); !finished) {
        result.end = WatchResult::End::failed;
        result.error = ApiError{200, "", finished.error().message};
        return result;
      }
      result.end = WatchResult::End::closed;
      return result;
    }
    if (status == 0) {
      last = ApiError{0, "",
                      describe_transport_error(error, impl.server, impl.options.connect_timeout, read_timeout,
                                               tls::take_openssl_errors())};
      if (!retryable_transport(error)) {
        break;
      }
      continue;
    }
    ApiError failure = api_error_from_response(status, error_body);
    impl.blame_proxy(failure);
    if (retry_after_seconds) {
      failure.retry_after_seconds = retry_after_seconds;
    }
    if (status == 410) {
      result.end = WatchResult::End::expired;
      result.error = std::move(failure);
      return result;
    }
    if (status == 401 && credentials->refreshable && !refreshed) {
      refreshed = true;
      impl.on_unauthorized(*credentials);
      --attempt;
      last.reset();
      continue;
    }
    last = std::move(failure);
    if (!retryable_status(status)) {
      break;
    }
  }
  result.end = WatchResult::End::failed;
  result.error = last;
  return result;
}

} // namespace herd::kube
