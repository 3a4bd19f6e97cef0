#pragma once

#include <herd/kube/api_client.hpp>
#include <herd/kube/resource.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace herd::controller {

using ObjectPtr = std::shared_ptr<const nlohmann::json>;

// A change the informer saw. `object` is the new state (for `deleted`, the last one known); `previous` the
// cached state before an update (null for added).
struct InformerEvent {
  enum class Type { added, updated, deleted };
  Type type = Type::added;
  ObjectPtr object;
  ObjectPtr previous;
};

struct InformerOptions {
  kube::ResourceType type;
  std::string name_space;     // empty: all namespaces
  std::string label_selector; // empty: every object
  std::chrono::seconds watch_timeout{std::chrono::minutes(5)};
  // Waits after a failed list or watch: doubling from `retry_base` up to `retry_cap`.
  std::chrono::milliseconds retry_base{500};
  std::chrono::milliseconds retry_cap{std::chrono::seconds(30)};
  // Optional: the index key of an object (empty: not indexed), for indexed(): a reconcile reads the objects
  // of one Stack without scanning every cached object.
  std::function<std::string(const nlohmann::json&)> index;
  // Optional: told about every failed list or watch (before the backoff), so the process can log why its
  // cache is not current. `what` is "list" or "watch".
  std::function<void(std::string_view what, const kube::ApiError& error)> on_error;
};

// A local cache of one resource kept current by list + watch, as client-go's reflector and informer keep it:
// list, then watch from the list's resourceVersion; a watch that ends is resumed from the last
// resourceVersion seen (bookmarks included); a 410 (expired) relists, and the relist reports every object
// that disappeared meanwhile as deleted, so no deletion is lost while disconnected. Failures are retried with
// backoff forever; the cache keeps serving the last state meanwhile.
// Handlers run on the informer's thread (run()), one at a time, after the cache was updated; they must be
// quick (enqueue a key). Cache reads are thread-safe.
class Informer {
public:
  using Handler = std::function<void(const InformerEvent&)>;

  Informer(kube::ApiClient& client, InformerOptions options, Handler handler);

  // Lists and watches until `stop` is requested. Blocks.
  void run(std::stop_token stop);

  // Whether the first list completed (the cache is a whole snapshot).
  [[nodiscard]] bool synced() const { return m_synced.load(); }

  [[nodiscard]] ObjectPtr get(const std::string& name_space, const std::string& name) const;
  // Every cached object, by namespace and name.
  [[nodiscard]] std::vector<ObjectPtr> list() const;
  // The cached objects `keep` accepts.
  [[nodiscard]] std::vector<ObjectPtr> select(const std::function<bool(const nlohmann::json&)>& keep) const;
  // The cached objects whose index key (InformerOptions::index) is `key`, by namespace and name.
  [[nodiscard]] std::vector<ObjectPtr> indexed(const std::string& key) const;
  [[nodiscard]] std::size_t size() const;

private:
  // The list's objects replace the cache; returns the list's resourceVersion, or nullopt on failure.
  std::optional<std::string> relist();
  void apply(const kube::WatchEvent& event);
  // Caller holds m_mutex.
  void index_insert(const std::string& key, const nlohmann::json& object);
  void index_erase(const std::string& key, const nlohmann::json& object);
  bool pause(std::chrono::milliseconds delay, const std::stop_token& stop);

  kube::ApiClient& m_client;
  InformerOptions m_options;
  Handler m_handler;
  mutable std::mutex m_mutex;
  std::map<std::string, ObjectPtr> m_objects;           // "namespace/name"
  std::map<std::string, std::set<std::string>> m_index; // index key -> object keys
  std::atomic<bool> m_synced{false};
};

// "namespace/name" (or "name" for cluster-scoped objects) of an object: the cache and work-queue key.
std::string object_key(const nlohmann::json& object);
std::string object_key(const std::string& name_space, const std::string& name);

} // namespace herd::controller
