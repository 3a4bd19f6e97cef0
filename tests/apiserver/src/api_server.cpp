#include "api_error.hpp"
#include "json_ops.hpp"
#include "store.hpp"
#include "table.hpp"

#include <herd/test_apiserver/api_server.hpp>

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <stdexcept>
#include <string_view>
#include <sys/socket.h>
#include <thread>
#include <utility>

namespace herd::test_apiserver {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// The items of the /_test/requests and /_test/writes answers (other processes read the logs through them).
// Found by nlohmann::json through argument-dependent lookup, hence outside the unnamed namespace.
void to_json(json& out, const RequestRecord& record) {
  out = {{"method", record.method},
         {"path", record.path},
         {"query", record.query},
         {"contentType", record.content_type},
         {"fieldManager", record.field_manager},
         {"status", record.status},
         {"watch", record.watch}};
}

void to_json(json& out, const WriteRecord& write) {
  out = {{"resourceVersion", std::to_string(write.resource_version)},
         {"verb", write.verb},
         {"event", write.event},
         {"subresource", write.subresource},
         {"apiVersion", write.api_version},
         {"resource", write.resource},
         {"namespace", write.name_space},
         {"name", write.name},
         {"fieldManager", write.field_manager}};
}

namespace {

constexpr auto kPollSlice = std::chrono::milliseconds(200); // how often an idle watch checks its client

struct ActiveFault {
  int id = 0;
  FaultRule rule;
  std::regex target;
  long matched = 0;
  long affected = 0;
};

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    if (end > start) {
      out.emplace_back(path.substr(start, end - start));
    }
    start = end + 1;
  }
  return out;
}

std::optional<std::string> param(const httplib::Request& request, const char* name) {
  if (!request.has_param(name)) {
    return std::nullopt;
  }
  return request.get_param_value(name);
}

// strconv.ParseBool, which the API server's query parameter conversion uses.
bool bool_param(const httplib::Request& request, const char* name) {
  const auto value = param(request, name);
  if (!value) {
    return false;
  }
  static const std::set<std::string> yes = {"1", "t", "T", "TRUE", "true", "True"};
  static const std::set<std::string> no = {"0", "f", "F", "FALSE", "false", "False", ""};
  if (yes.contains(*value)) {
    return true;
  }
  if (no.contains(*value)) {
    return false;
  }
  throw bad_request(std::string("invalid boolean value for ") + name + ": \"" + *value + "\"");
}

std::string media_type(const httplib::Request& request) {
  auto value = request.get_header_value("Content-Type");
  const auto semicolon = value.find(';');
  if (semicolon != std::string::npos) {
    value.resize(semicolon);
  }
  while (!value.empty() && value.back() == ' ') {
    value.pop_back();
  }
  for (auto& c : value) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return value;
}

bool dry_run(const httplib::Request& request) {
  const auto count = request.get_param_value_count("dryRun");
  bool all = false;
  for (std::size_t i = 0; i < count; ++i) {
    const auto value = request.get_param_value("dryRun", i);
    if (value != "All") {
      throw invalid("meta.k8s.io", "CreateOptions", "",
                    {{"FieldValueNotSupported",
                      "Unsupported value: \"" + value + R"(": supported values: "All")", "dryRun"}});
    }
    all = true;
  }
  return all;
}

std::string field_manager(const httplib::Request& request, bool required_for_apply) {
  auto manager = param(request, "fieldManager");
  if (manager) {
    if (manager->size() > 128) {
      throw invalid("meta.k8s.io", "PatchOptions", "",
                    {{"FieldValueTooLong", "Too long: may not be longer than 128", "fieldManager"}});
    }
    if (!manager->empty()) {
      return *manager;
    }
  }
  if (required_for_apply) {
    // validation.ValidatePatchOptions: 422 before the object is even looked up.
    throw invalid("meta.k8s.io", "PatchOptions", "",
                  {{"FieldValueRequired", "Required value: is required for apply patch", "fieldManager"}});
  }
  // The default manager: the User-Agent up to its first '/' (prefixFromUserAgent).
  auto agent = request.get_header_value("User-Agent");
  agent = agent.substr(0, agent.find('/'));
  return agent.substr(0, 128);
}

// What a create or an update (POST, PUT) sends: its options, and the object as JSON, or as YAML as kubectl
// may send it. Another media type is refused before anything else is looked at.
struct ObjectWrite {
  WriteOptions options;
  json body;
};

ObjectWrite object_write(const httplib::Request& request) {
  const auto content = media_type(request);
  if (!content.empty() && content != "application/json" && content != "application/yaml") {
    throw unsupported_media_type(content, {"application/json", "application/yaml"});
  }
  ObjectWrite write;
  write.options.dry_run = dry_run(request);
  write.options.field_manager = field_manager(request, false);
  write.body = content == "application/yaml" ? parse_yaml_body(request.body) : parse_json_body(request.body);
  return write;
}

std::size_t size_param(const httplib::Request& request, const char* name) {
  const auto value = param(request, name);
  if (!value || value->empty()) {
    return 0;
  }
  long long parsed = 0;
  const auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), parsed);
  if (error != std::errc() || end != value->data() + value->size() || parsed < 0) {
    throw bad_request(std::string("invalid value for ") + name + ": \"" + *value + "\"");
  }
  return static_cast<std::size_t>(parsed);
}

void write_json(httplib::Response& response,
                int code,
                const json& body,
                const std::string& content_type = "application/json") {
  response.status = code;
  response.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), content_type);
}

