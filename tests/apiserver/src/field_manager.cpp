#include "field_manager.hpp"

#include "json_ops.hpp"

#include <algorithm>
#include <map>

namespace herd::test_apiserver {

using nlohmann::json;

namespace {

bool server_owned_metadata(const std::string& key) {
  static const std::set<std::string> keys = {"name",
                                             "namespace",
                                             "uid",
                                             "resourceVersion",
                                             "generation",
                                             "creationTimestamp",
                                             "deletionTimestamp",
                                             "deletionGracePeriodSeconds",
                                             "managedFields",
                                             "selfLink"};
  return keys.contains(key);
}

// Depth is bounded: objects reaching here were checked against kMaxDepth.
void collect(const json& node, FieldPath& path, FieldSet& out) {
  for (const auto& [key, value] : node.items()) {
    path.push_back(key);
    out.insert(path);
    if (value.is_object()) {
      collect(value, path, out);
    }
    path.pop_back();
  }
}

bool is_prefix(const FieldPath& prefix, const FieldPath& full) {
  return prefix.size() <= full.size() && std::equal(prefix.begin(), prefix.end(), full.begin());
}

// Merges `config` into `target`: maps key by key, everything else replaced.
void merge_into(json& target, const json& config) {
  for (const auto& [key, value] : config.items()) {
    auto it = target.find(key);
    if (value.is_object() && it != target.end() && it->is_object()) {
      merge_into(*it, value);
    } else {
      target[key] = value;
    }
  }
}

std::string describe(const ManagedFieldsEntry& entry) {
  std::string out = "\"" + entry.manager + "\"";
  if (!entry.subresource.empty()) {
    out += " with subresource \"" + entry.subresource + "\"";
  }
  if (entry.operation == "Update") {
    out += " using " + entry.api_version;
  }
  return out;
}

void prune(FieldOwnership& ownership, const json& object) {
  for (auto& entry : ownership.entries) {
    for (auto it = entry.fields.begin(); it != entry.fields.end();) {
      it = find_path(object, *it) == nullptr ? entry.fields.erase(it) : std::next(it);
    }
  }
  std::erase_if(ownership.entries, [](const ManagedFieldsEntry& entry) { return entry.fields.empty(); });
}

ManagedFieldsEntry* find_entry(FieldOwnership& ownership,
                               const std::string& manager,
                               const std::string& operation,
                               const std::string& subresource) {
  for (auto& entry : ownership.entries) {
    if (entry.manager == manager && entry.operation == operation && entry.subresource == subresource) {
      return &entry;
    }
  }
  return nullptr;
}

} // namespace

FieldSet field_set(const json& object) {
  FieldSet out;
  if (!object.is_object()) {
    return out;
  }
  FieldPath path;
  for (const auto& [key, value] : object.items()) {
    if (key == "apiVersion" || key == "kind") {
      continue;
    }
    if (key == "metadata" && value.is_object()) {
      for (const auto& [meta_key, meta_value] : value.items()) {
        if (server_owned_metadata(meta_key)) {
          continue;
        }
        path = {"metadata", meta_key};
        out.insert(path);
        if (meta_value.is_object()) {
          collect(meta_value, path, out);
        }
      }
      continue;
    }
    path = {key};
    out.insert(path);
    if (value.is_object()) {
      collect(value, path, out);
    }
  }
  return out;
}

json FieldOwnership::to_json() const {
  json out = json::array();
  for (const auto& entry : entries) {
    json fields = json::object();
    for (auto it = entry.fields.begin(); it != entry.fields.end(); ++it) {
      json* node = &fields;
      for (const auto& key : *it) {
        node = &(*node)["f:" + key];
      }
      if (node->is_null()) {
        *node = json::object();
      }
      // The set is sorted: a field's first descendant, if any, comes right after it.
      const auto next = std::next(it);
      if (next != entry.fields.end() && next->size() > it->size() && is_prefix(*it, *next)) {
        (*node)["."] = json::object();
      }
    }
    json item = {{"manager", entry.manager},        {"operation", entry.operation},
                 {"apiVersion", entry.api_version}, {"time", entry.time},
                 {"fieldsType", "FieldsV1"},        {"fieldsV1", fields}};
    if (!entry.subresource.empty()) {
      item["subresource"] = entry.subresource;
    }
    out.push_back(std::move(item));
  }
  return out;
}

std::string path_string(const FieldPath& path) {
  std::string out;
  for (const auto& key : path) {
    out += "." + key;
  }
  return out;
}

std::string conflict_message(const std::vector<ApplyConflict>& conflicts) {
  if (conflicts.size() == 1) {
    return "Apply failed with 1 conflict: conflict with " + conflicts.front().manager_description + ": " +
           path_string(conflicts.front().path);
  }
  std::map<std::string, std::vector<std::string>> by_manager;
  for (const auto& conflict : conflicts) {
    by_manager[conflict.manager_description].push_back(path_string(conflict.path));
  }
  std::string out = "Apply failed with " + std::to_string(conflicts.size()) + " conflicts: ";
  bool first = true;
  for (const auto& [manager, paths] : by_manager) {
    out += (first ? "" : "\n") + std::string("conflicts with ") + manager + ":";
    first = false;
    for (const auto& path : paths) {
      out += "\n- " + path;
    }
  }
  return out;
}

json merge_apply(const json& live_in,
                 const json& config,
                 FieldOwnership& ownership,
                 const std::string& manager,
                 const std::string& subresource,
                 const std::string& api_version,
                 bool force,
                 const std::string& now,
                 std::vector<ApplyConflict>& conflicts) {
  const json live = live_in.is_object() ? live_in : json::object();
  const FieldSet applied = field_set(config);
  const ManagedFieldsEntry* own = find_entry(ownership, manager, "Apply", subresource);

  // Conflicts: a value the configuration changes, in a field another manager owns (the field itself, a leaf
  // it would turn into a map, or a field inside a map it would replace by a value).
  std::vector<std::pair<std::size_t, FieldPath>> taken; // entry index, field
  for (const auto& path : applied) {
    const json* wanted = find_path(config, path);
    const json* current = find_path(live, path);
    if (wanted->is_object() && (!wanted->empty() || (current != nullptr && current->is_object()))) {
      continue; // a map's own presence changes no value; its members might
    }
    if (current != nullptr && *current == *wanted) {
      continue;
    }
    for (std::size_t index = 0; index < ownership.entries.size(); ++index) {
      const auto& entry = ownership.entries[index];
      if (&entry == own) {
        continue;
      }
      for (const auto& owned : entry.fields) {
        bool hit = owned == path || (is_prefix(path, owned) && !wanted->is_object());
        if (!hit && owned.size() < path.size() && is_prefix(owned, path)) {
          const json* value = find_path(live, owned);
          hit = value != nullptr && !value->is_object();
        }
        if (hit) {
          taken.emplace_back(index, owned);
        }
      }
    }
  }
  std::sort(taken.begin(), taken.end());
  taken.erase(std::unique(taken.begin(), taken.end()), taken.end());
  if (!taken.empty() && !force) {
    for (const auto& [index, path] : taken) {
      conflicts.push_back({describe(ownership.entries[index]), path});
    }
    return live_in;
  }
  for (const auto& [index, path] : taken) {
    auto& fields = ownership.entries[index].fields;
    std::erase_if(fields, [&path = path](const FieldPath& owned) { return is_prefix(path, owned); });
  }

  json result = live;
  merge_into(result, config);

  // Fields this manager applied last time and no longer applies go, unless somebody else still owns them
  // (or something inside them).
  own = find_entry(ownership, manager, "Apply", subresource);
  if (own != nullptr) {
    std::vector<FieldPath> dropped;
    for (const auto& path : own->fields) {
      if (!applied.contains(path)) {
        dropped.push_back(path);
      }
    }
    std::sort(dropped.begin(), dropped.end(),
              [](const FieldPath& a, const FieldPath& b) { return a.size() > b.size(); });
    for (const auto& path : dropped) {
      const bool kept =
          std::any_of(ownership.entries.begin(), ownership.entries.end(), [&](const auto& entry) {
            return &entry != own &&
                   std::any_of(entry.fields.begin(), entry.fields.end(),
                               [&](const FieldPath& owned) { return is_prefix(path, owned); });
          });
      if (!kept) {
        erase_path(result, path);
      }
    }
  }

  auto* entry = find_entry(ownership, manager, "Apply", subresource);
  if (entry == nullptr) {
    ownership.entries.push_back({manager, "Apply", subresource, api_version, now, {}});
    entry = &ownership.entries.back();
  }
  if (entry->fields != applied || entry->api_version != api_version) {
    entry->fields = applied;
    entry->api_version = api_version;
    entry->time = now;
  }
  prune(ownership, result);
  return result;
}

void track_update(const json& before,
                  const json& after,
                  FieldOwnership& ownership,
                  const std::string& manager,
                  const std::string& subresource,
                  const std::string& api_version,
                  const std::string& now) {
  FieldSet changed;
  for (const auto& path : field_set(after)) {
    const json* old_value = find_path(before, path);
    const json* new_value = find_path(after, path);
    if (old_value == nullptr || old_value->is_object() != new_value->is_object() ||
        (!new_value->is_object() && *old_value != *new_value)) {
      changed.insert(path);
    }
  }
  if (!changed.empty()) {
    for (auto& entry : ownership.entries) {
      for (const auto& path : changed) {
        entry.fields.erase(path);
      }
    }
    auto* entry = find_entry(ownership, manager, "Update", subresource);
    if (entry == nullptr) {
      ownership.entries.push_back({manager, "Update", subresource, api_version, now, {}});
      entry = &ownership.entries.back();
    }
    entry->fields.insert(changed.begin(), changed.end());
    entry->api_version = api_version;
    entry->time = now;
  }
  prune(ownership, after);
}

} // namespace herd::test_apiserver
