#include "store.hpp"

#include "api_error.hpp"
#include "json_ops.hpp"

#include <herd/core/json_depth.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <ctime>
#include <random>
#include <ranges>
#include <set>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace herd::test_apiserver {

using nlohmann::json;

// ---------------------------------------------------------------------------------------------- helpers

std::string now_rfc3339() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::array<char, 32> buffer{};
  const auto length = std::strftime(buffer.data(), buffer.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return {buffer.data(), length};
}

namespace {

std::mt19937_64& random_engine() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

// A version 4 UUID, as the API server gives every object (metadata.uid).
std::string random_uid() {
  std::uniform_int_distribution<int> nibble(0, 15);
  static constexpr std::string_view hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) {
      out += '-';
    }
    int value = nibble(random_engine());
    if (i == 12) {
      value = 4;
    } else if (i == 16) {
      value = 8 + (value & 3);
    }
    out += hex[static_cast<std::size_t>(value)];
  }
  return out;
}

// names.SimpleNameGenerator: 5 characters from an alphabet without vowels and look-alikes.
std::string random_suffix() {
  static constexpr std::string_view alphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string out;
  for (int i = 0; i < 5; ++i) {
    out += alphabet[pick(random_engine())];
  }
  return out;
}

bool is_dns_label(std::string_view name, std::size_t max = 63) {
  if (name.empty() || name.size() > max) {
    return false;
  }
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '-'; });
}

bool is_dns_subdomain(std::string_view name) {
  if (name.empty() || name.size() > 253) {
    return false;
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    const auto dot = name.find('.', start);
    const auto label =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!is_dns_label(label, 253)) {
      return false;
    }
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  return true;
}

constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view data, bool url) {
  std::string out;
  std::size_t i = 0;
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(data[k]); };
  for (; i + 2 < data.size(); i += 3) {
    const unsigned value = (at(i) << 16U) | (at(i + 1) << 8U) | at(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) {
      out += kBase64[(value >> static_cast<unsigned>(shift)) & 63U];
    }
  }
  if (i < data.size()) {
    unsigned value = at(i) << 16U;
    if (i + 1 < data.size()) {
      value |= at(i + 1) << 8U;
    }
    out += kBase64[(value >> 18U) & 63U];
    out += kBase64[(value >> 12U) & 63U];
    out += i + 1 < data.size() ? kBase64[(value >> 6U) & 63U] : '=';
    out += '=';
  }
  if (url) {
    std::erase(out, '=');
    for (auto& c : out) {
      c = c == '+' ? '-' : (c == '/' ? '_' : c);
    }
  }
  return out;
}

std::optional<std::string> base64_url_decode(std::string_view text) {
  std::string out;
  unsigned value = 0;
  int bits = 0;
  for (char c : text) {
    c = c == '-' ? '+' : (c == '_' ? '/' : c);
    const auto position = kBase64.find(c);
    if (position == std::string_view::npos) {
      return std::nullopt;
    }
    value = (value << 6U) | static_cast<unsigned>(position);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> static_cast<unsigned>(bits)) & 0xFFU);
    }
  }
  return out;
}

std::optional<std::uint64_t> parse_rv(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

std::uint64_t require_rv(const std::string& text) {
  const auto value = parse_rv(text);
  if (!value) {
    throw bad_request("invalid resource version \"" + text + "\"");
  }
  return *value;
}

json& metadata_of(json& object) {
  auto& meta = object["metadata"];
  if (meta.is_null()) {
    meta = json::object();
  }
  if (!meta.is_object()) {
    throw bad_request("metadata must be an object");
  }
  return meta;
}

std::string string_field(const json& object, const char* key) {
  if (!object.is_object()) {
    return {};
  }
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string meta_string(const json& object, const char* key) {
  const auto it = object.find("metadata");
  return it == object.end() ? std::string() : string_field(*it, key);
}

std::vector<std::string> finalizers_of(const json& object) {
  std::vector<std::string> out;
  const auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) {
    return out;
  }
  const auto list = meta->find("finalizers");
  if (list != meta->end() && list->is_array()) {
    for (const auto& item : *list) {
      if (item.is_string()) {
        out.push_back(item.get<std::string>());
      }
    }
  }
  return out;
}

// metadata.labels, or null when there are none: what label selectors match.
const json& labels_of(const json& object) {
  static const json none;
  const auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) {
    return none;
  }
  const auto labels = meta->find("labels");
  return labels == meta->end() ? none : *labels;
}

bool being_deleted(const json& object) {
  return !meta_string(object, "deletionTimestamp").empty();
}

json without_metadata(const json& object) {
  json copy = object;
  copy.erase("metadata");
  return copy;
}

bool is_namespace_type(const ResourceType& type) {
  return type.group.empty() && type.plural == "namespaces";
}

bool is_secret_type(const ResourceType& type) {
  return type.group.empty() && type.plural == "secrets";
}

// Secrets: stringData is write-only and lands base64-encoded in data; type defaults to Opaque.
void normalize_secret(json& object) {
  if (object.contains("stringData") && object["stringData"].is_object()) {
    auto& data = object["data"];
    if (!data.is_object()) {
      data = json::object();
    }
    for (const auto& [key, value] : object["stringData"].items()) {
      if (value.is_string()) {
        data[key] = base64_encode(value.get<std::string>(), false);
      }
    }
    object.erase("stringData");
  }
  if (!object.contains("type")) {
    object["type"] = "Opaque";
  }
}

json success_status(const ResourceType& type, const std::string& name, const std::string& uid) {
  json details = status_details(type, name);
  details["uid"] = uid;
  return {{"kind", "Status"},
          {"apiVersion", "v1"},
          {"metadata", json::object()},
          {"status", "Success"},
          {"details", details}};
}

void check_kind(const ResourceType& type, const json& body) {
  if (!body.is_object()) {
    throw bad_request("the body of the request must be a JSON object");
  }
  const auto kind = string_field(body, "kind");
  const auto api_version = string_field(body, "apiVersion");
  if (kind.empty()) {
    throw bad_request("Object 'Kind' is missing in '" + body.dump().substr(0, 200) + "'");
  }
  if (api_version.empty()) {
    throw bad_request("Object 'apiVersion' is missing in '" + body.dump().substr(0, 200) + "'");
  }
  if (api_version != type.api_version()) {
    throw bad_request("the API version in the data (" + api_version +
                      ") does not match the expected API version (" + type.api_version() + ")");
  }
  if (kind != type.kind) {
    throw bad_request("the kind in the data (" + kind + ") does not match the expected kind (" + type.kind +
                      ")");
  }
}

