#pragma once

// The objects, the global resourceVersion, the watch history and the REST semantics of kube-apiserver's
// generic registry (k8s.io/apiserver/pkg/registry/generic/registry/store.go) over them. Thread-safe: one
// mutex guards everything; watchers wait on a condition variable. Errors are thrown as ApiError.

#include "field_manager.hpp"
#include "selectors.hpp"

#include <herd/test_apiserver/api_server.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace herd::test_apiserver {

struct Response {
  Response() = default;
  Response(int status, nlohmann::json content) : code(status), body(std::move(content)) {}

  int code = 200;
  nlohmann::json body;
  std::string text; // when not empty: the body, already serialized (lists: no copy of every item)
};

struct ListOptions {
  LabelSelector labels;
  FieldSelector fields;
  std::size_t limit = 0; // 0: no paging
  std::string continue_token;
  std::optional<std::string> resource_version;
  std::string resource_version_match; // "", Exact, NotOlderThan
};

struct WriteOptions {
  bool dry_run = false;
  std::string field_manager; // explicit, or derived from the User-Agent
  bool force = false;
};

struct DeleteOptions {
  bool dry_run = false;
  std::optional<std::string> uid;              // preconditions.uid
  std::optional<std::string> resource_version; // preconditions.resourceVersion
};

enum class PatchType { merge, json_patch, strategic, apply };

struct WatchOptions {
  LabelSelector labels;
  FieldSelector fields;
  std::optional<std::string> resource_version;
  std::string resource_version_match;
  bool bookmarks = false;
  bool send_initial_events = false;
  bool send_initial_events_set = false;
};

// One open watch: the position in the history and the lines not yet written.
class Watch {
public:
  enum class State { open, finished, dropped };
  [[nodiscard]] State state() const { return m_state; }
  [[nodiscard]] std::uint64_t position() const { return m_position; }

private:
  friend class Store;
  std::size_t m_type = 0;
  std::string m_namespace;
  LabelSelector m_labels;
  FieldSelector m_fields;
  bool m_bookmarks = false;
  std::uint64_t m_position = 0;
  std::uint64_t m_generation = 0; // drop generation at start
  bool m_counted = false;         // counted in Store::open_watches until closed
  State m_state = State::open;
};

class Store {
public:
  Store(std::vector<ResourceType> types,
        std::size_t history_limit,
        bool require_namespaces,
        std::string seed_manager);

  [[nodiscard]] const std::vector<ResourceType>& types() const { return m_types; }
  [[nodiscard]] const ResourceType*
  find(std::string_view group, std::string_view version, std::string_view plural) const;
  [[nodiscard]] const ResourceType* find_kind(std::string_view api_version, std::string_view kind) const;

  Response get(const ResourceType& type, const std::string& ns, const std::string& name);
  Response list(const ResourceType& type, const std::string& ns, const ListOptions& options);
  Response
  create(const ResourceType& type, const std::string& ns, nlohmann::json body, const WriteOptions& options);
  Response update(const ResourceType& type,
                  const std::string& ns,
                  const std::string& name,
                  nlohmann::json body,
                  bool status,
                  const WriteOptions& options);
  Response patch(const ResourceType& type,
                 const std::string& ns,
                 const std::string& name,
                 PatchType patch_type,
                 const nlohmann::json& patch,
                 bool status,
                 const WriteOptions& options);
  Response remove(const ResourceType& type,
                  const std::string& ns,
                  const std::string& name,
                  const DeleteOptions& options);
  Response remove_collection(const ResourceType& type,
                             const std::string& ns,
                             const ListOptions& list_options,
                             const DeleteOptions& options);

