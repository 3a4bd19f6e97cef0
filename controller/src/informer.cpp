#include <herd/controller/informer.hpp>
#include <herd/kube/object_meta.hpp>

#include <algorithm>
#include <condition_variable>
#include <thread>
#include <utility>

namespace herd::controller {

namespace {

using kube::label;
using kube::metadata_string;
using nlohmann::json;

} // namespace

std::string object_key(const std::string& name_space, const std::string& name) {
  return name_space.empty() ? name : name_space + "/" + name;
}

std::string object_key(const json& object) {
  return object_key(metadata_string(object, "namespace"), metadata_string(object, "name"));
}

Informer::Informer(kube::ApiClient& client, InformerOptions options, Handler handler)
    : m_client(client), m_options(std::move(options)), m_handler(std::move(handler)) {}

bool Informer::pause(std::chrono::milliseconds delay, const std::stop_token& stop) {
  std::mutex sleeping;
  std::unique_lock lock(sleeping);
  std::condition_variable_any wake;
  // condition_variable_any waits on the stop token directly: a stop request ends the pause at once.
  wake.wait_for(lock, stop, delay, [] { return false; });
  return !stop.stop_requested();
}

void Informer::index_insert(const std::string& key, const json& object) {
  if (m_options.index) {
    if (std::string index_key = m_options.index(object); !index_key.empty()) {
      m_index[std::move(index_key)].insert(key);
    }
  }
}

void Informer::index_erase(const std::string& key, const json& object) {
  if (!m_options.index) {
    return;
  }
  const auto found = m_index.find(m_options.index(object));
  if (found != m_index.end()) {
    found->second.erase(key);
    if (found->second.empty()) {
      m_index.erase(found);
    }
  }
}

std::vector<ObjectPtr> Informer::indexed(const std::string& key) const {
  const std::lock_guard lock(m_mutex);
  std::vector<ObjectPtr> objects;
  if (const auto found = m_index.find(key); found != m_index.end()) {
    for (const auto& object_key : found->second) {
      if (const auto object = m_objects.find(object_key); object != m_objects.end()) {
        objects.push_back(object->second);
      }
    }
  }
  return objects;
}

std::optional<std::string> Informer::relist() {
  kube::ListOptions list_options;
  list_options.label_selector = m_options.label_selector;
  auto listed = m_client.list(m_options.type, m_options.name_space, list_options);
  if (!listed) {
    if (m_options.on_error) {
      m_options.on_error("list", listed.error());
    }
    return std::nullopt;
  }
  std::map<std::string, ObjectPtr> fresh;
  for (auto& item : listed->items) {
    std::string key = object_key(item);
    fresh.emplace(std::move(key), std::make_shared<const json>(std::move(item)));
  }
  std::vector<InformerEvent> events;
  {
    const std::lock_guard lock(m_mutex);
    for (const auto& [key, object] : m_objects) {
      if (!fresh.contains(key)) {
        events.push_back({InformerEvent::Type::deleted, object, object});
      }
    }
    for (const auto& [key, object] : fresh) {
      const auto old = m_objects.find(key);
      if (old == m_objects.end()) {
        events.push_back({InformerEvent::Type::added, object, nullptr});
      } else if (metadata_string(*old->second, "resourceVersion") !=
                 metadata_string(*object, "resourceVersion")) {
        events.push_back({InformerEvent::Type::updated, object, old->second});
      }
    }
    m_objects = std::move(fresh);
    m_index.clear();
    for (const auto& [key, object] : m_objects) {
      index_insert(key, *object);
    }
  }
  m_synced.store(true);
  for (const auto& event : events) {
    m_handler(event);
  }
  return std::move(listed->resource_version);
}

void Informer::apply(const kube::WatchEvent& event) {
  if (event.type == kube::WatchEvent::Type::bookmark || event.type == kube::WatchEvent::Type::error) {
    return;
  }
  auto object = std::make_shared<const json>(event.object);
  const std::string key = object_key(*object);
  InformerEvent change;
  {
    const std::lock_guard lock(m_mutex);
    const auto old = m_objects.find(key);
    ObjectPtr previous = old != m_objects.end() ? old->second : nullptr;
    if (previous) {
      index_erase(key, *previous);
    }
    if (event.type == kube::WatchEvent::Type::deleted) {
      if (old != m_objects.end()) {
        m_objects.erase(old);
      }
      change = {InformerEvent::Type::deleted, object, previous};
    } else {
      m_objects[key] = object;
      index_insert(key, *object);
      change = {previous ? InformerEvent::Type::updated : InformerEvent::Type::added, object, previous};
    }
  }
  m_handler(change);
}

void Informer::run(std::stop_token stop) {
  std::chrono::milliseconds retry = m_options.retry_base;
  const auto back_off = [&] {
    const bool go_on = pause(retry, stop);
    retry = std::min(retry * 2, m_options.retry_cap);
    return go_on;
  };
  while (!stop.stop_requested()) {
    auto resource_version = relist();
    if (!resource_version) {
      if (!back_off()) {
        break;
      }
      continue;
    }
    retry = m_options.retry_base;
    // Watch until the history we resume from is gone (relist) or the watch fails (back off, relist).
    while (!stop.stop_requested()) {
      kube::WatchOptions watch_options;
      watch_options.resource_version = *resource_version;
      watch_options.label_selector = m_options.label_selector;
      watch_options.timeout = m_options.watch_timeout;
      const auto result = m_client.watch(
          m_options.type, m_options.name_space, watch_options,
          [this](const kube::WatchEvent& event) {
            apply(event);
            return true;
          },
          stop);
      if (!result.resource_version.empty()) {
        *resource_version = result.resource_version;
      }
      if (result.end == kube::WatchResult::End::closed) {
        if (result.events > 0) {
          retry = m_options.retry_base;
          continue;
        }
        // A stream that ends at once without a single event (a proxy cutting it): do not spin.
        if (!back_off()) {
          break;
        }
        continue;
      }
      if (result.end == kube::WatchResult::End::failed) {
        if (m_options.on_error && result.error) {
          m_options.on_error("watch", *result.error);
        }
        if (!back_off()) {
          break;
        }
      }
      break; // stopped, expired (relist at once) or failed (relist after the pause)
    }
  }
}

ObjectPtr Informer::get(const std::string& name_space, const std::string& name) const {
  const std::lock_guard lock(m_mutex);
  const auto found = m_objects.find(object_key(name_space, name));
  return found != m_objects.end() ? found->second : nullptr;
}

std::vector<ObjectPtr> Informer::list() const {
  const std::lock_guard lock(m_mutex);
  std::vector<ObjectPtr> objects;
  objects.reserve(m_objects.size());
  for (const auto& [key, object] : m_objects) {
    objects.push_back(object);
  }
  return objects;
}

std::vector<ObjectPtr> Informer::select(const std::function<bool(const json&)>& keep) const {
  const std::lock_guard lock(m_mutex);
  std::vector<ObjectPtr> objects;
  for (const auto& [key, object] : m_objects) {
    if (keep(*object)) {
      objects.push_back(object);
    }
  }
  return objects;
}

std::size_t Informer::size() const {
  const std::lock_guard lock(m_mutex);
  return m_objects.size();
}

} // namespace herd::controller