StatusCause immutable(const std::string& field, const std::string& value) {
  return {"FieldValueInvalid", "Invalid value: \"" + value + "\": field is immutable", field};
}

// The handler refuses a body whose metadata.name is not the name on the URL.
void check_body_name(const json& meta, const std::string& name) {
  const auto body_name = string_field(meta, "name");
  if (body_name != name) {
    throw bad_request("the name of the object (" + body_name + ") does not match the name on the URL (" +
                      name + ")");
  }
}

// A namespaced body takes the request's namespace when it names none, and may not name another one; a
// cluster-scoped object has no namespace.
void adopt_request_namespace(const ResourceType& type, json& meta, const std::string& ns) {
  if (!type.namespaced) {
    meta.erase("namespace");
    return;
  }
  const auto body_ns = string_field(meta, "namespace");
  if (body_ns.empty()) {
    meta["namespace"] = ns;
  } else if (body_ns != ns) {
    throw bad_request(
        "the namespace of the provided object does not match the namespace sent on the request");
  }
}

// A write that names the resourceVersion or uid it expects fails when the stored object has another one.
void check_preconditions(const ResourceType& type,
                         const std::string& name,
                         const json& meta,
                         const json& current) {
  const auto expected_rv = string_field(meta, "resourceVersion");
  if (!expected_rv.empty() && expected_rv != meta_string(current, "resourceVersion")) {
    throw stale_resource_version(type, name);
  }
  const auto expected_uid = string_field(meta, "uid");
  if (!expected_uid.empty() && expected_uid != meta_string(current, "uid")) {
    throw invalid(type, name, {immutable("metadata.uid", expected_uid)});
  }
}

// A run of map entries for range-for. Not std::ranges::subrange: clang 14 cannot instantiate it over
// libstdc++ 12's map iterators.
template <typename Iterator> struct EntryRun {
  Iterator first;
  Iterator last;
  [[nodiscard]] Iterator begin() const { return first; }
  [[nodiscard]] Iterator end() const { return last; }
  [[nodiscard]] bool empty() const { return first == last; }
};

// The entries of `objects` whose key starts with `scope` ("namespace/"; "" for all): keys are sorted, so they
// are one contiguous run.
template <typename Objects> auto in_scope(Objects& objects, const std::string& scope) {
  const auto first = objects.lower_bound(scope);
  const auto last = std::find_if(first, objects.end(), [&scope](const auto& item) {
    return item.first.compare(0, scope.size(), scope) != 0;
  });
  return EntryRun<std::remove_const_t<decltype(first)>>{first, last};
}

void check_depth(const ResourceType& type, const std::string& name, const json& object) {
  if (core::json_depth(object) > kMaxDepth) {
    throw invalid(
        type, name,
        {{"FieldValueInvalid",
          "Invalid value: \"object\": nesting deeper than " + std::to_string(kMaxDepth) + " levels", ""}});
  }
}

constexpr auto kTooLargeWait = std::chrono::seconds(3); // the watch cache's blockTimeout

const std::array<const char*, 8> kServerMetadata = {"uid",
                                                    "resourceVersion",
                                                    "generation",
                                                    "creationTimestamp",
                                                    "deletionTimestamp",
                                                    "deletionGracePeriodSeconds",
                                                    "selfLink",
                                                    "managedFields"};

} // namespace

// ------------------------------------------------------------------------------------------------ Store

Store::Store(std::vector<ResourceType> types,
             std::size_t history_limit,
             bool require_namespaces,
             std::string seed_manager)
    : m_types(std::move(types)), m_history_limit(std::max<std::size_t>(history_limit, 1)),
      m_require_namespaces(require_namespaces), m_seed_manager(std::move(seed_manager)),
      m_objects(m_types.size()) {
  // A cluster starts with these namespaces (created by kube-apiserver itself).
  if (find("", "v1", "namespaces") != nullptr) {
    for (const char* name : {"default", "kube-node-lease", "kube-public", "kube-system"}) {
      json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
      seed(ns);
    }
    m_writes.clear();
  }
}

const ResourceType*
Store::find(std::string_view group, std::string_view version, std::string_view plural) const {
  for (const auto& type : m_types) {
    if (type.group == group && type.version == version && type.plural == plural) {
      return &type;
    }
  }
  return nullptr;
}

const ResourceType* Store::find_kind(std::string_view api_version, std::string_view kind) const {
  for (const auto& type : m_types) {
    if (type.api_version() == api_version && type.kind == kind) {
      return &type;
    }
  }
  return nullptr;
}

std::size_t Store::index_of(const ResourceType& type) const {
  for (std::size_t i = 0; i < m_types.size(); ++i) {
    if (&m_types[i] == &type || (m_types[i].group == type.group && m_types[i].version == type.version &&
                                 m_types[i].plural == type.plural)) {
      return i;
    }
  }
  throw std::invalid_argument("resource not served: " + type.group_resource());
}

std::string Store::key(const ResourceType& type, const std::string& ns, const std::string& name) {
  return type.namespaced ? ns + "/" + name : name;
}

Store::Entry* Store::find_entry(std::size_t type, const std::string& key) {
  const auto it = m_objects[type].find(key);
  return it == m_objects[type].end() ? nullptr : &it->second;
}

std::uint64_t Store::commit(std::size_t type,
                            const std::string& key,
                            std::optional<Entry> entry,
                            const std::string& verb,
                            const std::string& subresource,
                            const std::string& manager) {
  const std::uint64_t rv = ++m_rv;
  Event event;
  event.rv = rv;
  event.type = type;
  auto& objects = m_objects[type];
  const auto it = objects.find(key);
  if (entry) {
    entry->object["metadata"]["resourceVersion"] = std::to_string(rv);
    event.object = entry->object;
    if (it == objects.end()) {
      event.kind = "ADDED";
      objects.emplace(key, std::move(*entry));
    } else {
      event.kind = "MODIFIED";
      event.previous = std::move(it->second.object);
      it->second = std::move(*entry);
    }
  } else {
    event.kind = "DELETED";
    event.previous = std::move(it->second.object);
    event.object = event.previous;
    event.object["metadata"]["resourceVersion"] = std::to_string(rv);
    objects.erase(it);
  }
  WriteRecord record;
  record.resource_version = rv;
  record.verb = verb;
  record.event = event.kind;
  record.subresource = subresource;
  record.api_version = m_types[type].api_version();
  record.resource = m_types[type].plural;
  record.name_space = meta_string(event.object, "namespace");
  record.name = meta_string(event.object, "name");
  record.field_manager = manager;
  m_writes.push_back(std::move(record));
  m_history.push_back(std::move(event));
  while (m_history.size() > m_history_limit) {
    m_floor = m_history.front().rv;
    m_history.pop_front();
  }
  m_changed.notify_all();
  return rv;
}

