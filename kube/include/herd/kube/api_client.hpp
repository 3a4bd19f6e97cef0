#pragma once

#include <herd/core/result.hpp>
#include <herd/kube/api_error.hpp>
#include <herd/kube/environment.hpp>
#include <herd/kube/exec_credential.hpp>
#include <herd/kube/kubeconfig.hpp>
#include <herd/kube/resource.hpp>
#include <herd/kube/watch_decoder.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace herd::kube {

struct ApiClientOptions {
  std::string user_agent = "herd-controller";
  std::string field_manager = "herd-controller"; // of server-side apply
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)}; // read/write timeout of one attempt
  // Attempts of one request (the first included) when it fails with 429, a 5xx other than 501, or a
  // transport error; see ApiClient for what a create retries.
  int max_attempts = 5;
  // Full-jitter exponential backoff between attempts: random() * min(cap, base * 2^retry). A 429/503 with
  // Retry-After waits that many seconds instead, at most `retry_after_cap`.
  std::chrono::milliseconds backoff_base{200};
  std::chrono::milliseconds backoff_cap{std::chrono::seconds(10)};
  std::chrono::milliseconds retry_after_cap{std::chrono::seconds(60)};
  std::size_t max_idle_connections = 8; // kept-alive connections reused by later requests
  // Injectable for tests: how to wait between attempts, and a uniform random number in [0, 1). Both are
  // called from any thread that makes a request. Defaults: std::this_thread::sleep_for, a per-thread engine.
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<double()> random;
  // Called after every HTTP attempt with its method ("GET", "PATCH", ...) and status (0: no answer), from the
  // requesting thread: request metrics.
  std::function<void(std::string_view method, int status)> observer;
  // Where a token file is read from (default: the real file system). Must outlive the client.
  const Environment* environment = nullptr;
  ExecOptions exec{};
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int limit = 500; // items per page; the list follows `continue` until the end (0: one unpaged request)
};

// A whole list: the items of every page and the resourceVersion of the snapshot (to watch from).
struct ObjectList {
  std::vector<nlohmann::json> items;
  std::string resource_version;
};

struct DeleteOptions {
  std::string precondition_uid;              // empty: none
  std::string precondition_resource_version; // empty: none
  std::string propagation_policy;            // Foreground, Background, Orphan; empty: the server's default
};

struct WatchOptions {
  std::string resource_version; // empty: start with ADDED events for every current object
  std::string label_selector;
  std::string field_selector;
  std::chrono::seconds timeout{std::chrono::minutes(5)}; // timeoutSeconds: the server ends the stream then
  bool bookmarks = true;
};

// How a watch ended, and where to resume from.
struct WatchResult {
  enum class End {
    closed,  // the stream ended (timeoutSeconds, or the connection closed after it started): watch again
             // from `resource_version`
    stopped, // the callback returned false or a stop was requested
    expired, // 410 Gone, as the answer or as an ERROR event: `resource_version` is too old, list again
    failed,  // the watch could not start, or the stream was malformed or carried another ERROR
  };
  End end = End::failed;
  std::string resource_version;    // of the last event received (bookmarks included), else the one asked for
  std::size_t events = 0;          // events delivered to the callback (bookmarks included)
  std::optional<ApiError> error{}; // why, for expired and failed, and for a connection lost mid-stream
};