void write_error(httplib::Response& response, const ApiError& error) {
  write_json(response, error.code(), error.status());
  const int retry = error.retry_after_seconds();
  if (retry > 0 && (error.code() == 429 || error.code() == 503 || error.code() == 504)) {
    response.set_header("Retry-After", std::to_string(retry));
  }
}

// The Table version the client asks for, if it asks for a Table.
std::string table_version(const httplib::Request& request) {
  const auto accept = request.get_header_value("Accept");
  std::size_t start = 0;
  while (start < accept.size()) {
    const auto comma = accept.find(',', start);
    const auto item = accept.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? accept.size() : comma + 1;
    if (item.find("as=Table") == std::string::npos || item.find("g=meta.k8s.io") == std::string::npos) {
      continue;
    }
    if (item.find("v=v1beta1") != std::string::npos) {
      return "v1beta1";
    }
    if (item.find("v=v1") != std::string::npos) {
      return "v1";
    }
  }
  return {};
}

} // namespace

// ------------------------------------------------------------------------------------------------- Impl

struct ApiServer::Impl {
  explicit Impl(Options opts)
      : options(std::move(opts)),
        store(
            options.resources, options.history_limit, options.require_namespaces, options.seed_field_manager),
        token(options.token) {}

  Options options;
  Store store;

  std::mutex lifecycle;
  std::unique_ptr<httplib::Server> server;
  std::thread server_thread;
  std::thread pause_thread;
  std::atomic<bool> pausing{false};
  std::atomic<bool> destroying{false};
  std::atomic<int> bound_port{0};
  std::atomic<bool> serving{false};

  std::mutex stop_mutex;
  std::condition_variable stop_signal;
  bool stopping = false;

  mutable std::mutex log_mutex;
  std::string token;
  std::vector<ActiveFault> faults;
  int next_fault_id = 1;
  std::vector<RequestRecord> records;

  void configure(httplib::Server& http);
  void handle(const httplib::Request& request, httplib::Response& response);
  void handle_api(const httplib::Request& request,
                  httplib::Response& response,
                  const std::string& path,
                  RequestRecord& record);
  void handle_admin(const httplib::Request& request, httplib::Response& response, const std::string& path);
  const FaultRule* pick_fault(const std::string& method, const std::string& target, FaultRule& chosen);
  bool sleep_unless_stopping(std::chrono::milliseconds duration);
  void serve_watch(const ResourceType& type,
                   const std::string& ns,
                   const httplib::Request& request,
                   httplib::Response& response,
                   const std::string& pinned_name);
  json discovery_resources(const std::string& group, const std::string& version) const;
  json openapi_v3_index() const;
  json openapi_v3_document(const std::string& group, const std::string& version) const;
  json discovery_groups() const;
  void start_serving(int port);
  void stop_serving();
};

bool ApiServer::Impl::sleep_unless_stopping(std::chrono::milliseconds duration) {
  std::unique_lock lock(stop_mutex);
  return !stop_signal.wait_for(lock, duration, [&] { return stopping; });
}

const FaultRule*
ApiServer::Impl::pick_fault(const std::string& method, const std::string& target, FaultRule& chosen) {
  const std::lock_guard lock(log_mutex);
  const FaultRule* picked = nullptr;
  for (auto& fault : faults) {
    if (!fault.rule.method.empty() && fault.rule.method != method) {
      continue;
    }
    if (!std::regex_search(target, fault.target)) {
      continue;
    }
    ++fault.matched;
    const bool nth = fault.rule.every_nth <= 1 || fault.matched % fault.rule.every_nth == 0;
    const bool budget = fault.rule.times < 0 || fault.affected < fault.rule.times;
    if (picked == nullptr && nth && budget) {
      ++fault.affected;
      chosen = fault.rule;
      picked = &chosen;
    }
  }
  return picked;
}

void ApiServer::Impl::handle(const httplib::Request& request, httplib::Response& response) {
  std::string path = request.path;
  if (path.rfind("/_test/", 0) == 0) {
    try {
      handle_admin(request, response, path);
    } catch (const ApiError& error) {
      write_error(response, error);
    } catch (const std::exception& error) {
      write_error(response, bad_request(error.what()));
    }
    return;
  }
  RequestRecord record;
  record.method = request.method;
  const auto question = request.target.find('?');
  record.query = question == std::string::npos ? std::string() : request.target.substr(question + 1);
  record.content_type = request.get_header_value("Content-Type");
  record.field_manager = request.get_param_value("fieldManager");
  record.user_agent = request.get_header_value("User-Agent");
  record.watch = request.has_param("watch") && request.get_param_value("watch") != "false" &&
                 request.get_param_value("watch") != "0";
  try {
    const auto& prefix = options.path_prefix;
    if (!prefix.empty()) {
      if (path == prefix || path.rfind(prefix + "/", 0) == 0) {
        path = path.substr(prefix.size());
      } else {
        record.path = path;
        throw resource_not_found();
      }
    }
    if (path.empty()) {
      path = "/";
    }
    record.path = path;
    handle_api(request, response, path, record);
  } catch (const ApiError& error) {
    write_error(response, error);
  } catch (const std::exception& error) {
    write_error(response, internal_error(error.what()));
  }
  record.status = response.status;
  const std::lock_guard lock(log_mutex);
  records.push_back(std::move(record));
}