// -------------------------------------------------------------------------------------------- get, list

Response Store::get(const ResourceType& type, const std::string& ns, const std::string& name) {
  const std::lock_guard lock(m_mutex);
  const auto* entry = find_entry(index_of(type), key(type, ns, name));
  if (entry == nullptr) {
    throw not_found(type, name);
  }
  return {200, entry->object};
}

std::uint64_t Store::wait_for_resource_version(std::unique_lock<std::mutex>& lock, std::uint64_t wanted) {
  if (m_rv >= wanted) {
    return m_rv;
  }
  m_changed.wait_for(lock, kTooLargeWait, [&] { return m_rv >= wanted; });
  if (m_rv < wanted) {
    // storage.NewTooLargeResourceVersionError, as the watch cache answers after waiting.
    throw ApiError(504, "Timeout",
                   "Too large resource version: " + std::to_string(wanted) +
                       ", current: " + std::to_string(m_rv),
                   json{{"causes", json::array({json{{"reason", "ResourceVersionTooLarge"},
                                                     {"message", "Too large resource version"}}})},
                        {"retryAfterSeconds", 1}});
  }
  return m_rv;
}

std::map<std::string, const json*> Store::state_at(std::size_t type, std::uint64_t rv) const {
  std::map<std::string, const json*> view;
  for (const auto& [name, entry] : m_objects[type]) {
    view.emplace(name, &entry.object);
  }
  // Undo, newest first, every change after `rv` (the history holds them all: rv >= m_floor).
  for (auto it = m_history.rbegin(); it != m_history.rend() && it->rv > rv; ++it) {
    if (it->type != type) {
      continue;
    }
    const auto& source = it->kind == "ADDED" ? it->object : it->previous;
    const auto k = key(m_types[type], meta_string(source, "namespace"), meta_string(source, "name"));
    if (it->kind == "ADDED") {
      view.erase(k);
    } else {
      view[k] = &it->previous;
    }
  }
  return view;
}

namespace {

std::string encode_continue(std::int64_t rv, const std::string& start) {
  const json token = {{"v", "meta.k8s.io/v1"}, {"rv", rv}, {"start", start}};
  return base64_encode(token.dump(), true);
}

std::string expired_continue_message() {
  return "The provided continue parameter is too old to display a consistent list result. You can start a "
         "new "
         "list without the continue parameter, or use the continue token in this response to retrieve the "
         "remainder of the results. Continuing with the provided token results in an inconsistent list - "
         "objects "
         "that were created, modified, or deleted between the time the first chunk was returned and now may "
         "show "
         "up in the list.";
}

// etcd3 handleCompactedErrorForPaging: 410 with a token that continues inconsistently (rv -1).
ApiError expired_continue(const std::string& start) {
  ApiError error = expired(expired_continue_message());
  error.set_metadata(json{{"continue", encode_continue(-1, start)}});
  return error;
}

ApiError list_options_invalid(const std::string& field, const std::string& message) {
  return invalid("meta.k8s.io", "ListOptions", "", {{"FieldValueForbidden", message, field}});
}

} // namespace

Response Store::list(const ResourceType& type, const std::string& ns, const ListOptions& options) {
  std::unique_lock lock(m_mutex);
  const auto index = index_of(type);
  const auto& match = options.resource_version_match;
  const bool rv_given = options.resource_version && !options.resource_version->empty();
  // k8s.io/apimachinery/pkg/apis/meta/internalversion/validation.ValidateListOptions
  if (!match.empty()) {
    if (match != "Exact" && match != "NotOlderThan") {
      throw invalid("meta.k8s.io", "ListOptions", "",
                    {{"FieldValueNotSupported",
                      "Unsupported value: \"" + match + R"(": supported values: "Exact", "NotOlderThan")",
                      "resourceVersionMatch"}});
    }
    if (!rv_given) {
      throw list_options_invalid(
          "resourceVersionMatch",
          "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided");
    }
    if (!options.continue_token.empty()) {
      throw list_options_invalid("resourceVersionMatch",
                                 "Forbidden: resourceVersionMatch is forbidden when continue is provided");
    }
    if (match == "Exact" && *options.resource_version == "0") {
      throw list_options_invalid(
          "resourceVersionMatch",
          R"(Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0")");
    }
  }

  std::uint64_t snapshot = m_rv;
  bool exact = false;
  std::string start;
  if (!options.continue_token.empty()) {
    if (rv_given && *options.resource_version != "0") {
      throw bad_request("specifying resource version is not allowed when using continue");
    }
    const auto decoded = base64_url_decode(options.continue_token);
    const json token = decoded ? json::parse(*decoded, nullptr, false) : json();
    if (!token.is_object() || !token.contains("rv") || !token["rv"].is_number_integer() ||
        !token.contains("start") || !token["start"].is_string()) {
      throw bad_request("invalid continue token");
    }
    const auto token_rv = token["rv"].get<std::int64_t>();
    start = token["start"].get<std::string>();
    if (token_rv < -1 || (token_rv >= 0 && static_cast<std::uint64_t>(token_rv) > m_rv)) {
      throw bad_request("invalid continue token");
    }
    if (token_rv >= 0) {
      if (static_cast<std::uint64_t>(token_rv) < m_floor) {
        throw expired_continue(start);
      }
      exact = true;
      snapshot = static_cast<std::uint64_t>(token_rv);
    }
  } else if (rv_given && *options.resource_version != "0") {
    const auto wanted = require_rv(*options.resource_version);
    if (match == "Exact" || (match.empty() && options.limit > 0)) {
      wait_for_resource_version(lock, wanted);
      if (wanted < m_floor) {
        throw expired("too old resource version: " + std::to_string(wanted) + " (" + std::to_string(m_floor) +
                      ")");
      }
      exact = true;
      snapshot = wanted;
    } else {
      snapshot = wait_for_resource_version(lock, wanted);
    }
  }

  std::map<std::string, const json*> view;
  if (exact && snapshot != m_rv) {
    view = state_at(index, snapshot);
  } else {
    snapshot = exact ? snapshot : m_rv;
    for (const auto& [name, entry] : m_objects[index]) {
      view.emplace(name, &entry.object);
    }
  }

  const std::string scope = type.namespaced && !ns.empty() ? ns + "/" : std::string();
  auto it = view.lower_bound(std::max(start, scope));
  // Serialized as it goes: a list of thousands of objects is not copied first.
  const auto dump = [](const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
  };
  std::string items = "[";
  std::size_t count = 0;
  std::string last_key;
  bool more = false;
  std::size_t remaining = 0;
  for (; it != view.end(); ++it) {
    if (!scope.empty() && it->first.compare(0, scope.size(), scope) != 0) {
      break;
    }
    if (options.limit > 0 && count >= options.limit) {
      more = true;
      ++remaining;
      continue;
    }
    const json& object = *it->second;
    if (!options.labels.matches(labels_of(object)) || !options.fields.matches(object)) {
      continue;
    }
    items += count++ == 0 ? "" : ",";
    if (type.custom_resource) {
      items += dump(object);
    } else {
      // Built-in lists leave out each item's apiVersion and kind (typed Go structs); custom ones keep them.
      json item = object;
      item.erase("apiVersion");
      item.erase("kind");
      items += dump(item);
    }
    last_key = it->first;
  }
  items += "]";
  json list_meta = {{"resourceVersion", std::to_string(snapshot)}};
  if (more) {
    // The next page reads the same snapshot; after an expired token (-1) it stays "inconsistent".
    const auto next_rv = exact || options.continue_token.empty() ? static_cast<std::int64_t>(snapshot) : -1;
    list_meta["continue"] = encode_continue(next_rv, last_key + std::string(1, '\0'));
    if (options.labels.empty() && options.fields.empty()) {
      list_meta["remainingItemCount"] = remaining;
    }
  }
  Response response;
  response.text = "{\"apiVersion\":" + dump(type.api_version()) + ",\"items\":" + items +
                  ",\"kind\":" + dump(type.list_kind) + ",\"metadata\":" + dump(list_meta) + "}";
  return response;
}

