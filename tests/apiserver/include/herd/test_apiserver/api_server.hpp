#pragma once

// A test Kubernetes API server: the subset of kube-apiserver the Herd controller and the plugin talk to,
// following the real semantics (resourceVersion, list paging, watch with bookmarks and 410, server-side apply
// with field ownership, the status subresource, finalizers, dry run) closely enough that a client which works
// here works against a real cluster. What it simplifies is listed in tests/apiserver/README.md.
//
// Everything is in memory and one process: no etcd, no admission chain, no schema validation of custom
// resources, no garbage collector. Faults (failed, slow or refused requests, dropped watches, compacted
// history) are injected through this class or the `/_test/...` endpoints of the same server.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herd::test_apiserver {

// One additionalPrinterColumn of a CRD (or a built-in's column): served in Table responses (`kubectl get`).
struct PrinterColumn {
  std::string name;
  std::string type; // string, integer, number, boolean, date
  std::string json_path;
  std::string description;
  int priority = 0;
};

// A served resource (one version of it). The flags are the registry strategy's answers in kube-apiserver
// (AllowCreateOnUpdate, AllowUnconditionalUpdate, ReturnDeletedObject, the status subresource).
struct ResourceType {
  std::string group; // "" for the core group
  std::string version;
  std::string plural;
  std::string singular;
  std::string kind;
  std::string list_kind;
  bool namespaced = true;
  // CustomResourceDefinition semantics: metadata.generation starts at 1 and grows when anything outside
  // metadata changes, PUT without resourceVersion is refused, PUT never creates.
  bool custom_resource = false;
  bool status_subresource = false;
  bool allow_create_on_update = false;
  bool allow_unconditional_update = true;
  bool return_deleted_object = false; // DELETE answers the object, not a Status
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  std::vector<PrinterColumn> printer_columns;

  [[nodiscard]] std::string api_version() const;    // "v1", "herd.suse.com/v1"
  [[nodiscard]] std::string group_resource() const; // "configmaps", "stacks.herd.suse.com"
};

// The resource a CustomResourceDefinition serves (its storage version unless `version` is given). Throws
// std::invalid_argument when the document is not a CRD or does not serve that version.
ResourceType resource_type_from_crd(const nlohmann::json& crd, std::string_view version = {});

// What a fresh server serves: herd.suse.com/v1 stacks; fleet.cattle.io/v1alpha1 bundles, bundledeployments,
// clusters, clustergroups (as their CRDs in ../shared/reference/fleet declare them); coordination.k8s.io/v1
// leases; core v1 namespaces, configmaps, secrets, events.
std::vector<ResourceType> default_resource_types();

// A fault: requests matching `method` (empty: any) whose target (path after the prefix, then `?` and the raw
// query) matches `target_regex` (ECMAScript, searched) are affected. `every_nth` picks every Nth matching
// request (1: each one); `times` bounds how many are affected (-1: no bound). An affected request waits
// `latency` and then, when `status` is not 0, fails with that status (a real Status body; 429 and 503 carry
// `Retry-After: retry_after_seconds`). With `drop_connection` the connection is closed without an answer.
struct FaultRule {
  std::string method;
  std::string target_regex = ".*";
  int status = 0;
  int times = -1;
  int every_nth = 1;
  int retry_after_seconds = 1;
  std::chrono::milliseconds latency{0};
  bool drop_connection = false;
  std::string message;
};

// One request as it arrived (after the path prefix was removed).
struct RequestRecord {
  std::string method;
  std::string path;
  std::string query; // raw, as sent
  std::string content_type;
  std::string field_manager;
  std::string user_agent; // who asked (a test tells its clients apart by their User-Agent)
  int status = 0;         // the answer's status (200 for a watch that started streaming)
  bool watch = false;
};

// One change the store committed (dry runs are not changes). `verb` is the API verb that caused it: create,
// update, patch, apply, delete, deletecollection, or seed/unseed for the C++ API.
struct WriteRecord {
  std::uint64_t resource_version = 0;
  std::string verb;
  std::string event; // ADDED, MODIFIED, DELETED
  std::string subresource;
  std::string api_version;
  std::string resource; // plural
  std::string name_space;
  std::string name;
  std::string field_manager;
};