void ApiServer::Impl::handle_api(const httplib::Request& request,
                                 httplib::Response& response,
                                 const std::string& path,
                                 RequestRecord& record) {
  {
    std::string required;
    {
      const std::lock_guard lock(log_mutex);
      required = token;
    }
    if (!required.empty() && request.get_header_value("Authorization") != "Bearer " + required) {
      throw unauthorized();
    }
  }
  const std::string target = path + (record.query.empty() ? "" : "?" + record.query);
  FaultRule fault;
  if (pick_fault(request.method, target, fault) != nullptr) {
    if (fault.latency.count() > 0 && !sleep_unless_stopping(fault.latency)) {
      throw generic_error(503, 1, "the server is shutting down");
    }
    if (fault.drop_connection) {
      // The status line and headers go out, then the connection is cut: the client sees a broken response.
      response.status = 200;
      response.set_chunked_content_provider("application/json",
                                            [](std::size_t, httplib::DataSink&) { return false; });
      record.status = 0;
      return;
    }
    if (fault.status != 0) {
      throw generic_error(fault.status, fault.retry_after_seconds, fault.message);
    }
  }

  const auto segments = split_path(path);
  const auto& method = request.method;
  // ---- discovery and the small fixed endpoints
  if (segments.empty()) {
    json paths = json::array({"/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/version"});
    const auto groups = discovery_groups();
    for (const auto& group : groups["groups"]) {
      paths.push_back("/apis/" + group["name"].get<std::string>());
      paths.push_back("/apis/" + group["preferredVersion"]["groupVersion"].get<std::string>());
    }
    write_json(response, 200, {{"paths", paths}});
    return;
  }
  if (segments.size() == 1 &&
      (segments[0] == "healthz" || segments[0] == "livez" || segments[0] == "readyz")) {
    response.status = 200;
    response.set_content("ok", "text/plain");
    return;
  }
  if (segments.size() == 1 && segments[0] == "version") {
    write_json(response, 200,
               {{"major", "1"},
                {"minor", "32"},
                {"gitVersion", "v1.32.0-herd-test-apiserver"},
                {"gitCommit", "0000000000000000000000000000000000000000"},
                {"gitTreeState", "clean"},
                {"buildDate", "2025-01-01T00:00:00Z"},
                {"goVersion", "go1.23"},
                {"compiler", "gc"},
                {"platform", "linux/amd64"}});
    return;
  }
  if (segments[0] == "api" && segments.size() == 1) {
    write_json(response, 200,
               {{"kind", "APIVersions"},
                {"versions", json::array({"v1"})},
                {"serverAddressByClientCIDRs",
                 json::array({{{"clientCIDR", "0.0.0.0/0"},
                               {"serverAddress",
                                options.bind_address + ":" + std::to_string(bound_port.load())}}})}});
    return;
  }
  if (segments[0] == "apis" && segments.size() == 1) {
    write_json(response, 200, discovery_groups());
    return;
  }
  if (segments[0] == "apis" && segments.size() == 2) {
    const auto groups = discovery_groups();
    for (const auto& group : groups["groups"]) {
      if (group["name"] == segments[1]) {
        json out = group;
        out["kind"] = "APIGroup";
        out["apiVersion"] = "v1";
        write_json(response, 200, out);
        return;
      }
    }
    throw resource_not_found();
  }
  if ((segments[0] == "api" && segments.size() == 2) || (segments[0] == "apis" && segments.size() == 3)) {
    const std::string group = segments[0] == "api" ? "" : segments[1];
    const std::string& version = segments.back();
    auto resources = discovery_resources(group, version);
    if (resources["resources"].empty()) {
      throw resource_not_found();
    }
    write_json(response, 200, resources);
    return;
  }
  if (segments[0] == "openapi" && segments.size() >= 2 && segments[1] == "v3") {
    if (segments.size() == 2) {
      write_json(response, 200, openapi_v3_index());
      return;
    }
    if ((segments.size() == 4 && segments[2] == "api") || (segments.size() == 5 && segments[2] == "apis")) {
      const std::string group = segments[2] == "api" ? "" : segments[3];
      auto document = openapi_v3_document(group, segments.back());
      if (document["paths"].empty()) {
        throw resource_not_found();
      }
      write_json(response, 200, document);
      return;
    }
    throw resource_not_found();
  }
  if (segments[0] != "api" && segments[0] != "apis") {
    throw resource_not_found();
  }

  // ---- resources
  const std::string group = segments[0] == "api" ? "" : segments[1];
  const std::string version = segments[0] == "api" ? segments[1] : segments[2];
  if (segments[0] == "api" && version != "v1") {
    throw resource_not_found();
  }
  std::vector<std::string> rest(segments.begin() + (segments[0] == "api" ? 2 : 3), segments.end());
  bool legacy_watch = false;
  if (!rest.empty() && rest[0] == "watch") {
    legacy_watch = true; // the deprecated /watch/ paths
    rest.erase(rest.begin());
  }
  std::string ns;
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    const auto* candidate = store.find(group, version, rest[2]);
    if (candidate != nullptr && candidate->namespaced) {
      ns = rest[1];
      rest.erase(rest.begin(), rest.begin() + 2);
    }
  }
  if (rest.empty() || rest.size() > 3) {
    throw resource_not_found();
  }
  const auto* type = store.find(group, version, rest[0]);
  if (type == nullptr) {
    throw resource_not_found();
  }
  const std::string name = rest.size() >= 2 ? rest[1] : std::string();
  const bool status = rest.size() == 3;
  if (status && (rest[2] != "status" || !type->status_subresource)) {
    throw resource_not_found();
  }
  if (type->namespaced && ns.empty() && !name.empty()) {
    throw resource_not_found(); // a namespaced object is only addressed through its namespace
  }

  const std::string table = method == "GET" ? table_version(request) : std::string();
  const auto include_object = param(request, "includeObject").value_or("Metadata");
  const auto reply = [&](const Response& result) {
    if (!table.empty() && result.code == 200) {
      const json body = result.text.empty() ? result.body : json::parse(result.text);
      write_json(response, 200, to_table(*type, body, table, include_object),
                 "application/json;as=Table;v=" + table + ";g=meta.k8s.io");
    } else if (!result.text.empty()) {
      response.status = result.code;
      response.set_content(result.text, "application/json");
    } else {
      write_json(response, result.code, result.body);
    }
  };

  if (name.empty()) {
    if (method == "GET") {
      const bool watch = legacy_watch || bool_param(request, "watch");
      if (watch) {
        serve_watch(*type, ns, request, response, {});
        return;
      }
      ListOptions list;
      list.labels = LabelSelector::parse(param(request, "labelSelector").value_or(""));
      list.fields = FieldSelector::parse(param(request, "fieldSelector").value_or(""));
      list.limit = size_param(request, "limit");
      list.continue_token = param(request, "continue").value_or("");
      list.resource_version = param(request, "resourceVersion");
      list.resource_version_match = param(request, "resourceVersionMatch").value_or("");
      reply(store.list(*type, ns, list));
      return;
    }
    if (method == "POST") {
      if (type->namespaced && ns.empty()) {
        throw method_not_allowed(method);
      }
      auto write = object_write(request);
      reply(store.create(*type, ns, std::move(write.body), write.options));
      return;
    }
    if (method == "DELETE") {
      ListOptions list;
      list.labels = LabelSelector::parse(param(request, "labelSelector").value_or(""));
      list.fields = FieldSelector::parse(param(request, "fieldSelector").value_or(""));
      DeleteOptions remove;
      remove.dry_run = dry_run(request);
      reply(store.remove_collection(*type, ns, list, remove));
      return;
    }
    throw method_not_allowed(method);
  }

  if (method == "GET") {
    if (legacy_watch) {
      serve_watch(*type, ns, request, response, name);
      return;
    }
    reply(store.get(*type, ns, name));
    return;
  }
  if (method == "PUT") {
    auto write = object_write(request);
    reply(store.update(*type, ns, name, std::move(write.body), status, write.options));
    return;
  }
  if (method == "PATCH") {
    const auto content = media_type(request);
    PatchType patch_type = PatchType::merge;
    if (content == "application/merge-patch+json") {
      patch_type = PatchType::merge;
    } else if (content == "application/json-patch+json") {
      patch_type = PatchType::json_patch;
    } else if (content == "application/strategic-merge-patch+json") {
      patch_type = PatchType::strategic;
    } else if (content == "application/apply-patch+yaml" || content == "application/apply-patch+cbor") {
      if (content != "application/apply-patch+yaml") {
        throw unsupported_media_type(content, {"application/apply-patch+yaml"});
      }
      patch_type = PatchType::apply;
    } else {
      throw unsupported_media_type(content, {"application/json-patch+json", "application/merge-patch+json",
                                             "application/apply-patch+yaml",
                                             "application/strategic-merge-patch+json"});
    }
    const bool apply = patch_type == PatchType::apply;
    WriteOptions write;
    if (!apply && request.has_param("force")) {
      throw invalid(
          "meta.k8s.io", "PatchOptions", "",
          {{"FieldValueForbidden", "Forbidden: may not be specified for non-apply patch", "force"}});
    }
    write.field_manager = field_manager(request, apply);
    write.dry_run = dry_run(request);
    write.force = apply && bool_param(request, "force");
    const auto patch = apply ? parse_yaml_body(request.body) : parse_json_body(request.body);
    if (apply && !patch.is_object()) {
      throw bad_request("the body of an apply patch must be an object");
    }
    reply(store.patch(*type, ns, name, patch_type, patch, status, write));
    return;
  }
  if (method == "DELETE" && !status) {
    DeleteOptions remove;
    remove.dry_run = dry_run(request);
    if (!request.body.empty()) {
      const auto body = parse_json_body(request.body);
      if (body.is_object()) {
        if (body.contains("dryRun") && body["dryRun"].is_array()) {
          for (const auto& value : body["dryRun"]) {
            if (value != "All") {
              throw invalid(
                  "meta.k8s.io", "DeleteOptions", "",
                  {{"FieldValueNotSupported", "Unsupported value: supported values: \"All\"", "dryRun"}});
            }
            remove.dry_run = true;
          }
        }
        const auto preconditions = body.value("preconditions", json::object());
        if (preconditions.is_object()) {
          if (preconditions.contains("uid") && preconditions["uid"].is_string()) {
            remove.uid = preconditions["uid"].get<std::string>();
          }
          if (preconditions.contains("resourceVersion") && preconditions["resourceVersion"].is_string()) {
            remove.resource_version = preconditions["resourceVersion"].get<std::string>();
          }
        }
      }
    }
    reply(store.remove(*type, ns, name, remove));
    return;
  }
  throw method_not_allowed(method);
}