// ----------------------------------------------------------------------------------------------- create

void Store::check_namespace_for_create(const std::string& ns) const {
  if (!m_require_namespaces) {
    return;
  }
  const auto* namespaces = find("", "v1", "namespaces");
  if (namespaces == nullptr) {
    return;
  }
  const auto& objects = m_objects[index_of(*namespaces)];
  const auto it = objects.find(ns);
  if (it == objects.end()) {
    throw namespace_not_found(ns);
  }
  if (being_deleted(it->second.object)) {
    // the NamespaceLifecycle admission plugin
    const std::string message =
        "unable to create new content in namespace " + ns + " because it is being terminated";
    throw ApiError(403, "Forbidden", message,
                   json{{"name", ns},
                        {"kind", "namespaces"},
                        {"causes", json::array({json{{"reason", "NamespaceTerminating"},
                                                     {"message", message},
                                                     {"field", "metadata.namespace"}}})}});
  }
}

json Store::create_locked(std::size_t index,
                          const std::string& ns,
                          json object,
                          FieldOwnership ownership,
                          bool track_fields,
                          const std::string& verb,
                          const WriteOptions& options,
                          bool& created) {
  const auto& type = m_types[index];
  auto& meta = metadata_of(object);
  adopt_request_namespace(type, meta, ns);
  if (meta.contains("name") && !meta["name"].is_string()) {
    throw bad_request("metadata.name must be a string");
  }
  std::string name = string_field(meta, "name");
  if (name.empty()) {
    const auto prefix = string_field(meta, "generateName");
    if (prefix.empty()) {
      throw invalid(
          type, "",
          {{"FieldValueRequired", "Required value: name or generateName is required", "metadata.name"}});
    }
    for (int attempt = 0; attempt < 8; ++attempt) {
      name = prefix + random_suffix();
      if (find_entry(index, key(type, ns, name)) == nullptr) {
        break;
      }
    }
    meta["name"] = name;
  }
  const bool valid_name = is_namespace_type(type) ? is_dns_label(name) : is_dns_subdomain(name);
  if (!valid_name) {
    const std::string kind_of_name = is_namespace_type(type) ? "RFC 1123 label" : "RFC 1123 subdomain";
    throw invalid(type, name,
                  {{"FieldValueInvalid",
                    "Invalid value: \"" + name + "\": a lowercase " + kind_of_name +
                        " must consist of lower case alphanumeric characters, '-'" +
                        (is_namespace_type(type) ? "" : " or '.'") +
                        ", and must start and end with an alphanumeric character",
                    "metadata.name"}});
  }
  if (type.namespaced) {
    check_namespace_for_create(ns);
  }
  if (verb == "create" && !string_field(meta, "resourceVersion").empty()) {
    // etcd3 store.Create refuses it; the handler answers a 500.
    throw internal_error("resourceVersion should not be set on objects to be created");
  }
  const auto k = key(type, ns, name);
  if (find_entry(index, k) != nullptr) {
    throw already_exists(type, name);
  }
  for (const char* field : kServerMetadata) {
    meta.erase(field);
  }
  const auto now = now_rfc3339();
  meta["uid"] = random_uid();
  meta["creationTimestamp"] = now;
  if (type.custom_resource) {
    meta["generation"] = 1;
    if (type.status_subresource) {
      object.erase("status"); // customResourceStrategy.PrepareForCreate
    }
  }
  if (is_namespace_type(type)) {
    object["status"] = {{"phase", "Active"}};
  }
  if (is_secret_type(type)) {
    normalize_secret(object);
  }
  check_depth(type, name, object);
  if (track_fields) {
    json before;
    json after = object;
    metadata_of(after).erase("managedFields");
    track_update(before, after, ownership, options.field_manager, "", type.api_version(), now);
  }
  if (ownership.entries.empty()) {
    meta.erase("managedFields");
  } else {
    meta["managedFields"] = ownership.to_json();
  }
  created = true;
  if (options.dry_run) {
    return object; // no resourceVersion: never stored
  }
  commit(index, k, Entry{std::move(object), std::move(ownership)}, verb, "", options.field_manager);
  return m_objects[index].at(k).object;
}