struct Options {
  std::string bind_address = "127.0.0.1";
  int port = 0; // 0: any free port, see port()
  // Both set: serve HTTPS with this PEM certificate (chain) and key.
  std::string tls_cert_file;
  std::string tls_key_file;
  // With TLS: every client must present a certificate signed by a CA of this PEM file (mutual TLS, as
  // kube-apiserver's --client-ca-file; the certificate is checked, not mapped to a user).
  std::string tls_client_ca_file;
  // Not empty: every API request must carry `Authorization: Bearer <token>` (else 401 Unauthorized).
  std::string token;
  // Every API request's path must start with it, as behind Rancher's proxy (`/k8s/clusters/c-m-xxxx`).
  std::string path_prefix;
  std::vector<ResourceType> resources = default_resource_types();
  // Watch events kept for watches and paged lists that resume from a resourceVersion; anything older
  // answers 410 Gone (etcd keeps 5 minutes; this keeps a count).
  std::size_t history_limit = 1000;
  // allowWatchBookmarks=true watches get a BOOKMARK this often when nothing else was sent.
  std::chrono::milliseconds bookmark_interval{1000};
  // Worker threads: each open connection (and so each open watch) holds one.
  std::size_t threads = 64;
  std::chrono::seconds keep_alive_timeout{5};
  std::size_t max_body_bytes = 3U << 20U; // kube-apiserver's MaxRequestBodyBytes
  // Creating an object in a namespace that does not exist is refused with 404, as the NamespaceLifecycle
  // admission plugin does. `default`, `kube-system`, `kube-public` and `kube-node-lease` exist from the
  // start.
  bool require_namespaces = true;
  // The field manager of objects written through put().
  std::string seed_field_manager = "herd-test-seed";
};

class ApiServer {
public:
  explicit ApiServer(Options options = {});
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds (the first time on options().port, then on the same port again) and serves on a background thread.
  // Throws std::runtime_error when the port cannot be bound.
  void start();
  // Stops listening: open watches are cut and new connections are refused. The state stays; start() again
  // serves it on the same port.
  void stop();
  [[nodiscard]] bool listening() const;
  [[nodiscard]] int port() const;
  // "http://127.0.0.1:PORT/prefix" (https with TLS): what a kubeconfig's `server` would say.
  [[nodiscard]] std::string url() const;
  [[nodiscard]] const Options& options() const;

  // ---- state, for seeding and assertions
  [[nodiscard]] std::string resource_version() const; // the newest one
  [[nodiscard]] std::optional<nlohmann::json> get(std::string_view api_version,
                                                  std::string_view resource,
                                                  std::string_view name_space,
                                                  std::string_view name) const;
  // Sorted by namespace and name; all namespaces when `name_space` is empty.
  [[nodiscard]] std::vector<nlohmann::json>
  list(std::string_view api_version, std::string_view resource, std::string_view name_space = {}) const;
  // Creates or replaces the object its apiVersion, kind, namespace and name designate, as one write
  // (new resourceVersion, watch event, fields owned by options().seed_field_manager). Status is taken as
  // given. Returns the stored object. Throws std::invalid_argument for an unknown kind or a missing name.
  nlohmann::json put(nlohmann::json object);
  // Removes the object at once (finalizers ignored), with a DELETED event. False when it did not exist.
  bool remove(std::string_view api_version,
              std::string_view resource,
              std::string_view name_space,
              std::string_view name);

  // ---- faults
  int add_fault(FaultRule rule); // returns an id for remove_fault
  void remove_fault(int id);
  void clear_faults();
  // Closes every open watch stream now, mid-stream (the client sees the connection end).
  void drop_watches();
  // Forgets the watch history: resuming a watch or a paged list from any resourceVersion older than the
  // newest one answers 410 Gone, as after an etcd compaction.
  void compact_history();
  [[nodiscard]] std::size_t open_watches() const;
  void set_token(std::string token); // replaces the required bearer token (empty: none)

  // ---- what happened
  [[nodiscard]] std::vector<RequestRecord> requests() const;
  // Requests whose method equals `method` (empty: any) and whose target matches `target_regex`.
  [[nodiscard]] std::size_t request_count(std::string_view method, std::string_view target_regex) const;
  [[nodiscard]] std::vector<WriteRecord> writes() const;
  void clear_logs();

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace herd::test_apiserver