void ApiServer::Impl::serve_watch(const ResourceType& type,
                                  const std::string& ns,
                                  const httplib::Request& request,
                                  httplib::Response& response,
                                  const std::string& pinned_name) {
  WatchOptions watch_options;
  watch_options.labels = LabelSelector::parse(param(request, "labelSelector").value_or(""));
  auto field_text = param(request, "fieldSelector").value_or("");
  if (!pinned_name.empty()) {
    field_text = "metadata.name=" + pinned_name + (field_text.empty() ? "" : "," + field_text);
  }
  watch_options.fields = FieldSelector::parse(field_text);
  watch_options.resource_version = param(request, "resourceVersion");
  watch_options.resource_version_match = param(request, "resourceVersionMatch").value_or("");
  watch_options.bookmarks = bool_param(request, "allowWatchBookmarks");
  watch_options.send_initial_events_set = request.has_param("sendInitialEvents");
  watch_options.send_initial_events = bool_param(request, "sendInitialEvents");
  // Bounded so that the deadline arithmetic cannot overflow; a year is "no timeout" for a test.
  const auto timeout_seconds =
      std::min<std::size_t>(size_param(request, "timeoutSeconds"), 365UL * 24 * 3600);

  struct Stream {
    Impl* impl = nullptr;
    std::shared_ptr<Watch> watch;
    std::vector<std::string> pending;
    std::optional<Clock::time_point> deadline;
    Clock::time_point last_bookmark;
    bool bookmarks = false;
    std::string table; // Table version when the client asked for Tables (kubectl get -w)
    std::string include_object;
    const ResourceType* type = nullptr;
  };
  auto stream = std::make_shared<Stream>();
  stream->impl = this;
  stream->watch = store.watch(type, ns, watch_options, stream->pending);
  stream->bookmarks = watch_options.bookmarks;
  stream->table = table_version(request);
  stream->include_object = param(request, "includeObject").value_or("Metadata");
  stream->type = &type;
  stream->last_bookmark = Clock::now();
  if (timeout_seconds > 0) {
    stream->deadline = Clock::now() + std::chrono::seconds(timeout_seconds);
  }
  response.status = 200;
  response.set_chunked_content_provider(
      stream->table.empty() ? std::string("application/json")
                            : "application/json;as=Table;v=" + stream->table + ";g=meta.k8s.io",
      [stream](std::size_t /*offset*/, httplib::DataSink& sink) {
        auto& shared = stream->impl->store;
        for (auto& line : stream->pending) {
          if (!stream->table.empty()) {
            auto event = json::parse(line);
            const auto type_name = event["type"].get<std::string>();
            if (type_name == "ADDED" || type_name == "MODIFIED" || type_name == "DELETED") {
              event["object"] =
                  to_table(*stream->type, event["object"], stream->table, stream->include_object);
              line = event.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
            }
          }
          if (!sink.write(line.data(), line.size())) {
            return false;
          }
        }
        stream->pending.clear();
        auto& watch = *stream->watch;
        if (watch.state() == Watch::State::finished) {
          sink.done();
          return true;
        }
        if (watch.state() == Watch::State::dropped) {
          return false; // cut mid-stream: no terminating chunk
        }
        const auto now = Clock::now();
        if (stream->deadline && now >= *stream->deadline) {
          sink.done(); // timeoutSeconds: the server ends the stream cleanly
          return true;
        }
        if (!sink.is_writable()) {
          return false; // the client went away
        }
        auto wait = kPollSlice;
        if (stream->deadline) {
          wait =
              std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(*stream->deadline - now));
        }
        if (stream->bookmarks) {
          const auto next = stream->last_bookmark + stream->impl->options.bookmark_interval;
          wait = std::min(wait, std::max(std::chrono::milliseconds(0),
                                         std::chrono::duration_cast<std::chrono::milliseconds>(next - now)));
        }
        shared.poll(watch, std::max(wait, std::chrono::milliseconds(1)), stream->pending);
        if (watch.state() == Watch::State::dropped) {
          return false;
        }
        if (stream->bookmarks && watch.state() == Watch::State::open &&
            Clock::now() >= stream->last_bookmark + stream->impl->options.bookmark_interval) {
          stream->pending.push_back(shared.bookmark(watch));
          stream->last_bookmark = Clock::now();
        }
        return true;
      },
      [stream](bool /*success*/) { stream->impl->store.close_watch(*stream->watch); });
}