Response
Store::create(const ResourceType& type, const std::string& ns, json body, const WriteOptions& options) {
  const std::lock_guard lock(m_mutex);
  check_kind(type, body);
  bool created = false;
  auto object = create_locked(index_of(type), ns, std::move(body), {}, true, "create", options, created);
  return {201, std::move(object)};
}

// ----------------------------------------------------------------------------------------------- update

json Store::prepare_update(const ResourceType& type, const json& current, json incoming, bool status) const {
  if (status) {
    // statusStrategy.PrepareForUpdate: everything but status comes from the stored object.
    json result = current;
    if (incoming.contains("status")) {
      result["status"] = incoming["status"];
    } else {
      result.erase("status");
    }
    return result;
  }
  json result = std::move(incoming);
  auto& meta = metadata_of(result);
  const auto& old_meta = current["metadata"];
  for (const char* field : {"uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
                            "deletionGracePeriodSeconds", "name", "namespace"}) {
    if (old_meta.contains(field)) {
      meta[field] = old_meta[field];
    } else {
      meta.erase(field);
    }
  }
  meta.erase("managedFields");
  meta.erase("selfLink");
  if (type.status_subresource) {
    // The main resource ignores status changes when the status subresource exists.
    if (current.contains("status")) {
      result["status"] = current["status"];
    } else {
      result.erase("status");
    }
  }
  if (type.custom_resource) {
    // customResourceStrategy.PrepareForUpdate: any change outside metadata bumps the generation.
    if (without_metadata(result) != without_metadata(current)) {
      meta["generation"] = old_meta.value("generation", 0) + 1;
    }
  }
  if (is_secret_type(type)) {
    normalize_secret(result);
  }
  return result;
}

Response Store::finish_update(std::size_t index,
                              const std::string& key,
                              json updated,
                              FieldOwnership ownership,
                              bool track_fields,
                              const std::string& verb,
                              bool status,
                              const WriteOptions& options) {
  const auto& type = m_types[index];
  const json& old = m_objects[index].at(key).object;
  const auto name = meta_string(old, "name");
  if (being_deleted(old)) {
    const auto before = finalizers_of(old);
    for (const auto& finalizer : finalizers_of(updated)) {
      if (std::find(before.begin(), before.end(), finalizer) == before.end()) {
        throw invalid(type, name,
                      {{"FieldValueForbidden",
                        "Forbidden: no new finalizers can be added if the object is being deleted",
                        "metadata.finalizers"}});
      }
    }
  }
  check_depth(type, name, updated);
  const std::string subresource = status ? "status" : "";
  const auto now = now_rfc3339();
  if (track_fields) {
    json before = old;
    metadata_of(before).erase("managedFields");
    json after = updated;
    metadata_of(after).erase("managedFields");
    track_update(before, after, ownership, options.field_manager, subresource, type.api_version(), now);
  }
  auto& meta = metadata_of(updated);
  if (ownership.entries.empty()) {
    meta.erase("managedFields");
  } else {
    meta["managedFields"] = ownership.to_json();
  }
  if (updated == old) {
    return {200, old}; // etcd3 GuaranteedUpdate skips writes that change nothing: no new resourceVersion
  }
  if (options.dry_run) {
    return {200, updated};
  }
  if (being_deleted(old) && finalizers_of(updated).empty()) {
    if (is_namespace_type(type)) {
      commit(index, key, Entry{std::move(updated), std::move(ownership)}, verb, subresource,
             options.field_manager);
      json out = m_objects[index].at(key).object;
      finish_namespace_deletions(verb);
      return {200, out};
    }
    // The last finalizer is gone: the store deletes the object instead of writing it.
    json deleted = old;
    const auto uid = meta_string(old, "uid");
    const auto rv = commit(index, key, std::nullopt, verb, subresource, options.field_manager);
    deleted["metadata"]["resourceVersion"] = std::to_string(rv);
    finish_namespace_deletions(verb);
    return {200, type.return_deleted_object ? deleted : success_status(type, name, uid)};
  }
  commit(index, key, Entry{std::move(updated), std::move(ownership)}, verb, subresource,
         options.field_manager);
  return {200, m_objects[index].at(key).object};
}

Response Store::update(const ResourceType& type,
                       const std::string& ns,
                       const std::string& name,
                       json body,
                       bool status,
                       const WriteOptions& options) {
  const std::lock_guard lock(m_mutex);
  const auto index = index_of(type);
  check_kind(type, body);
  auto& meta = metadata_of(body);
  check_body_name(meta, name);
  // (A cluster-scoped body's namespace goes too: the update keeps the stored one, the create has none.)
  adopt_request_namespace(type, meta, ns);
  const auto k = key(type, ns, name);
  auto* entry = find_entry(index, k);
  if (entry == nullptr) {
    if (!status && type.allow_create_on_update) {
      meta.erase("resourceVersion");
      bool created = false;
      auto object = create_locked(index, ns, std::move(body), {}, true, "update", options, created);
      return {201, std::move(object)};
    }
    throw not_found(type, name);
  }
  const json& current = entry->object;
  if (string_field(meta, "resourceVersion").empty() && !type.allow_unconditional_update) {
    throw invalid(type, name,
                  {{"FieldValueInvalid", "Invalid value: 0x0: must be specified for an update",
                    "metadata.resourceVersion"}});
  }
  check_preconditions(type, name, meta, current);
  auto updated = prepare_update(type, current, std::move(body), status);
  return finish_update(index, k, std::move(updated), entry->ownership, true, "update", status, options);
}

// ------------------------------------------------------------------------------------------------ patch