  // Starts a watch: the initial lines (synthetic ADDED events, or an ERROR 410) are returned in `lines`.
  std::shared_ptr<Watch> watch(const ResourceType& type,
                               const std::string& ns,
                               const WatchOptions& options,
                               std::vector<std::string>& lines);
  // Waits up to `wait` for changes after the watch's position, then appends their lines. A watch that fell
  // out of the history gets an ERROR 410 and finishes; a dropped one (drop_watches, stop) ends.
  void poll(Watch& watch, std::chrono::milliseconds wait, std::vector<std::string>& lines);
  // A BOOKMARK line at the watch's position (every change up to it was considered).
  std::string bookmark(const Watch& watch) const;
  void drop_watches();
  void close_watch(Watch& watch);
  [[nodiscard]] std::size_t open_watches() const;

  // C++ API
  [[nodiscard]] std::uint64_t resource_version() const;
  [[nodiscard]] std::optional<nlohmann::json>
  peek(const ResourceType& type, const std::string& ns, const std::string& name) const;
  [[nodiscard]] std::vector<nlohmann::json> peek_all(const ResourceType& type, const std::string& ns) const;
  nlohmann::json seed(nlohmann::json object);
  bool unseed(const ResourceType& type, const std::string& ns, const std::string& name);
  void compact();
  [[nodiscard]] std::vector<WriteRecord> writes() const;
  void clear_writes();

private:
  struct Entry {
    nlohmann::json object;
    FieldOwnership ownership;
  };
  struct Event {
    std::uint64_t rv = 0;
    std::size_t type = 0;
    std::string kind; // ADDED, MODIFIED, DELETED
    nlohmann::json object;
    nlohmann::json previous; // null for ADDED
  };
  using Objects = std::map<std::string, Entry>; // key: "namespace/name" or "name", etcd's order

  std::size_t index_of(const ResourceType& type) const;
  static std::string key(const ResourceType& type, const std::string& ns, const std::string& name);
  Entry* find_entry(std::size_t type, const std::string& key);

  // Commits one change (a new resourceVersion, a history event, a write record). `entry` null: deletion.
  std::uint64_t commit(std::size_t type,
                       const std::string& key,
                       std::optional<Entry> entry,
                       const std::string& verb,
                       const std::string& subresource,
                       const std::string& manager);
  nlohmann::json create_locked(std::size_t index,
                               const std::string& ns,
                               nlohmann::json object,
                               FieldOwnership ownership,
                               bool track_fields,
                               const std::string& verb,
                               const WriteOptions& options,
                               bool& created);
  nlohmann::json prepare_update(const ResourceType& type,
                                const nlohmann::json& current,
                                nlohmann::json incoming,
                                bool status) const;
  Response finish_update(std::size_t index,
                         const std::string& key,
                         nlohmann::json updated,
                         FieldOwnership ownership,
                         bool track_fields,
                         const std::string& verb,
                         bool status,
                         const WriteOptions& options);
  Response delete_locked(std::size_t index,
                         const std::string& key,
                         const DeleteOptions& options,
                         const std::string& verb);
  void finish_namespace_deletions(const std::string& verb);
  void check_namespace_for_create(const std::string& ns) const;
  // The objects as they were at `rv` (>= m_floor): the current ones with the later changes undone.
  std::map<std::string, const nlohmann::json*> state_at(std::size_t type, std::uint64_t rv) const;
  std::uint64_t wait_for_resource_version(std::unique_lock<std::mutex>& lock, std::uint64_t wanted);
  void append_event_line(const Watch& watch, const Event& event, std::vector<std::string>& lines) const;
  [[nodiscard]] bool watch_matches(const Watch& watch, const nlohmann::json& object) const;

  std::vector<ResourceType> m_types;
  std::size_t m_history_limit;
  bool m_require_namespaces;
  std::string m_seed_manager;

  mutable std::mutex m_mutex;
  std::condition_variable m_changed;
  std::vector<Objects> m_objects;
  std::deque<Event> m_history;
  std::uint64_t m_rv = 0;
  std::uint64_t m_floor = 0; // every event after it is in m_history
  std::uint64_t m_drop_generation = 0;
  std::size_t m_open_watches = 0;
  std::vector<WriteRecord> m_writes;
};

std::string now_rfc3339();

} // namespace herd::test_apiserver