json ApiServer::Impl::discovery_groups() const {
  json groups = json::array();
  std::vector<std::string> seen;
  for (const auto& type : store.types()) {
    if (type.group.empty() || std::find(seen.begin(), seen.end(), type.group) != seen.end()) {
      continue;
    }
    seen.push_back(type.group);
    json versions = json::array();
    std::vector<std::string> seen_versions;
    for (const auto& other : store.types()) {
      if (other.group == type.group &&
          std::find(seen_versions.begin(), seen_versions.end(), other.version) == seen_versions.end()) {
        seen_versions.push_back(other.version);
        versions.push_back({{"groupVersion", other.api_version()}, {"version", other.version}});
      }
    }
    groups.push_back({{"name", type.group}, {"versions", versions}, {"preferredVersion", versions[0]}});
  }
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

json ApiServer::Impl::discovery_resources(const std::string& group, const std::string& version) const {
  json resources = json::array();
  for (const auto& type : store.types()) {
    if (type.group != group || type.version != version) {
      continue;
    }
    json resource = {
        {"name", type.plural},
        {"singularName", type.singular},
        {"namespaced", type.namespaced},
        {"kind", type.kind},
        {"verbs", {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}}};
    if (!type.short_names.empty()) {
      resource["shortNames"] = type.short_names;
    }
    if (!type.categories.empty()) {
      resource["categories"] = type.categories;
    }
    resources.push_back(std::move(resource));
    if (type.status_subresource) {
      resources.push_back({{"name", type.plural + "/status"},
                           {"singularName", ""},
                           {"namespaced", type.namespaced},
                           {"kind", type.kind},
                           {"verbs", {"get", "patch", "update"}}});
    }
  }
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", group.empty() ? version : group + "/" + version},
          {"resources", resources}};
}