Response Store::patch(const ResourceType& type,
                      const std::string& ns,
                      const std::string& name,
                      PatchType patch_type,
                      const json& patch,
                      bool status,
                      const WriteOptions& options) {
  const std::lock_guard lock(m_mutex);
  const auto index = index_of(type);
  const auto k = key(type, ns, name);
  auto* entry = find_entry(index, k);
  const std::string subresource = status ? "status" : "";

  if (patch_type == PatchType::apply) {
    json config = patch;
    check_kind(type, config);
    auto& meta = metadata_of(config);
    if (meta.contains("managedFields") && !meta["managedFields"].is_null()) {
      throw bad_request("metadata.managedFields must be nil");
    }
    if (string_field(meta, "name").empty()) {
      meta["name"] = name; // an apply configuration may leave the name to the URL
    }
    check_body_name(meta, name);
    adopt_request_namespace(type, meta, ns);
    const auto precondition = string_field(meta, "resourceVersion");
    for (const char* field : kServerMetadata) {
      meta.erase(field);
    }
    if (type.status_subresource) {
      // The reset fields: the main resource's apply ignores status, the status apply ignores everything else.
      if (status) {
        json only_status = {
            {"apiVersion", config["apiVersion"]}, {"kind", config["kind"]}, {"metadata", json::object()}};
        only_status["metadata"]["name"] = meta["name"];
        if (meta.contains("namespace")) {
          only_status["metadata"]["namespace"] = meta["namespace"];
        }
        if (config.contains("status")) {
          only_status["status"] = config["status"];
        }
        config = std::move(only_status);
      } else {
        config.erase("status");
      }
    }
    std::vector<ApplyConflict> conflicts;
    const auto now = now_rfc3339();
    if (entry == nullptr) {
      if (status) {
        throw not_found(type, name);
      }
      FieldOwnership ownership;
      auto merged = merge_apply(nullptr, config, ownership, options.field_manager, subresource,
                                type.api_version(), options.force, now, conflicts);
      bool created = false;
      auto object =
          create_locked(index, ns, std::move(merged), std::move(ownership), false, "apply", options, created);
      return {201, std::move(object)};
    }
    const json& current = entry->object;
    if (!precondition.empty() && precondition != meta_string(current, "resourceVersion")) {
      throw stale_resource_version(type, name);
    }
    FieldOwnership ownership = entry->ownership;
    json live = current;
    metadata_of(live).erase("managedFields");
    auto merged = merge_apply(live, config, ownership, options.field_manager, subresource, type.api_version(),
                              options.force, now, conflicts);
    if (!conflicts.empty()) {
      json causes = json::array();
      for (const auto& conflict : conflicts) {
        causes.push_back({{"reason", "FieldManagerConflict"},
                          {"message", "conflict with " + conflict.manager_description},
                          {"field", path_string(conflict.path)}});
      }
      throw ApiError(409, "Conflict", conflict_message(conflicts), json{{"causes", causes}});
    }
    auto updated = prepare_update(type, current, std::move(merged), status);
    return finish_update(index, k, std::move(updated), std::move(ownership), false, "apply", status, options);
  }

  if (patch_type == PatchType::strategic && type.custom_resource) {
    throw unsupported_media_type(
        "application/strategic-merge-patch+json",
        {"application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"});
  }
  if (entry == nullptr) {
    throw not_found(type, name);
  }
  const json& current = entry->object;
  json patched = patch_type == PatchType::json_patch ? apply_json_patch(current, patch)
                                                     : apply_merge_patch(current, patch);
  if (!patched.is_object() || !patched.contains("metadata") || !patched["metadata"].is_object()) {
    throw invalid(type, name,
                  {{"FieldValueInvalid", "Invalid value: the patched object is not an object", ""}});
  }
  check_depth(type, name, patched);
  const auto& meta = patched["metadata"];
  if (string_field(meta, "name") != name) {
    throw invalid(type, name, {immutable("metadata.name", string_field(meta, "name"))});
  }
  if (type.namespaced && string_field(meta, "namespace") != ns) {
    throw invalid(type, name, {immutable("metadata.namespace", string_field(meta, "namespace"))});
  }
  if (string_field(patched, "apiVersion") != type.api_version() ||
      string_field(patched, "kind") != type.kind) {
    throw bad_request("a patch may not change apiVersion or kind");
  }
  check_preconditions(type, name, meta, current);
  auto updated = prepare_update(type, current, std::move(patched), status);
  return finish_update(index, k, std::move(updated), entry->ownership, true, "patch", status, options);
}

// ----------------------------------------------------------------------------------------------- delete

void Store::finish_namespace_deletions(const std::string& verb) {
  const auto* namespaces = find("", "v1", "namespaces");
  if (namespaces == nullptr) {
    return;
  }
  const auto ns_index = index_of(*namespaces);
  std::vector<std::string> done;
  for (const auto& [name, entry] : m_objects[ns_index]) {
    if (!being_deleted(entry.object) || !finalizers_of(entry.object).empty()) {
      continue;
    }
    const std::string prefix = name + "/";
    bool empty = true;
    for (std::size_t i = 0; i < m_types.size() && empty; ++i) {
      empty = !m_types[i].namespaced || in_scope(m_objects[i], prefix).empty();
    }
    if (empty) {
      done.push_back(name);
    }
  }
  for (const auto& name : done) {
    commit(ns_index, name, std::nullopt, verb, "", "");
  }
}

Response Store::delete_locked(std::size_t index,
                              const std::string& key,
                              const DeleteOptions& options,
                              const std::string& verb) {
  const auto& type = m_types[index];
  auto* entry = find_entry(index, key);
  const auto name = type.namespaced ? key.substr(key.find('/') + 1) : key;
  if (entry == nullptr) {
    throw not_found(type, name);
  }
  const json& object = entry->object;
  const auto uid = meta_string(object, "uid");
  const auto rv = meta_string(object, "resourceVersion");
  if (options.uid && *options.uid != uid) {
    throw conflict(type, name,
                   "Precondition failed: UID in precondition: " + *options.uid +
                       ", UID in object meta: " + uid);
  }
  if (options.resource_version && *options.resource_version != rv) {
    throw conflict(type, name,
                   "Precondition failed: ResourceVersion in precondition: " + *options.resource_version +
                       ", ResourceVersion in object meta: " + rv);
  }
  const bool namespace_type = is_namespace_type(type);
  if (namespace_type || !finalizers_of(object).empty()) {
    if (being_deleted(object)) {
      return {200, object}; // already being deleted: nothing changes
    }
    json updated = object;
    updated["metadata"]["deletionTimestamp"] = now_rfc3339();
    updated["metadata"]["deletionGracePeriodSeconds"] = 0;
    if (namespace_type) {
      updated["status"]["phase"] = "Terminating";
    }
    if (options.dry_run) {
      return {200, updated};
    }
    commit(index, key, Entry{std::move(updated), entry->ownership}, verb, "", "");
    json out = m_objects[index].at(key).object;
    if (namespace_type) {
      // The namespace controller deletes everything inside, then the namespace goes (once its finalizers are
      // gone and nothing is left inside).
      const std::string prefix = name + "/";
      for (std::size_t i = 0; i < m_types.size(); ++i) {
        if (!m_types[i].namespaced) {
          continue;
        }
        std::vector<std::string> keys;
        for (const auto& [key_inside, entry_inside] : in_scope(m_objects[i], prefix)) {
          keys.push_back(key_inside);
        }
        for (const auto& key_inside : keys) {
          delete_locked(i, key_inside, {}, verb);
        }
      }
      finish_namespace_deletions(verb);
    }
    return {200, out};
  }
  if (options.dry_run) {
    return {200, type.return_deleted_object ? object : success_status(type, name, uid)};
  }
  json deleted = object;
  const auto new_rv = commit(index, key, std::nullopt, verb, "", "");
  deleted["metadata"]["resourceVersion"] = std::to_string(new_rv);
  finish_namespace_deletions(verb);
  return {200, type.return_deleted_object ? deleted : success_status(type, name, uid)};
}