// A client of one Kubernetes API server, configured from a ClusterConfig as kubectl (client-go) does:
//  * TLS 1.2+; the server is verified against exactly the configured CA bundle (the system roots only when
//    there is none), the certificate checked for the server's host or IP, or for tls_server_name, which is
//    also sent as SNI; insecure_skip_tls_verify disables verification;
//  * credentials: a client certificate, a bearer token (static, a token file re-read every minute, or an
//    exec plugin's), basic authentication, Impersonate-* headers; after a 401 a token file or exec plugin
//    credential is refreshed and the request retried once;
//  * the server URL's path prefixes every request; an http(s):// proxy (with basic credentials) tunnels
//    https servers with CONNECT and forwards http ones; socks5 and https:// proxies are refused at create.
// Requests are retried with backoff (see ApiClientOptions) on 429 (Retry-After honoured), 5xx except 501 and
// transport errors. A create (POST) is not idempotent: it is retried on 429 and on failures to connect
// only, never after the request may have reached the server. 409 is never retried.
// Thread-safe: requests from many threads use a pool of kept-alive connections; every watch uses its own.
// Errors are values; no exception leaves this class.
class ApiClient {
public:
  // Fails on a configuration the client cannot honour: a socks5 or https proxy, an unreadable CA or client
  // certificate/key, an unsupported scheme.
  static core::Result<std::unique_ptr<ApiClient>> create(ClusterConfig config, ApiClientOptions options = {});
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  [[nodiscard]] const ClusterConfig& config() const;

  ApiResult<nlohmann::json> get(const ResourceType& type,
                                std::string_view name_space,
                                std::string_view name,
                                std::string_view subresource = {});
  // Every page (limit + continue). When a continue token expires (410), the list starts again from the first
  // page, once.
  ApiResult<ObjectList>
  list(const ResourceType& type, std::string_view name_space, const ListOptions& options = {});
  // POST. AlreadyExists is 409.
  ApiResult<nlohmann::json>
  create(const ResourceType& type, std::string_view name_space, const nlohmann::json& object);
  // Server-side apply (PATCH application/apply-patch+yaml with the JSON of `object`), as field manager
  // options.field_manager with force=true: creates the object when missing.
  ApiResult<nlohmann::json> apply(const ResourceType& type,
                                  std::string_view name_space,
                                  std::string_view name,
                                  const nlohmann::json& object,
                                  std::string_view subresource = {});
  // RFC 7386 merge patch.
  ApiResult<nlohmann::json> merge_patch(const ResourceType& type,
                                        std::string_view name_space,
                                        std::string_view name,
                                        const nlohmann::json& patch,
                                        std::string_view subresource = {});
  // RFC 6902 JSON patch (`patch` is the array of operations).
  ApiResult<nlohmann::json> json_patch(const ResourceType& type,
                                       std::string_view name_space,
                                       std::string_view name,
                                       const nlohmann::json& patch,
                                       std::string_view subresource = {});
  // PUT of `object` (named by its metadata.name) or of its `subresource` ("status"). With
  // metadata.resourceVersion set, a stale one is 409 Conflict.
  ApiResult<nlohmann::json> replace(const ResourceType& type,
                                    std::string_view name_space,
                                    const nlohmann::json& object,
                                    std::string_view subresource = {});
  // DELETE; the answer is the object (still there with a deletionTimestamp when finalizers hold it, or as it
  // was) or a Status. A missing object is 404 (ApiError::not_found()): callers treat it as done.
  ApiResult<nlohmann::json> remove(const ResourceType& type,
                                   std::string_view name_space,
                                   std::string_view name,
                                   const DeleteOptions& options = {});

  // Watches `type` (in `name_space`, or all namespaces when empty) on a connection of its own, whose read
  // timeout exceeds options.timeout. Calls `on_event` for each event in order, on this thread (returning
  // false ends the watch); ERROR events are not passed on but end the watch. Starting the watch is retried as
  // requests are; once it streams, nothing is retried. `stop` ends it within one chunk, or at once while it
  // is waiting for data.
  WatchResult watch(const ResourceType& type,
                    std::string_view name_space,
                    const WatchOptions& options,
                    const std::function<bool(const WatchEvent&)>& on_event,
                    std::stop_token stop = {});

private:
  struct Impl;
  explicit ApiClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

// The delay before retry number `retry` (0 for the first retry): full jitter, random * min(cap, base *
// 2^retry).
std::chrono::milliseconds
backoff_delay(int retry, std::chrono::milliseconds base, std::chrono::milliseconds cap, double random);

// `text` with every byte outside RFC 3986's unreserved set percent-encoded (query values, label selectors).
std::string percent_encode(std::string_view text);

} // namespace herd::kube