json ApiServer::Impl::openapi_v3_index() const {
  // /openapi/v3: one document per group version, as kubectl's OpenAPI v3 client discovers them.
  json paths = json::object();
  for (const auto& type : store.types()) {
    const std::string key = type.group.empty() ? "api/" + type.version : "apis/" + type.api_version();
    paths[key] = {{"serverRelativeURL", "/openapi/v3/" + key + "?hash=0"}};
  }
  return {{"paths", paths}};
}

json ApiServer::Impl::openapi_v3_document(const std::string& group, const std::string& version) const {
  // Just enough OpenAPI for kubectl: each kind's schema (anything goes: this server validates no schema) and
  // the PATCH operation of each object path declaring the fieldValidation parameter, which tells kubectl
  // (QueryParamVerifierV3) to let the server validate instead of validating on the client.
  json paths = json::object();
  json schemas = json::object();
  for (const auto& type : store.types()) {
    if (type.group != group || type.version != version) {
      continue;
    }
    const json gvk = {{"group", type.group}, {"version", type.version}, {"kind", type.kind}};
    const std::string base = (type.group.empty() ? "/api/" : "/apis/") + type.api_version();
    const std::string item =
        base + (type.namespaced ? "/namespaces/{namespace}/" : "/") + type.plural + "/{name}";
    json parameters = json::array();
    for (const char* name : {"dryRun", "fieldManager", "fieldValidation", "force"}) {
      parameters.push_back({{"name", name}, {"in", "query"}, {"schema", {{"type", "string"}}}});
    }
    paths[item] = {{"patch",
                    {{"operationId", "patch" + type.kind},
                     {"parameters", parameters},
                     {"responses", {{"200", {{"description", "OK"}}}}},
                     {"x-kubernetes-action", "patch"},
                     {"x-kubernetes-group-version-kind", gvk}}}};
    std::string schema_name = type.group.empty() ? "io.k8s.api.core." : "";
    if (!type.group.empty()) {
      // reversed group, as the OpenAPI names of CRDs go: herd.suse.com -> com.suse.herd
      std::vector<std::string> parts;
      std::size_t start = 0;
      while (start <= type.group.size()) {
        const auto dot = type.group.find('.', start);
        parts.push_back(type.group.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
        start = dot == std::string::npos ? type.group.size() + 1 : dot + 1;
      }
      std::reverse(parts.begin(), parts.end());
      for (const auto& part : parts) {
        schema_name += part + ".";
      }
    }
    schemas[schema_name + type.version + "." + type.kind] = {
        {"type", "object"},
        {"x-kubernetes-preserve-unknown-fields", true},
        {"x-kubernetes-group-version-kind", json::array({gvk})}};
  }
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
          {"paths", paths},
          {"components", {{"schemas", schemas}}}};
}

void ApiServer::Impl::handle_admin(const httplib::Request& request,
                                   httplib::Response& response,
                                   const std::string& path) {
  const auto& method = request.method;
  if (path == "/_test/faults" && method == "GET") {
    json out = json::array();
    const std::lock_guard lock(log_mutex);
    for (const auto& fault : faults) {
      out.push_back({{"id", fault.id},
                     {"method", fault.rule.method},
                     {"target", fault.rule.target_regex},
                     {"status", fault.rule.status},
                     {"times", fault.rule.times},
                     {"every_nth", fault.rule.every_nth},
                     {"latency_ms", fault.rule.latency.count()},
                     {"matched", fault.matched},
                     {"affected", fault.affected}});
    }
    write_json(response, 200, out);
    return;
  }
  if (path == "/_test/faults" && method == "POST") {
    const auto body = parse_json_body(request.body);
    if (!body.is_object()) {
      throw bad_request("a fault is a JSON object");
    }
    FaultRule rule;
    rule.method = body.value("method", "");
    rule.target_regex = body.value("target", ".*");
    rule.status = body.value("status", 0);
    rule.times = body.value("times", -1);
    rule.every_nth = body.value("every_nth", 1);
    rule.retry_after_seconds = body.value("retry_after_seconds", 1);
    rule.latency = std::chrono::milliseconds(body.value("latency_ms", 0));
    rule.drop_connection = body.value("drop_connection", false);
    rule.message = body.value("message", "");
    ActiveFault fault;
    fault.rule = rule;
    try {
      fault.target = std::regex(rule.target_regex);
    } catch (const std::regex_error& error) {
      throw bad_request(std::string("invalid target regex: ") + error.what());
    }
    const std::lock_guard lock(log_mutex);
    fault.id = next_fault_id++;
    faults.push_back(std::move(fault));
    write_json(response, 201, {{"id", faults.back().id}});
    return;
  }
  if (path == "/_test/faults" && method == "DELETE") {
    const std::lock_guard lock(log_mutex);
    faults.clear();
    write_json(response, 200, json::object());
    return;
  }
  if (path.rfind("/_test/faults/", 0) == 0 && method == "DELETE") {
    const std::string_view given = std::string_view(path).substr(std::string_view("/_test/faults/").size());
    int id = 0;
    const auto [end, error] = std::from_chars(given.data(), given.data() + given.size(), id);
    if (error != std::errc() || end != given.data() + given.size()) {
      throw bad_request("invalid fault id: \"" + std::string(given) + "\"");
    }
    const std::lock_guard lock(log_mutex);
    std::erase_if(faults, [id](const ActiveFault& fault) { return fault.id == id; });
    write_json(response, 200, json::object());
    return;
  }
  if (path == "/_test/watches/drop" && method == "POST") {
    store.drop_watches();
    write_json(response, 200, json::object());
    return;
  }
  if (path == "/_test/watches" && method == "GET") {
    write_json(response, 200, {{"open", store.open_watches()}});
    return;
  }
  if (path == "/_test/history/compact" && method == "POST") {
    store.compact();
    write_json(response, 200, {{"resourceVersion", std::to_string(store.resource_version())}});
    return;
  }
  if (path == "/_test/state" && method == "GET") {
    write_json(response, 200, {{"resourceVersion", std::to_string(store.resource_version())}});
    return;
  }
  if (path == "/_test/requests" && method == "GET") {
    const std::lock_guard lock(log_mutex);
    write_json(response, 200, json(records));
    return;
  }
  if (path == "/_test/writes" && method == "GET") {
    write_json(response, 200, json(store.writes()));
    return;
  }
  if ((path == "/_test/requests" || path == "/_test/writes") && method == "DELETE") {
    {
      const std::lock_guard lock(log_mutex);
      records.clear();
    }
    store.clear_writes();
    write_json(response, 200, json::object());
    return;
  }
  if (path == "/_test/pause" && method == "POST") {
    // Refuses connections for `seconds`, then serves again on the same port. The answer goes out first.
    const auto seconds = size_param(request, "seconds");
    {
      const std::lock_guard lock(lifecycle);
      if (pausing.exchange(true)) {
        throw ApiError(409, "Conflict", "a pause is already under way");
      }
      if (pause_thread.joinable()) {
        pause_thread.join(); // the previous pause, finished
      }
      pause_thread = std::thread([this, seconds] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        stop_serving();
        {
          // Not sleep_unless_stopping: stop_serving has just set `stopping`, and the pause would end at once.
          std::unique_lock pause_lock(stop_mutex);
          stop_signal.wait_for(pause_lock, std::chrono::seconds(seconds), [&] { return destroying.load(); });
        }
        if (!destroying) {
          try {
            start_serving(bound_port.load());
          } catch (const std::exception&) {
            // the port was taken meanwhile: the server stays stopped, as a crashed API server would
          }
        }
        pausing = false;
      });
    }
    write_json(response, 202, {{"seconds", seconds}});
    return;
  }
  throw resource_not_found();
}