Response Store::remove(const ResourceType& type,
                       const std::string& ns,
                       const std::string& name,
                       const DeleteOptions& options) {
  const std::lock_guard lock(m_mutex);
  return delete_locked(index_of(type), key(type, ns, name), options, "delete");
}

Response Store::remove_collection(const ResourceType& type,
                                  const std::string& ns,
                                  const ListOptions& list_options,
                                  const DeleteOptions& options) {
  const std::lock_guard lock(m_mutex);
  const auto index = index_of(type);
  const std::string scope = type.namespaced && !ns.empty() ? ns + "/" : std::string();
  std::vector<std::string> keys;
  for (const auto& [k, entry] : in_scope(m_objects[index], scope)) {
    if (list_options.labels.matches(labels_of(entry.object)) && list_options.fields.matches(entry.object)) {
      keys.push_back(k);
    }
  }
  json items = json::array();
  for (const auto& k : keys) {
    if (find_entry(index, k) == nullptr) {
      continue;
    }
    auto response = delete_locked(index, k, options, "deletecollection");
    if (response.body.value("kind", "") != "Status") {
      items.push_back(std::move(response.body));
    }
  }
  return {200,
          {{"apiVersion", type.api_version()},
           {"kind", type.list_kind},
           {"metadata", {{"resourceVersion", std::to_string(m_rv)}}},
           {"items", items}}};
}

// ------------------------------------------------------------------------------------------------ watch

bool Store::watch_matches(const Watch& watch, const json& object) const {
  if (!watch.m_namespace.empty() && meta_string(object, "namespace") != watch.m_namespace) {
    return false;
  }
  return watch.m_labels.matches(labels_of(object)) && watch.m_fields.matches(object);
}

namespace {

std::string event_line(const char* type, const json& object) {
  // {"object":...,"type":...}: the object is serialized in place, not copied into an event first.
  return R"({"object":)" + object.dump(-1, ' ', false, json::error_handler_t::replace) + R"(,"type":")" +
         type + "\"}\n";
}

std::string too_old_line(std::uint64_t wanted, std::uint64_t floor) {
  // The watch cache answers an expired resourceVersion with an ERROR event (HTTP 200 already sent).
  const ApiError error =
      expired("too old resource version: " + std::to_string(wanted) + " (" + std::to_string(floor) + ")");
  return event_line("ERROR", error.status());
}

} // namespace

void Store::append_event_line(const Watch& watch, const Event& event, std::vector<std::string>& lines) const {
  // cacheWatcher.convertToWatchEvent: a change that moves an object into or out of the watch's selection is
  // an ADDED or a DELETED for this watcher.
  const bool now_matches = event.kind != "DELETED" && watch_matches(watch, event.object);
  const bool matched_before = !event.previous.is_null() && watch_matches(watch, event.previous);
  if (now_matches && !matched_before) {
    lines.push_back(event_line("ADDED", event.object));
  } else if (now_matches && matched_before) {
    lines.push_back(event_line("MODIFIED", event.object));
  } else if (!now_matches && matched_before) {
    if (event.kind == "DELETED") {
      lines.push_back(event_line("DELETED", event.object));
    } else {
      json previous = event.previous;
      previous["metadata"]["resourceVersion"] = std::to_string(event.rv);
      lines.push_back(event_line("DELETED", previous));
    }
  }
}

std::shared_ptr<Watch> Store::watch(const ResourceType& type,
                                    const std::string& ns,
                                    const WatchOptions& options,
                                    std::vector<std::string>& lines) {
  const std::lock_guard lock(m_mutex);
  auto watch = std::make_shared<Watch>();
  watch->m_type = index_of(type);
  watch->m_namespace = type.namespaced ? ns : std::string();
  watch->m_labels = options.labels;
  watch->m_fields = options.fields;
  watch->m_bookmarks = options.bookmarks;
  watch->m_generation = m_drop_generation;
  const auto& match = options.resource_version_match;
  if (options.send_initial_events_set && options.send_initial_events &&
      (match != "NotOlderThan" || !options.bookmarks)) {
    throw list_options_invalid(
        "sendInitialEvents",
        "Forbidden: sendInitialEvents is forbidden for watch unless resourceVersionMatch is "
        "NotOlderThan and allowWatchBookmarks is true");
  }
  if (!match.empty() && !options.send_initial_events_set) {
    throw list_options_invalid(
        "resourceVersionMatch",
        "Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is "
        "provided");
  }
  const bool rv_given =
      options.resource_version && !options.resource_version->empty() && *options.resource_version != "0";
  const bool initial = options.send_initial_events_set ? options.send_initial_events : !rv_given;
  if (rv_given) {
    const auto wanted = require_rv(*options.resource_version);
    if (wanted < m_floor) {
      lines.push_back(too_old_line(wanted, m_floor));
      watch->m_state = Watch::State::finished;
      return watch;
    }
    watch->m_position = wanted;
  }
  if (initial) {
    // "Get State and Start at Most Recent": synthetic ADDED events for what exists, then the changes.
    const std::string scope = watch->m_namespace.empty() ? std::string() : watch->m_namespace + "/";
    for (const auto& [k, entry] : in_scope(m_objects[watch->m_type], scope)) {
      if (watch_matches(*watch, entry.object)) {
        lines.push_back(event_line("ADDED", entry.object));
      }
    }
    watch->m_position = m_rv;
    if (options.send_initial_events_set && options.send_initial_events) {
      json object = {{"kind", type.kind},
                     {"apiVersion", type.api_version()},
                     {"metadata",
                      {{"resourceVersion", std::to_string(m_rv)},
                       {"annotations", {{"k8s.io/initial-events-end", "true"}}}}}};
      lines.push_back(event_line("BOOKMARK", object));
    }
  }
  ++m_open_watches;
  watch->m_counted = true;
  return watch;
}