void ApiServer::Impl::configure(httplib::Server& http) {
  http.new_task_queue = [threads = options.threads] { return new httplib::ThreadPool(threads); };
  http.set_keep_alive_timeout(options.keep_alive_timeout.count());
  http.set_keep_alive_max_count(1000000);
  http.set_tcp_nodelay(true); // a response's header and body writes must not wait for delayed ACKs
  http.set_read_timeout(10, 0);
  http.set_write_timeout(10, 0);
  http.set_payload_max_length(options.max_body_bytes);
  const auto handler = [this](const httplib::Request& request, httplib::Response& response) {
    handle(request, response);
  };
  http.Get(".*", handler);
  http.Post(".*", handler);
  http.Put(".*", handler);
  http.Patch(".*", handler);
  http.Delete(".*", handler);
}

void ApiServer::Impl::start_serving(int port) {
  const std::lock_guard lock(lifecycle);
  if (server) {
    return;
  }
  {
    const std::lock_guard stop_lock(stop_mutex);
    stopping = false;
  }
  std::unique_ptr<httplib::Server> http;
  if (!options.tls_cert_file.empty() && !options.tls_key_file.empty()) {
    auto secure = options.tls_client_ca_file.empty()
                      ? std::make_unique<httplib::SSLServer>(options.tls_cert_file.c_str(),
                                                             options.tls_key_file.c_str())
                      : std::make_unique<httplib::SSLServer>(options.tls_cert_file.c_str(),
                                                             options.tls_key_file.c_str(),
                                                             options.tls_client_ca_file.c_str());
    if (!secure->is_valid()) {
      throw std::runtime_error("cannot load the TLS certificate " + options.tls_cert_file + " and key " +
                               options.tls_key_file);
    }
    http = std::move(secure);
  } else {
    http = std::make_unique<httplib::Server>();
  }
  configure(*http);
  // cpp-httplib's default socket options add SO_REUSEPORT (a second server on a port in use would share it
  // silently) and it listens with a backlog of 5 (a burst of watches connecting at once overflows it, and
  // the kernel makes the extra clients retry a second later). Keep SO_REUSEADDR only, widen the backlog.
  int listen_fd = -1;
  http->set_socket_options([&listen_fd](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_fd = sock;
  });
  int bound = -1;
  if (port == 0) {
    bound = http->bind_to_any_port(options.bind_address);
  } else {
    // The port was just released: a moment may pass before it can be bound again.
    const int attempts = port == bound_port ? 50 : 1;
    for (int attempt = 0; attempt < attempts && bound < 0; ++attempt) {
      bound = http->bind_to_port(options.bind_address, port) ? port : -1;
      if (bound < 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
  if (bound < 0) {
    throw std::runtime_error("cannot listen on " + options.bind_address + ":" + std::to_string(port));
  }
  if (listen_fd >= 0) {
    ::listen(listen_fd, SOMAXCONN);
  }
  bound_port = bound;
  auto* raw = http.get();
  server = std::move(http);
  server_thread = std::thread([raw] { raw->listen_after_bind(); });
  // stop() is ignored until the accept loop runs: wait for it.
  for (int i = 0; i < 5000 && !raw->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  serving = true;
}

void ApiServer::Impl::stop_serving() {
  const std::lock_guard lock(lifecycle);
  if (!server) {
    return;
  }
  {
    const std::lock_guard stop_lock(stop_mutex);
    stopping = true;
  }
  stop_signal.notify_all();
  store.drop_watches();
  server->stop();
  if (server_thread.joinable()) {
    server_thread.join();
  }
  server.reset();
  serving = false;
}

// ---------------------------------------------------------------------------------------------- ApiServer

ApiServer::ApiServer(Options options) : m_impl(std::make_unique<Impl>(std::move(options))) {}

ApiServer::~ApiServer() {
  m_impl->destroying = true;
  {
    const std::lock_guard stop_lock(m_impl->stop_mutex);
    m_impl->stopping = true;
  }
  m_impl->stop_signal.notify_all();
  if (m_impl->pause_thread.joinable()) {
    m_impl->pause_thread.join();
  }
  m_impl->stop_serving();
}

void ApiServer::start() {
  const int bound = m_impl->bound_port;
  m_impl->start_serving(bound != 0 ? bound : m_impl->options.port);
}

void ApiServer::stop() {
  m_impl->stop_serving();
}

bool ApiServer::listening() const {
  return m_impl->serving;
}

int ApiServer::port() const {
  return m_impl->bound_port;
}

std::string ApiServer::url() const {
  const bool tls = !m_impl->options.tls_cert_file.empty() && !m_impl->options.tls_key_file.empty();
  return std::string(tls ? "https://" : "http://") + m_impl->options.bind_address + ":" +
         std::to_string(m_impl->bound_port.load()) + m_impl->options.path_prefix;
}

const Options& ApiServer::options() const {
  return m_impl->options;
}

std::string ApiServer::resource_version() const {
  return std::to_string(m_impl->store.resource_version());
}

namespace {

const ResourceType& resolve(const Store& store, std::string_view api_version, std::string_view resource) {
  const auto slash = api_version.find('/');
  const auto group = slash == std::string_view::npos ? std::string_view() : api_version.substr(0, slash);
  const auto version = slash == std::string_view::npos ? api_version : api_version.substr(slash + 1);
  const auto* type = store.find(group, version, resource);
  if (type == nullptr) {
    throw std::invalid_argument("not served: " + std::string(resource) + " in " + std::string(api_version));
  }
  return *type;
}

} // namespace

std::optional<json> ApiServer::get(std::string_view api_version,
                                   std::string_view resource,
                                   std::string_view name_space,
                                   std::string_view name) const {
  const auto& type = resolve(m_impl->store, api_version, resource);
  return m_impl->store.peek(type, std::string(name_space), std::string(name));
}

std::vector<json>
ApiServer::list(std::string_view api_version, std::string_view resource, std::string_view name_space) const {
  const auto& type = resolve(m_impl->store, api_version, resource);
  return m_impl->store.peek_all(type, std::string(name_space));
}

json ApiServer::put(json object) {
  return m_impl->store.seed(std::move(object));
}

bool ApiServer::remove(std::string_view api_version,
                       std::string_view resource,
                       std::string_view name_space,
                       std::string_view name) {
  const auto& type = resolve(m_impl->store, api_version, resource);
  return m_impl->store.unseed(type, std::string(name_space), std::string(name));
}

int ApiServer::add_fault(FaultRule rule) {
  ActiveFault fault;
  fault.target = std::regex(rule.target_regex);
  fault.rule = std::move(rule);
  const std::lock_guard lock(m_impl->log_mutex);
  fault.id = m_impl->next_fault_id++;
  m_impl->faults.push_back(std::move(fault));
  return m_impl->faults.back().id;
}

void ApiServer::remove_fault(int id) {
  const std::lock_guard lock(m_impl->log_mutex);
  std::erase_if(m_impl->faults, [id](const ActiveFault& fault) { return fault.id == id; });
}

void ApiServer::clear_faults() {
  const std::lock_guard lock(m_impl->log_mutex);
  m_impl->faults.clear();
}

void ApiServer::drop_watches() {
  m_impl->store.drop_watches();
}

void ApiServer::compact_history() {
  m_impl->store.compact();
}

std::size_t ApiServer::open_watches() const {
  return m_impl->store.open_watches();
}

void ApiServer::set_token(std::string token) {
  const std::lock_guard lock(m_impl->log_mutex);
  m_impl->token = std::move(token);
}

std::vector<RequestRecord> ApiServer::requests() const {
  const std::lock_guard lock(m_impl->log_mutex);
  return m_impl->records;
}

std::size_t ApiServer::request_count(std::string_view method, std::string_view target_regex) const {
  const std::regex pattern{std::string(target_regex)};
  const std::lock_guard lock(m_impl->log_mutex);
  return static_cast<std::size_t>(
      std::count_if(m_impl->records.begin(), m_impl->records.end(), [&](const RequestRecord& record) {
        const auto target = record.path + (record.query.empty() ? "" : "?" + record.query);
        return (method.empty() || record.method == method) && std::regex_search(target, pattern);
      }));
}

std::vector<WriteRecord> ApiServer::writes() const {
  return m_impl->store.writes();
}

void ApiServer::clear_logs() {
  {
    const std::lock_guard lock(m_impl->log_mutex);
    m_impl->records.clear();
  }
  m_impl->store.clear_writes();
}

} // namespace herd::test_apiserver