void Store::poll(Watch& watch, std::chrono::milliseconds wait, std::vector<std::string>& lines) {
  std::unique_lock lock(m_mutex);
  if (watch.m_state != Watch::State::open) {
    return;
  }
  m_changed.wait_for(lock, wait,
                     [&] { return m_rv > watch.m_position || m_drop_generation != watch.m_generation; });
  if (m_drop_generation != watch.m_generation) {
    watch.m_state = Watch::State::dropped;
    return;
  }
  if (watch.m_position < m_floor) {
    // The history moved past this watcher before it read: it cannot continue.
    lines.push_back(too_old_line(watch.m_position, m_floor));
    watch.m_state = Watch::State::finished;
    return;
  }
  auto it = std::upper_bound(m_history.begin(), m_history.end(), watch.m_position,
                             [](std::uint64_t rv, const Event& event) { return rv < event.rv; });
  for (; it != m_history.end(); ++it) {
    if (it->type == watch.m_type) {
      append_event_line(watch, *it, lines);
    }
  }
  watch.m_position = std::max(watch.m_position, m_rv);
}

std::string Store::bookmark(const Watch& watch) const {
  const auto& type = m_types[watch.m_type];
  const json object = {{"kind", type.kind},
                       {"apiVersion", type.api_version()},
                       {"metadata", {{"resourceVersion", std::to_string(watch.m_position)}}}};
  return event_line("BOOKMARK", object);
}

void Store::drop_watches() {
  {
    const std::lock_guard lock(m_mutex);
    ++m_drop_generation;
  }
  m_changed.notify_all();
}

void Store::close_watch(Watch& watch) {
  const std::lock_guard lock(m_mutex);
  if (watch.m_counted) {
    --m_open_watches;
    watch.m_counted = false;
  }
  watch.m_state = Watch::State::finished;
}

std::size_t Store::open_watches() const {
  const std::lock_guard lock(m_mutex);
  return m_open_watches;
}

// --------------------------------------------------------------------------------------------- C++ API

std::uint64_t Store::resource_version() const {
  const std::lock_guard lock(m_mutex);
  return m_rv;
}

std::optional<json>
Store::peek(const ResourceType& type, const std::string& ns, const std::string& name) const {
  const std::lock_guard lock(m_mutex);
  const auto& objects = m_objects[index_of(type)];
  const auto it = objects.find(key(type, ns, name));
  if (it == objects.end()) {
    return std::nullopt;
  }
  return it->second.object;
}

std::vector<json> Store::peek_all(const ResourceType& type, const std::string& ns) const {
  const std::lock_guard lock(m_mutex);
  std::vector<json> out;
  const std::string scope = type.namespaced && !ns.empty() ? ns + "/" : std::string();
  for (const auto& [k, entry] : in_scope(m_objects[index_of(type)], scope)) {
    out.push_back(entry.object);
  }
  return out;
}

json Store::seed(json object) {
  const std::lock_guard lock(m_mutex);
  const auto* type = find_kind(string_field(object, "apiVersion"), string_field(object, "kind"));
  if (type == nullptr) {
    throw std::invalid_argument("no served resource has apiVersion " + string_field(object, "apiVersion") +
                                " and kind " + string_field(object, "kind"));
  }
  const auto index = index_of(*type);
  auto& meta = metadata_of(object);
  const auto name = string_field(meta, "name");
  if (name.empty()) {
    throw std::invalid_argument("metadata.name is required");
  }
  std::string ns;
  if (type->namespaced) {
    ns = string_field(meta, "namespace");
    if (ns.empty()) {
      ns = "default";
      meta["namespace"] = ns;
    }
  } else {
    meta.erase("namespace");
  }
  const auto k = key(*type, ns, name);
  const auto now = now_rfc3339();
  auto* entry = find_entry(index, k);
  FieldOwnership ownership = entry != nullptr ? entry->ownership : FieldOwnership{};
  json before;
  if (entry != nullptr) {
    const auto& old_meta = entry->object["metadata"];
    for (const char* field : {"uid", "creationTimestamp"}) {
      if (!meta.contains(field) && old_meta.contains(field)) {
        meta[field] = old_meta[field];
      }
    }
    if (type->custom_resource && !meta.contains("generation")) {
      const auto old_generation = old_meta.value("generation", 1);
      meta["generation"] =
          without_metadata(object) != without_metadata(entry->object) ? old_generation + 1 : old_generation;
    }
    before = entry->object;
    metadata_of(before).erase("managedFields");
  } else {
    if (!meta.contains("uid")) {
      meta["uid"] = random_uid();
    }
    if (!meta.contains("creationTimestamp")) {
      meta["creationTimestamp"] = now;
    }
    if (type->custom_resource && !meta.contains("generation")) {
      meta["generation"] = 1;
    }
    if (is_namespace_type(*type) && !object.contains("status")) {
      object["status"] = {{"phase", "Active"}};
    }
  }
  meta.erase("resourceVersion");
  meta.erase("managedFields");
  track_update(before, object, ownership, m_seed_manager, "", type->api_version(), now);
  if (!ownership.entries.empty()) {
    meta["managedFields"] = ownership.to_json();
  }
  commit(index, k, Entry{std::move(object), std::move(ownership)}, "seed", "", m_seed_manager);
  return m_objects[index].at(k).object;
}

bool Store::unseed(const ResourceType& type, const std::string& ns, const std::string& name) {
  const std::lock_guard lock(m_mutex);
  const auto index = index_of(type);
  const auto k = key(type, ns, name);
  if (find_entry(index, k) == nullptr) {
    return false;
  }
  commit(index, k, std::nullopt, "unseed", "", "");
  return true;
}

void Store::compact() {
  const std::lock_guard lock(m_mutex);
  m_history.clear();
  m_floor = m_rv;
}

std::vector<WriteRecord> Store::writes() const {
  const std::lock_guard lock(m_mutex);
  return m_writes;
}

void Store::clear_writes() {
  const std::lock_guard lock(m_mutex);
  m_writes.clear();
}

} // namespace herd::test_apiserver
