// The test API server's specification: each TEST states one behaviour of kube-apiserver that the server
// reproduces, exercised over HTTP with cpp-httplib's client as any client would. The references are the
// Kubernetes API concepts page (https://kubernetes.io/docs/reference/using-api/api-concepts/), the
// server-side apply page (https://kubernetes.io/docs/reference/using-api/server-side-apply/) and the
// apiserver sources named next to each behaviour in src/.

#include <herd/core/yaml_loader.hpp>
#include <herd/test_apiserver/api_server.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using herd::test_apiserver::ApiServer;
using herd::test_apiserver::FaultRule;
using herd::test_apiserver::Options;
using nlohmann::json;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kStacks = "/apis/herd.suse.com/v1/namespaces/default/stacks";
const std::string kBundles = "/apis/fleet.cattle.io/v1alpha1/namespaces/fleet-default/bundles";
const std::string kConfigMaps = "/api/v1/namespaces/default/configmaps";
const std::string kLeases = "/apis/coordination.k8s.io/v1/namespaces/default/leases";

struct Reply {
  int status = 0;
  json body;
  httplib::Headers headers;
  std::string text;
};

json stack(const std::string& name, json labels = json::object()) {
  return {
      {"apiVersion", "herd.suse.com/v1"},
      {"kind", "Stack"},
      {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", labels}}},
      {"spec", {{"targets", {{"clusterIds", {"local"}}}}, {"charts", json::array({{{"name", "ollama"}}})}}}};
}

json config_map(const std::string& name, json data = {{"a", "1"}}) {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}, {"data", data}};
}

json bundle(const std::string& name) {
  return {{"apiVersion", "fleet.cattle.io/v1alpha1"},
          {"kind", "Bundle"},
          {"metadata",
           {{"name", name}, {"namespace", "fleet-default"}, {"labels", {{"herd.suse.com/stack", "s"}}}}},
          {"spec", {{"helm", {{"chart", "ollama"}, {"version", "1.0.0"}}}}}};
}

std::string url_encode(const std::string& text) {
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      static constexpr char hex[] = "0123456789ABCDEF";
      out += '%';
      out += hex[c >> 4U];
      out += hex[c & 15U];
    }
  }
  return out;
}

std::string header(const httplib::Headers& headers, const std::string& name) {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string rv_of(const json& object) {
  return object["metadata"]["resourceVersion"].get<std::string>();
}

// An HTTP client of the server: one connection per call, like a fresh client-go request.
class Api {
public:
  explicit Api(const ApiServer& server, std::string token = {})
      : m_server(server), m_token(std::move(token)) {}

  Reply get(const std::string& path, httplib::Headers headers = {}) {
    return call("GET", path, "", "", std::move(headers));
  }
  Reply post(const std::string& path, const json& body) {
    return call("POST", path, body.dump(), "application/json");
  }
  Reply put(const std::string& path, const json& body) {
    return call("PUT", path, body.dump(), "application/json");
  }
  Reply merge_patch(const std::string& path, const json& patch) {
    return call("PATCH", path, patch.dump(), "application/merge-patch+json");
  }
  Reply json_patch(const std::string& path, const json& patch) {
    return call("PATCH", path, patch.dump(), "application/json-patch+json");
  }
  Reply apply(const std::string& path, const std::string& body) {
    return call("PATCH", path, body, "application/apply-patch+yaml");
  }
  Reply apply(const std::string& path, const json& body) { return apply(path, body.dump()); }
  Reply del(const std::string& path, const json& options = nullptr) {
    return call("DELETE", path, options.is_null() ? "" : options.dump(),
                options.is_null() ? "" : "application/json");
  }

  Reply call(const std::string& method,
             const std::string& path,
             const std::string& body,
             const std::string& content_type,
             httplib::Headers headers = {}) {
    httplib::Client client("127.0.0.1", m_server.port());
    client.set_read_timeout(10, 0);
    if (!m_token.empty()) {
      headers.emplace("Authorization", "Bearer " + m_token);
    }
    const std::string full = m_server.options().path_prefix + path;
    httplib::Result result{nullptr, httplib::Error::Unknown};
    if (method == "GET") {
      result = client.Get(full, headers);
    } else if (method == "POST") {
      result = client.Post(full, headers, body, content_type);
    } else if (method == "PUT") {
      result = client.Put(full, headers, body, content_type);
    } else if (method == "PATCH") {
      result = client.Patch(full, headers, body, content_type);
    } else {
      result = client.Delete(full, headers, body, content_type);
    }
    Reply reply;
    if (!result) {
      reply.status = -1;
      reply.text = httplib::to_string(result.error());
      return reply;
    }
    reply.status = result->status;
    reply.headers = result->headers;
    reply.text = result->body;
    reply.body = json::parse(result->body, nullptr, false);
    return reply;
  }

private:
  const ApiServer& m_server;
  std::string m_token;
};

// A watch read on a background thread: events as they arrive, and how the stream ended.
class WatchStream {
public:
  WatchStream(const ApiServer& server, const std::string& path)
      : m_client("127.0.0.1", server.port()), m_thread([this, full = server.options().path_prefix + path] {
          m_client.set_read_timeout(20, 0);
          const auto result = m_client.Get(full, [this](const char* data, std::size_t length) {
            const std::lock_guard lock(m_mutex);
            m_buffer.append(data, length);
            std::size_t newline = 0;
            while ((newline = m_buffer.find('\n')) != std::string::npos) {
              m_events.push_back(json::parse(m_buffer.substr(0, newline)));
              m_buffer.erase(0, newline + 1);
            }
            m_changed.notify_all();
            return true;
          });
          const std::lock_guard lock(m_mutex);
          m_clean_end = static_cast<bool>(result) && result->status == 200;
          m_status = result ? result->status : -1;
          m_ended = true;
          m_changed.notify_all();
        }) {}

  ~WatchStream() {
    m_client.stop();
    m_thread.join();
  }
  WatchStream(const WatchStream&) = delete;
  WatchStream& operator=(const WatchStream&) = delete;

  // The next event, if one arrives in time.
  std::optional<json> next(std::chrono::milliseconds timeout = 3s) {
    std::unique_lock lock(m_mutex);
    m_changed.wait_for(lock, timeout, [&] { return !m_events.empty() || m_ended; });
    if (m_events.empty()) {
      return std::nullopt;
    }
    auto event = std::move(m_events.front());
    m_events.pop_front();
    return event;
  }
  // The next event that is not a BOOKMARK.
  std::optional<json> next_change(std::chrono::milliseconds timeout = 3s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto event = next(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
      if (!event || (*event)["type"] != "BOOKMARK") {
        return event;
      }
    }
    return std::nullopt;
  }
  bool wait_end(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, timeout, [&] { return m_ended; });
  }
  bool clean_end() {
    const std::lock_guard lock(m_mutex);
    return m_clean_end;
  }

private:
  httplib::Client m_client;
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::string m_buffer;
  std::deque<json> m_events;
  bool m_ended = false;
  bool m_clean_end = false;
  int m_status = 0;
  std::thread m_thread;
};

// Waits until the server counts `count` open watches (the stream has been set up server side).
void wait_for_watches(const ApiServer& server, std::size_t count) {
  for (int i = 0; i < 500 && server.open_watches() < count; ++i) {
    std::this_thread::sleep_for(2ms);
  }
}

class ApiServerTest : public ::testing::Test {
protected:
  void SetUp() override {
    Options options;
    options.bookmark_interval = 200ms;
    configure_server(options);
    server = std::make_unique<ApiServer>(options);
    server->start();
    api = std::make_unique<Api>(*server, options.token);
    if (options.token.empty()) {
      ASSERT_EQ(
          api->post("/api/v1/namespaces",
                    {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "fleet-default"}}}})
              .status,
          201);
    }
  }
  // What a derived test changes in the server's options.
  virtual void configure_server(Options& /*options*/) {}

  std::unique_ptr<ApiServer> server;
  std::unique_ptr<Api> api;
};

// ------------------------------------------------------------------------------------------- discovery

TEST_F(ApiServerTest, DiscoveryListsGroupsAndResourcesLikeKubeApiserver) {
  const auto core = api->get("/api");
  EXPECT_EQ(core.body["kind"], "APIVersions");
  EXPECT_EQ(core.body["versions"], json::array({"v1"}));
  const auto groups = api->get("/apis");
  ASSERT_EQ(groups.body["kind"], "APIGroupList");
  std::vector<std::string> names;
  for (const auto& group : groups.body["groups"]) {
    names.push_back(group["name"]);
  }
  EXPECT_THAT(names, ::testing::IsSupersetOf({"herd.suse.com", "fleet.cattle.io", "coordination.k8s.io"}));
  const auto herd = api->get("/apis/herd.suse.com/v1");
  ASSERT_EQ(herd.body["kind"], "APIResourceList");
  EXPECT_EQ(herd.body["groupVersion"], "herd.suse.com/v1");
  const auto& stacks = herd.body["resources"][0];
  EXPECT_EQ(stacks["name"], "stacks");
  EXPECT_EQ(stacks["kind"], "Stack");
  EXPECT_EQ(stacks["namespaced"], true);
  EXPECT_EQ(stacks["shortNames"], json::array({"stk"}));
  EXPECT_EQ(herd.body["resources"][1]["name"], "stacks/status");
  EXPECT_EQ(api->get("/apis/nothing.example.com/v1").status, 404);
}

// The served custom resources are the ones their CRDs declare (names, scope, status subresource, columns).
TEST_F(ApiServerTest, BuiltInCustomResourcesMatchTheirCrds) {
  const std::string source = HERD_SOURCE_DIR;
  std::vector<std::string> files = {source + "/manifests/crds/herd.suse.com_stacks.yaml"};
  for (const char* name : {"bundles", "bundledeployments", "clusters", "clustergroups", "helmops"}) {
    files.push_back(source + "/../shared/reference/fleet/" + name + ".fleet.cattle.io.yaml");
  }
  for (const auto& file : files) {
    if (!std::filesystem::exists(file)) {
      GTEST_SKIP() << file << " not found (the shared reference sits next to the repository)";
    }
    std::ifstream stream(file);
    json crd;
    herd::core::read_yaml_stream(stream, file,
                                 [&](herd::core::YamlDocument& document) { crd = document.value; });
    const auto expected = herd::test_apiserver::resource_type_from_crd(crd);
    const herd::test_apiserver::ResourceType* served = nullptr;
    const auto types = herd::test_apiserver::default_resource_types();
    for (const auto& type : types) {
      if (type.group == expected.group && type.plural == expected.plural) {
        served = &type;
      }
    }
    ASSERT_NE(served, nullptr) << file;
    EXPECT_EQ(served->version, expected.version) << file;
    EXPECT_EQ(served->kind, expected.kind) << file;
    EXPECT_EQ(served->list_kind, expected.list_kind) << file;
    EXPECT_EQ(served->singular, expected.singular) << file;
    EXPECT_EQ(served->namespaced, expected.namespaced) << file;
    EXPECT_EQ(served->status_subresource, expected.status_subresource) << file;
    EXPECT_EQ(served->short_names, expected.short_names) << file;
    EXPECT_EQ(served->categories, expected.categories) << file;
    ASSERT_EQ(served->printer_columns.size(), expected.printer_columns.size()) << file;
    for (std::size_t i = 0; i < expected.printer_columns.size(); ++i) {
      EXPECT_EQ(served->printer_columns[i].name, expected.printer_columns[i].name) << file;
      EXPECT_EQ(served->printer_columns[i].json_path, expected.printer_columns[i].json_path) << file;
      EXPECT_EQ(served->printer_columns[i].type, expected.printer_columns[i].type) << file;
    }
  }
}

// --------------------------------------------------------------------------------------------- create

TEST_F(ApiServerTest, CreateSetsUidTimestampResourceVersionAndGenerationAndDropsStatus) {
  auto object = stack("a");
  object["status"] = {{"phase", "Deployed"}};
  object["metadata"]["uid"] = "client-chosen";
  const auto created = api->post(kStacks, object);
  ASSERT_EQ(created.status, 201) << created.text;
  const auto& meta = created.body["metadata"];
  EXPECT_THAT(meta["uid"].get<std::string>(),
              ::testing::MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
  EXPECT_THAT(meta["creationTimestamp"].get<std::string>(),
              ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"));
  EXPECT_TRUE(meta["resourceVersion"].is_string());
  EXPECT_EQ(meta["generation"], 1);
  EXPECT_FALSE(created.body.contains("status"))
      << "create cannot set status when the status subresource exists";
  EXPECT_EQ(api->get(kStacks + "/a").body, created.body);
}

TEST_F(ApiServerTest, CreatingAnExistingNameIs409AlreadyExists) {
  ASSERT_EQ(api->post(kStacks, stack("a")).status, 201);
  const auto again = api->post(kStacks, stack("a"));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.body["kind"], "Status");
  EXPECT_EQ(again.body["apiVersion"], "v1");
  EXPECT_EQ(again.body["status"], "Failure");
  EXPECT_EQ(again.body["reason"], "AlreadyExists");
  EXPECT_EQ(again.body["code"], 409);
  EXPECT_EQ(again.body["message"], "stacks.herd.suse.com \"a\" already exists");
  EXPECT_EQ(again.body["details"], json({{"name", "a"}, {"group", "herd.suse.com"}, {"kind", "stacks"}}));
}

TEST_F(ApiServerTest, GenerateNameGivesEachCreateAFreshName) {
  json object = config_map("");
  object["metadata"].erase("name");
  object["metadata"]["generateName"] = "herd-";
  const auto first = api->post(kConfigMaps, object);
  const auto second = api->post(kConfigMaps, object);
  ASSERT_EQ(first.status, 201);
  ASSERT_EQ(second.status, 201);
  EXPECT_THAT(first.body["metadata"]["name"].get<std::string>(), ::testing::MatchesRegex("herd-[a-z0-9]{5}"));
  EXPECT_NE(first.body["metadata"]["name"], second.body["metadata"]["name"]);
}

TEST_F(ApiServerTest, CreateIsRefusedInAMissingNamespaceAndForAnInvalidName) {
  auto elsewhere = stack("a");
  elsewhere["metadata"]["namespace"] = "nowhere";
  const auto missing = api->post("/apis/herd.suse.com/v1/namespaces/nowhere/stacks", elsewhere);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["message"], "namespaces \"nowhere\" not found");
  const auto bad_name = api->post(kStacks, stack("Not_A_Name"));
  EXPECT_EQ(bad_name.status, 422);
  EXPECT_EQ(bad_name.body["reason"], "Invalid");
  EXPECT_EQ(bad_name.body["details"]["causes"][0]["field"], "metadata.name");
  auto mismatch = stack("a");
  mismatch["metadata"]["namespace"] = "kube-system";
  EXPECT_EQ(api->post(kStacks, mismatch).status, 400);
}

TEST_F(ApiServerTest, GetOfAMissingObjectIs404NotFoundStatus) {
  const auto reply = api->get(kStacks + "/missing");
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.body["reason"], "NotFound");
  EXPECT_EQ(reply.body["message"], "stacks.herd.suse.com \"missing\" not found");
  EXPECT_EQ(api->get(kConfigMaps + "/missing").body["message"], "configmaps \"missing\" not found");
  EXPECT_EQ(api->get("/apis/herd.suse.com/v1/stacks/missing").status, 404)
      << "namespaced: only via its namespace";
}

// ---------------------------------------------------------------------------------- resourceVersion

TEST_F(ApiServerTest, EveryWriteGetsANewResourceVersionAndNoOpsDoNot) {
  const auto created = api->post(kStacks, stack("a"));
  const auto rv1 = rv_of(created.body);
  EXPECT_EQ(rv_of(api->get(kStacks).body), rv1) << "a list's resourceVersion is the newest";

  auto object = created.body;
  object["spec"]["paused"] = true;
  const auto updated = api->put(kStacks + "/a", object);
  const auto rv2 = rv_of(updated.body);
  const auto patched = api->merge_patch(kStacks + "/a", {{"metadata", {{"labels", {{"x", "y"}}}}}});
  const auto rv3 = rv_of(patched.body);
  const auto status = api->merge_patch(kStacks + "/a/status", {{"status", {{"phase", "Pending"}}}});
  const auto rv4 = rv_of(status.body);
  EXPECT_LT(std::stoull(rv1), std::stoull(rv2));
  EXPECT_LT(std::stoull(rv2), std::stoull(rv3));
  EXPECT_LT(std::stoull(rv3), std::stoull(rv4));

  // Writing the same object again changes nothing, so nothing is written (etcd3's GuaranteedUpdate).
  const auto same = api->put(kStacks + "/a", status.body);
  EXPECT_EQ(same.status, 200);
  EXPECT_EQ(rv_of(same.body), rv4);
  EXPECT_EQ(server->resource_version(), rv4);

  const auto deleted = api->del(kStacks + "/a");
  EXPECT_LT(std::stoull(rv4), std::stoull(rv_of(deleted.body)));
  EXPECT_EQ(server->resource_version(), rv_of(deleted.body));
}

TEST_F(ApiServerTest, UpdateWithAStaleResourceVersionIs409Conflict) {
  const auto created = api->post(kStacks, stack("a"));
  auto first = created.body;
  first["spec"]["paused"] = true;
  ASSERT_EQ(api->put(kStacks + "/a", first).status, 200);
  auto stale = created.body;
  stale["spec"]["paused"] = false;
  const auto reply = api->put(kStacks + "/a", stale);
  EXPECT_EQ(reply.status, 409);
  EXPECT_EQ(reply.body["reason"], "Conflict");
  EXPECT_EQ(reply.body["message"], "Operation cannot be fulfilled on stacks.herd.suse.com \"a\": the object "
                                   "has been modified; please apply "
                                   "your changes to the latest version and try again");
  // A merge patch naming a stale resourceVersion is a precondition too.
  EXPECT_EQ(
      api->merge_patch(kStacks + "/a", {{"metadata", {{"resourceVersion", rv_of(created.body)}}}}).status,
      409);
}

// customResourceStrategy.AllowUnconditionalUpdate is false; configMapStrategy's is true.
TEST_F(ApiServerTest, UpdateWithoutResourceVersionIsRefusedForCustomResourcesOnly) {
  auto created = api->post(kStacks, stack("a")).body;
  created["metadata"].erase("resourceVersion");
  const auto refused = api->put(kStacks + "/a", created);
  EXPECT_EQ(refused.status, 422);
  EXPECT_EQ(refused.body["details"]["causes"][0]["field"], "metadata.resourceVersion");
  EXPECT_THAT(refused.body["message"].get<std::string>(), HasSubstr("must be specified for an update"));

  ASSERT_EQ(api->post(kConfigMaps, config_map("c")).status, 201);
  const auto unconditional = api->put(kConfigMaps + "/c", config_map("c", {{"a", "2"}}));
  EXPECT_EQ(unconditional.status, 200);
  EXPECT_EQ(unconditional.body["data"]["a"], "2");
}

// AllowCreateOnUpdate: false for custom resources, true for Leases (leader election creates with PUT).
TEST_F(ApiServerTest, PutCreatesLeasesButNeverCustomResources) {
  EXPECT_EQ(api->put(kStacks + "/a", stack("a")).status, 404);
  const json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                      {"kind", "Lease"},
                      {"metadata", {{"name", "herd-controller"}, {"namespace", "default"}}},
                      {"spec", {{"holderIdentity", "pod-1"}, {"leaseDurationSeconds", 15}}}};
  const auto created = api->put(kLeases + "/herd-controller", lease);
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.body["spec"]["holderIdentity"], "pod-1");
}

// --------------------------------------------------------------------------------- generation, status

TEST_F(ApiServerTest, GenerationGrowsWhenTheSpecChangesButNotForMetadataOrStatus) {
  auto object = api->post(kStacks, stack("a")).body;
  object["metadata"]["labels"]["team"] = "ai";
  object["metadata"]["annotations"] = {{"note", "x"}};
  object = api->put(kStacks + "/a", object).body;
  EXPECT_EQ(object["metadata"]["generation"], 1);
  object = api->merge_patch(kStacks + "/a/status", {{"status", {{"phase", "Deploying"}}}}).body;
  EXPECT_EQ(object["metadata"]["generation"], 1);
  object = api->merge_patch(kStacks + "/a", {{"spec", {{"paused", true}}}}).body;
  EXPECT_EQ(object["metadata"]["generation"], 2);
  object = api->merge_patch(kStacks + "/a", {{"spec", {{"paused", false}}}}).body;
  EXPECT_EQ(object["metadata"]["generation"], 3);
}

TEST_F(ApiServerTest, TheMainResourceIgnoresStatusChanges) {
  api->post(kStacks, stack("a"));
  const auto with_status =
      api->merge_patch(kStacks + "/a/status", {{"status", {{"phase", "Deployed"}}}}).body;
  auto object = with_status;
  object["status"]["phase"] = "Failed";
  object["spec"]["paused"] = true;
  const auto updated = api->put(kStacks + "/a", object).body;
  EXPECT_EQ(updated["status"]["phase"], "Deployed");
  EXPECT_EQ(updated["spec"]["paused"], true);
  const auto patched = api->merge_patch(kStacks + "/a", {{"status", {{"phase", "Failed"}}}}).body;
  EXPECT_EQ(patched["status"]["phase"], "Deployed");
}

// statusStrategy.PrepareForUpdate keeps everything of the stored object except status.
TEST_F(ApiServerTest, TheStatusSubresourceChangesOnlyStatus) {
  const auto created = api->post(kStacks, stack("a")).body;
  auto object = created;
  object["spec"]["paused"] = true;
  object["metadata"]["labels"]["sneaky"] = "yes";
  object["status"] = {{"phase", "Deploying"}, {"observedGeneration", 1}};
  const auto reply = api->put(kStacks + "/a/status", object);
  ASSERT_EQ(reply.status, 200) << reply.text;
  EXPECT_EQ(reply.body["status"]["phase"], "Deploying");
  EXPECT_EQ(reply.body["spec"], created["spec"]);
  EXPECT_FALSE(reply.body["metadata"]["labels"].contains("sneaky"));
  EXPECT_EQ(reply.body["metadata"]["generation"], 1);
  EXPECT_EQ(api->get(kStacks + "/a/status").body, reply.body);
  // The status update checks resourceVersion like any update.
  EXPECT_EQ(api->put(kStacks + "/a/status", object).status, 409);
  EXPECT_EQ(api->get("/api/v1/namespaces/default/configmaps/x/status").status, 404)
      << "no status subresource";
}

// ----------------------------------------------------------------------------------- delete, finalizers

TEST_F(ApiServerTest, DeleteWithFinalizersMarksTheObjectUntilTheLastFinalizerIsRemoved) {
  auto object = stack("a");
  object["metadata"]["finalizers"] = {"herd.suse.com/bundles"};
  const auto created = api->post(kStacks, object).body;
  WatchStream watch(*server, kStacks + "?watch=1&resourceVersion=" + rv_of(created));
  wait_for_watches(*server, 1);

  const auto marked = api->del(kStacks + "/a");
  ASSERT_EQ(marked.status, 200);
  EXPECT_TRUE(marked.body["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(marked.body["metadata"]["deletionGracePeriodSeconds"], 0);
  EXPECT_EQ(api->get(kStacks + "/a").status, 200) << "still there while a finalizer remains";
  EXPECT_EQ(watch.next_change()->at("type"), "MODIFIED");

  // No finalizer can be added once deletion started.
  EXPECT_EQ(
      api->merge_patch(kStacks + "/a", {{"metadata", {{"finalizers", {"herd.suse.com/bundles", "other"}}}}})
          .status,
      422);
  const auto released = api->merge_patch(kStacks + "/a", {{"metadata", {{"finalizers", nullptr}}}});
  EXPECT_EQ(released.status, 200);
  EXPECT_EQ(api->get(kStacks + "/a").status, 404);
  const auto deleted = watch.next_change();
  ASSERT_TRUE(deleted);
  EXPECT_EQ((*deleted)["type"], "DELETED");
  EXPECT_EQ((*deleted)["object"]["metadata"]["name"], "a");
}

// Custom resources answer DELETE with the object (ReturnDeletedObject); built-ins with a Success Status.
TEST_F(ApiServerTest, DeleteWithoutFinalizersIsImmediate) {
  api->post(kStacks, stack("a"));
  const auto stack_reply = api->del(kStacks + "/a");
  EXPECT_EQ(stack_reply.status, 200);
  EXPECT_EQ(stack_reply.body["kind"], "Stack");
  EXPECT_EQ(api->get(kStacks + "/a").status, 404);
  EXPECT_EQ(api->del(kStacks + "/a").status, 404);

  const auto cm = api->post(kConfigMaps, config_map("c")).body;
  const auto cm_reply = api->del(kConfigMaps + "/c");
  EXPECT_EQ(cm_reply.body["kind"], "Status");
  EXPECT_EQ(cm_reply.body["status"], "Success");
  EXPECT_EQ(cm_reply.body["details"]["uid"], cm["metadata"]["uid"]);
}

TEST_F(ApiServerTest, DeletePreconditionsMustMatch) {
  const auto created = api->post(kStacks, stack("a")).body;
  const auto wrong_rv = api->del(
      kStacks + "/a",
      {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"preconditions", {{"resourceVersion", "1"}}}});
  EXPECT_EQ(wrong_rv.status, 409);
  EXPECT_THAT(wrong_rv.body["message"].get<std::string>(), HasSubstr("Precondition failed"));
  EXPECT_EQ(api->del(kStacks + "/a", {{"preconditions", {{"uid", "other"}}}}).status, 409);
  EXPECT_EQ(api->del(kStacks + "/a", {{"preconditions", {{"uid", created["metadata"]["uid"]}}}}).status, 200);
}

TEST_F(ApiServerTest, DeleteCollectionDeletesWhatTheSelectorMatches) {
  api->post(kStacks, stack("a", {{"team", "ai"}}));
  api->post(kStacks, stack("b", {{"team", "ai"}}));
  api->post(kStacks, stack("c", {{"team", "web"}}));
  const auto reply = api->del(kStacks + "?labelSelector=team%3Dai");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body["items"].size(), 2U);
  const auto left = api->get(kStacks).body["items"];
  ASSERT_EQ(left.size(), 1U);
  EXPECT_EQ(left[0]["metadata"]["name"], "c");
}

TEST_F(ApiServerTest, DeletingANamespaceDeletesItsObjectsThenItself) {
  api->post("/api/v1/namespaces",
            {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "team"}}}});
  api->post("/api/v1/namespaces/team/configmaps", config_map("c"));
  auto held = stack("s");
  held["metadata"]["namespace"] = "team";
  held["metadata"]["finalizers"] = {"herd.suse.com/bundles"};
  api->post("/apis/herd.suse.com/v1/namespaces/team/stacks", held);

  const auto terminating = api->del("/api/v1/namespaces/team");
  EXPECT_EQ(terminating.body["status"]["phase"], "Terminating");
  EXPECT_EQ(api->get("/api/v1/namespaces/team/configmaps/c").status, 404);
  EXPECT_EQ(api->get("/api/v1/namespaces/team").status, 200) << "the Stack's finalizer holds the namespace";
  EXPECT_EQ(api->post("/api/v1/namespaces/team/configmaps", config_map("d")).status, 403);
  api->merge_patch("/apis/herd.suse.com/v1/namespaces/team/stacks/s",
                   {{"metadata", {{"finalizers", nullptr}}}});
  EXPECT_EQ(api->get("/api/v1/namespaces/team").status, 404);
}

// ------------------------------------------------------------------------------------------------ list

TEST_F(ApiServerTest, LabelSelectorsFilterLists) {
  api->post(kStacks, stack("prod-gpu", {{"env", "prod"}, {"gpu", "a100"}}));
  api->post(kStacks, stack("prod", {{"env", "prod"}}));
  api->post(kStacks, stack("dev", {{"env", "dev"}}));
  api->post(kStacks, stack("bare"));
  const auto names = [&](const std::string& selector) {
    std::vector<std::string> out;
    const auto reply = api->get(kStacks + "?labelSelector=" + url_encode(selector));
    for (const auto& item : reply.body["items"]) {
      out.push_back(item["metadata"]["name"]);
    }
    return out;
  };
  using ::testing::ElementsAre;
  EXPECT_THAT(names("env=prod"), ElementsAre("prod", "prod-gpu"));
  EXPECT_THAT(names("env==dev"), ElementsAre("dev"));
  EXPECT_THAT(names("env!=prod"), ElementsAre("bare", "dev")) << "no label at all satisfies !=";
  EXPECT_THAT(names("env in (dev,prod),gpu"), ElementsAre("prod-gpu"));
  EXPECT_THAT(names("env notin (prod)"), ElementsAre("bare", "dev"));
  EXPECT_THAT(names("!env"), ElementsAre("bare"));
  EXPECT_THAT(names("env,!gpu"), ElementsAre("dev", "prod"));
  EXPECT_EQ(api->get(kStacks + "?labelSelector=" + url_encode("env in prod")).status, 400);
}

TEST_F(ApiServerTest, FieldSelectorsSupportNameAndNamespaceOnly) {
  api->post(kStacks, stack("a"));
  api->post(kStacks, stack("b"));
  const auto one = api->get("/apis/herd.suse.com/v1/stacks?fieldSelector=metadata.name%3Db");
  ASSERT_EQ(one.body["items"].size(), 1U);
  EXPECT_EQ(one.body["items"][0]["metadata"]["name"], "b");
  EXPECT_EQ(api->get("/apis/herd.suse.com/v1/stacks?fieldSelector=metadata.namespace!%3Ddefault")
                .body["items"]
                .size(),
            0U);
  const auto unsupported = api->get(kStacks + "?fieldSelector=spec.paused%3Dtrue");
  EXPECT_EQ(unsupported.status, 400);
  EXPECT_EQ(unsupported.body["message"], "field label not supported: spec.paused");
}

// Paging reads one snapshot: the list's resourceVersion stays and later writes do not show.
TEST_F(ApiServerTest, PagingWithLimitAndContinueReadsAConsistentSnapshot) {
  for (const char* name : {"a", "b", "c", "d", "e"}) {
    api->post(kStacks, stack(name));
  }
  const auto first = api->get(kStacks + "?limit=2").body;
  ASSERT_EQ(first["items"].size(), 2U);
  EXPECT_EQ(first["metadata"]["remainingItemCount"], 3);
  const auto snapshot = rv_of(first);

  api->del(kStacks + "/c");
  api->post(kStacks, stack("bb"));
  api->merge_patch(kStacks + "/d", {{"spec", {{"paused", true}}}});

  std::vector<std::string> names = {first["items"][0]["metadata"]["name"],
                                    first["items"][1]["metadata"]["name"]};
  std::string token = first["metadata"]["continue"];
  while (!token.empty()) {
    std::string next_page = kStacks + "?limit=2&continue=";
    next_page += token;
    const auto page = api->get(next_page).body;
    EXPECT_EQ(rv_of(page), snapshot);
    for (const auto& item : page["items"]) {
      names.push_back(item["metadata"]["name"]);
      if (item["metadata"]["name"] == "d") {
        EXPECT_FALSE(item["spec"].contains("paused")) << "d as it was at the snapshot";
      }
    }
    token = page["metadata"].value("continue", "");
  }
  EXPECT_THAT(names, ::testing::ElementsAre("a", "b", "c", "d", "e"));
  EXPECT_EQ(api->get(kStacks).body["items"].size(), 5U) << "a list without continue is current: bb, not c";
  EXPECT_EQ(api->get(kStacks + "?limit=2&continue=garbage").status, 400);
  EXPECT_EQ(
      api->get(kStacks + "?limit=2&resourceVersion=5&continue=" + std::string(first["metadata"]["continue"]))
          .status,
      400);
}

TEST_F(ApiServerTest, AContinueTokenOlderThanTheHistoryIs410Expired) {
  for (const char* name : {"a", "b", "c"}) {
    api->post(kStacks, stack(name));
  }
  const auto first = api->get(kStacks + "?limit=1").body;
  api->post(kStacks, stack("d"));
  server->compact_history();
  const auto expired = api->get(kStacks + "?limit=1&continue=" + std::string(first["metadata"]["continue"]));
  EXPECT_EQ(expired.status, 410);
  EXPECT_EQ(expired.body["reason"], "Expired");
  // The Status carries a token that continues without consistency, as kube-apiserver's does.
  const std::string inconsistent = expired.body["metadata"]["continue"];
  const auto rest = api->get(kStacks + "?limit=10&continue=" + inconsistent);
  EXPECT_EQ(rest.status, 200);
  EXPECT_EQ(rest.body["items"].size(), 3U);
}

TEST_F(ApiServerTest, ListAtAnExactResourceVersionShowsThePast) {
  api->post(kStacks, stack("a"));
  const auto before = server->resource_version();
  api->post(kStacks, stack("b"));
  const auto past = api->get(kStacks + "?resourceVersion=" + before + "&resourceVersionMatch=Exact");
  ASSERT_EQ(past.status, 200) << past.text;
  EXPECT_EQ(past.body["items"].size(), 1U);
  EXPECT_EQ(rv_of(past.body), before);
  EXPECT_EQ(api->get(kStacks + "?resourceVersionMatch=Exact").status, 422);
}

// Built-in lists leave apiVersion/kind out of items (typed Go lists); custom resource lists keep them.
TEST_F(ApiServerTest, ListItemsCarryKindOnlyForCustomResources) {
  api->post(kStacks, stack("a"));
  api->post(kConfigMaps, config_map("c"));
  const auto stacks = api->get(kStacks).body;
  EXPECT_EQ(stacks["kind"], "StackList");
  EXPECT_EQ(stacks["items"][0]["kind"], "Stack");
  const auto maps = api->get(kConfigMaps).body;
  EXPECT_EQ(maps["kind"], "ConfigMapList");
  EXPECT_FALSE(maps["items"][0].contains("kind"));
}

// ----------------------------------------------------------------------------------------------- watch

TEST_F(ApiServerTest, AWatchWithoutResourceVersionStartsWithTheCurrentObjects) {
  api->post(kStacks, stack("a"));
  api->post(kStacks, stack("b"));
  WatchStream watch(*server, kStacks + "?watch=true");
  EXPECT_EQ(watch.next()->at("type"), "ADDED");
  EXPECT_EQ(watch.next()->at("type"), "ADDED");
  api->post(kStacks, stack("c"));
  const auto added = watch.next();
  ASSERT_TRUE(added);
  EXPECT_EQ((*added)["type"], "ADDED");
  EXPECT_EQ((*added)["object"]["metadata"]["name"], "c");
  EXPECT_EQ((*added)["object"]["kind"], "Stack");
}

TEST_F(ApiServerTest, AWatchFromAResourceVersionGetsExactlyTheLaterEvents) {
  api->post(kStacks, stack("a"));
  const auto from = server->resource_version();
  api->merge_patch(kStacks + "/a", {{"spec", {{"paused", true}}}});
  api->post(kStacks, stack("b"));
  api->post(kConfigMaps, config_map("not-a-stack"));
  api->del(kStacks + "/a");
  WatchStream watch(*server, kStacks + "?watch=1&resourceVersion=" + from);
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    const auto event = watch.next();
    ASSERT_TRUE(event);
    seen.push_back((*event)["type"].get<std::string>() + " " +
                   (*event)["object"]["metadata"]["name"].get<std::string>());
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("MODIFIED a", "ADDED b", "DELETED a"));
  EXPECT_FALSE(watch.next(300ms)) << "nothing else";
}

// The watch cache answers an expired resourceVersion with HTTP 200 and an ERROR event carrying a 410 Status.
TEST_F(ApiServerTest, AWatchFromAResourceVersionOlderThanTheHistoryGetsAnError410) {
  api->post(kStacks, stack("a"));
  const auto old = server->resource_version();
  api->post(kStacks, stack("b"));
  server->compact_history();
  WatchStream watch(*server, kStacks + "?watch=1&resourceVersion=" + old);
  const auto error = watch.next();
  ASSERT_TRUE(error);
  EXPECT_EQ((*error)["type"], "ERROR");
  EXPECT_EQ((*error)["object"]["kind"], "Status");
  EXPECT_EQ((*error)["object"]["code"], 410);
  EXPECT_EQ((*error)["object"]["reason"], "Expired");
  EXPECT_THAT((*error)["object"]["message"].get<std::string>(), HasSubstr("too old resource version"));
  EXPECT_TRUE(watch.wait_end());
  EXPECT_TRUE(watch.clean_end());
}

class SmallHistoryTest : public ApiServerTest {
protected:
  void configure_server(Options& options) override { options.history_limit = 5; }
};

TEST_F(SmallHistoryTest, TheHistoryIsBoundedAndResumingBeyondItIs410) {
  const auto start = server->resource_version();
  for (int i = 0; i < 10; ++i) {
    api->post(kConfigMaps, config_map("c" + std::to_string(i)));
  }
  WatchStream expired(*server, kConfigMaps + "?watch=1&resourceVersion=" + start);
  EXPECT_EQ(expired.next()->at("type"), "ERROR");
  const auto recent = std::to_string(std::stoull(server->resource_version()) - 3);
  WatchStream fine(*server, kConfigMaps + "?watch=1&resourceVersion=" + recent);
  EXPECT_EQ(fine.next()->at("type"), "ADDED");
  EXPECT_EQ(api->get(kConfigMaps + "?limit=1&resourceVersion=" + start).status, 410);
}

TEST_F(ApiServerTest, BookmarksCarryOnlyTheResourceVersion) {
  api->post(kStacks, stack("a"));
  WatchStream watch(
      *server, kStacks + "?watch=1&allowWatchBookmarks=true&resourceVersion=" + server->resource_version());
  wait_for_watches(*server, 1);
  api->post(kConfigMaps, config_map("elsewhere")); // progress the Stack watch learns about from a bookmark
  const auto newest = server->resource_version();
  std::optional<json> bookmark;
  while ((bookmark = watch.next(2s))) {
    ASSERT_EQ((*bookmark)["type"], "BOOKMARK");
    ASSERT_EQ((*bookmark)["object"].size(), 3U);
    EXPECT_EQ((*bookmark)["object"]["kind"], "Stack");
    EXPECT_EQ((*bookmark)["object"]["apiVersion"], "herd.suse.com/v1");
    ASSERT_EQ((*bookmark)["object"]["metadata"].size(), 1U) << "only metadata.resourceVersion";
    if ((*bookmark)["object"]["metadata"]["resourceVersion"] == newest) {
      break;
    }
  }
  EXPECT_TRUE(bookmark) << "a bookmark at the newest resourceVersion";
  WatchStream without(*server, kStacks + "?watch=1&resourceVersion=" + server->resource_version());
  EXPECT_FALSE(without.next(500ms)) << "no bookmarks unless asked for";
}

TEST_F(ApiServerTest, SendInitialEventsEndsTheInitialObjectsWithAnAnnotatedBookmark) {
  api->post(kStacks, stack("a"));
  WatchStream watch(*server, kStacks + "?watch=1&sendInitialEvents=true&allowWatchBookmarks=true"
                                       "&resourceVersionMatch=NotOlderThan&resourceVersion=");
  EXPECT_EQ(watch.next()->at("type"), "ADDED");
  const auto end = watch.next();
  ASSERT_TRUE(end);
  EXPECT_EQ((*end)["type"], "BOOKMARK");
  EXPECT_EQ((*end)["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"], "true");
  EXPECT_EQ(api->get(kStacks + "?watch=1&sendInitialEvents=true").status, 422);
}

TEST_F(ApiServerTest, TimeoutSecondsEndsTheWatchCleanly) {
  const auto start = std::chrono::steady_clock::now();
  WatchStream watch(*server,
                    kStacks + "?watch=1&timeoutSeconds=1&resourceVersion=" + server->resource_version());
  ASSERT_TRUE(watch.wait_end(5s));
  EXPECT_TRUE(watch.clean_end());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
}

// cacheWatcher.convertToWatchEvent: an object entering or leaving the selection is ADDED or DELETED for it.
TEST_F(ApiServerTest, WatchSelectorsFilterEventsAndTurnLabelChangesIntoAddedOrDeleted) {
  api->post(kStacks, stack("a"));
  WatchStream watch(
      *server, kStacks + "?watch=1&labelSelector=team%3Dai&resourceVersion=" + server->resource_version());
  wait_for_watches(*server, 1);
  api->post(kStacks, stack("other", {{"team", "web"}}));
  api->merge_patch(kStacks + "/a", {{"metadata", {{"labels", {{"team", "ai"}}}}}});
  api->merge_patch(kStacks + "/a", {{"spec", {{"paused", true}}}});
  api->merge_patch(kStacks + "/a", {{"metadata", {{"labels", {{"team", "web"}}}}}});
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    const auto event = watch.next();
    ASSERT_TRUE(event);
    seen.push_back((*event)["type"].get<std::string>() + " " +
                   (*event)["object"]["metadata"]["name"].get<std::string>());
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("ADDED a", "MODIFIED a", "DELETED a"));
  WatchStream one(*server, kStacks + "?watch=1&fieldSelector=metadata.name%3Dother");
  EXPECT_EQ(one.next()->at("object")["metadata"]["name"], "other");
  EXPECT_FALSE(one.next(200ms));
}

TEST_F(ApiServerTest, ManyConcurrentWatchesAllSeeEveryEvent) {
  constexpr int kWatches = 40;
  std::vector<std::unique_ptr<WatchStream>> watches;
  const auto from = server->resource_version();
  const std::string watch_path = kStacks + "?watch=1&resourceVersion=" + from;
  watches.reserve(kWatches);
  for (int i = 0; i < kWatches; ++i) {
    watches.push_back(std::make_unique<WatchStream>(*server, watch_path));
  }
  wait_for_watches(*server, kWatches);
  EXPECT_EQ(server->open_watches(), static_cast<std::size_t>(kWatches));
  api->post(kStacks, stack("a"));
  for (auto& watch : watches) {
    const auto event = watch->next();
    ASSERT_TRUE(event);
    EXPECT_EQ((*event)["object"]["metadata"]["name"], "a");
  }
  EXPECT_EQ(api->get(kStacks).status, 200) << "watches do not starve other requests";
}

// ---------------------------------------------------------------------------------- server-side apply

TEST_F(ApiServerTest, ApplyCreatesAnAbsentObjectOwnedByItsFieldManager) {
  const auto reply = api->apply(kBundles + "/b?fieldManager=herd-controller", bundle("b"));
  ASSERT_EQ(reply.status, 201) << reply.text;
  EXPECT_EQ(reply.body["spec"]["helm"]["chart"], "ollama");
  const auto& managed = reply.body["metadata"]["managedFields"];
  ASSERT_EQ(managed.size(), 1U);
  EXPECT_EQ(managed[0]["manager"], "herd-controller");
  EXPECT_EQ(managed[0]["operation"], "Apply");
  EXPECT_EQ(managed[0]["fieldsType"], "FieldsV1");
  EXPECT_TRUE(managed[0]["fieldsV1"]["f:spec"]["f:helm"].contains("f:chart"));
  EXPECT_TRUE(managed[0]["fieldsV1"]["f:metadata"]["f:labels"].contains("f:herd.suse.com/stack"));
}

TEST_F(ApiServerTest, ApplyRequiresAFieldManager) {
  const auto reply = api->apply(kBundles + "/b", bundle("b"));
  EXPECT_EQ(reply.status, 422);
  EXPECT_EQ(
      reply.body["message"],
      "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
  EXPECT_EQ(api->merge_patch(kBundles + "/b?force=true", json::object()).status, 422)
      << "force is for apply only";
}

TEST_F(ApiServerTest, ReapplyingTheSameConfigurationWritesNothing) {
  const auto writes_before = server->writes().size();
  const auto first = api->apply(kBundles + "/b?fieldManager=herd-controller&force=true", bundle("b")).body;
  const auto second = api->apply(kBundles + "/b?fieldManager=herd-controller&force=true", bundle("b"));
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(rv_of(second.body), rv_of(first));
  EXPECT_EQ(server->writes().size(), writes_before + 1);
}

TEST_F(ApiServerTest, ApplyRemovesFieldsTheManagerStoppedApplyingUnlessOthersOwnThem) {
  auto config = bundle("b");
  config["spec"]["helm"]["values"] = {{"replicas", 2}};
  config["metadata"]["labels"]["old"] = "yes";
  api->apply(kBundles + "/b?fieldManager=herd-controller", config);
  // Another manager sets a label of its own.
  api->merge_patch(kBundles + "/b?fieldManager=kubectl-label",
                   {{"metadata", {{"labels", {{"owner", "ops"}}}}}});

  auto next = bundle("b");
  next["spec"]["helm"].erase("version");
  const auto reply = api->apply(kBundles + "/b?fieldManager=herd-controller", next);
  ASSERT_EQ(reply.status, 200) << reply.text;
  EXPECT_FALSE(reply.body["spec"]["helm"].contains("values"));
  EXPECT_FALSE(reply.body["spec"]["helm"].contains("version"));
  EXPECT_FALSE(reply.body["metadata"]["labels"].contains("old"));
  EXPECT_EQ(reply.body["metadata"]["labels"]["owner"], "ops") << "owned by kubectl-label";
  EXPECT_EQ(reply.body["metadata"]["generation"], 2);
}

TEST_F(ApiServerTest, ApplyingOverAnotherManagersValueIsA409ConflictNamingFieldAndManager) {
  api->apply(kBundles + "/b?fieldManager=herd-controller", bundle("b"));
  api->merge_patch(kBundles + "/b?fieldManager=kubectl-edit", {{"spec", {{"helm", {{"version", "2.0.0"}}}}}});
  const auto reply = api->apply(kBundles + "/b?fieldManager=herd-controller", bundle("b"));
  EXPECT_EQ(reply.status, 409);
  EXPECT_EQ(reply.body["reason"], "Conflict");
  EXPECT_EQ(reply.body["message"],
            "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using fleet.cattle.io/v1alpha1: "
            ".spec.helm.version");
  EXPECT_EQ(reply.body["details"]["causes"],
            json::array({{{"reason", "FieldManagerConflict"},
                          {"message", "conflict with \"kubectl-edit\" using fleet.cattle.io/v1alpha1"},
                          {"field", ".spec.helm.version"}}}));
  EXPECT_EQ(api->get(kBundles + "/b").body["spec"]["helm"]["version"], "2.0.0") << "nothing changed";
}

TEST_F(ApiServerTest, ForcedApplyTakesOwnershipOfConflictingFields) {
  api->apply(kBundles + "/b?fieldManager=herd-controller", bundle("b"));
  api->merge_patch(kBundles + "/b?fieldManager=kubectl-edit", {{"spec", {{"helm", {{"version", "2.0.0"}}}}}});
  const auto reply = api->apply(kBundles + "/b?fieldManager=herd-controller&force=true", bundle("b"));
  ASSERT_EQ(reply.status, 200) << reply.text;
  EXPECT_EQ(reply.body["spec"]["helm"]["version"], "1.0.0");
  for (const auto& entry : reply.body["metadata"]["managedFields"]) {
    EXPECT_NE(entry["manager"], "kubectl-edit") << "it owned only the field it lost";
  }
}

TEST_F(ApiServerTest, ApplyingTheSameValueAsAnotherManagerSharesOwnership) {
  api->apply(kBundles + "/b?fieldManager=first", bundle("b"));
  const auto shared = api->apply(kBundles + "/b?fieldManager=second", bundle("b"));
  EXPECT_EQ(shared.status, 200);
  EXPECT_EQ(shared.body["metadata"]["managedFields"].size(), 2U);
  // The first manager walks away from the field: the second still holds it, so it stays.
  auto without_version = bundle("b");
  without_version["spec"]["helm"].erase("version");
  const auto after = api->apply(kBundles + "/b?fieldManager=first", without_version);
  EXPECT_EQ(after.body["spec"]["helm"]["version"], "1.0.0");
}

TEST_F(ApiServerTest, ApplyToTheMainResourceIgnoresStatusAndToStatusIgnoresTheRest) {
  auto config = bundle("b");
  config["status"] = {{"summary", {{"ready", 1}}}};
  const auto created = api->apply(kBundles + "/b?fieldManager=herd-controller", config).body;
  EXPECT_FALSE(created.contains("status"));
  auto status_config = bundle("b");
  status_config["spec"]["helm"]["version"] = "9.9.9";
  status_config["status"] = {{"summary", {{"ready", 1}}}};
  const auto reply = api->apply(kBundles + "/b/status?fieldManager=fleet-controller", status_config);
  ASSERT_EQ(reply.status, 200) << reply.text;
  EXPECT_EQ(reply.body["status"]["summary"]["ready"], 1);
  EXPECT_EQ(reply.body["spec"]["helm"]["version"], "1.0.0");
  bool status_entry = false;
  for (const auto& entry : reply.body["metadata"]["managedFields"]) {
    status_entry |= entry["manager"] == "fleet-controller" && entry.value("subresource", "") == "status";
  }
  EXPECT_TRUE(status_entry);
}

TEST_F(ApiServerTest, ApplyAcceptsYamlBodies) {
  const std::string yaml = "apiVersion: v1\n"
                           "kind: ConfigMap\n"
                           "metadata:\n"
                           "  name: from-yaml\n"
                           "data:\n"
                           "  enabled: \"yes\"\n";
  const auto reply = api->apply(kConfigMaps + "/from-yaml?fieldManager=kubectl", yaml);
  ASSERT_EQ(reply.status, 201) << reply.text;
  EXPECT_EQ(reply.body["data"]["enabled"], "yes");
  EXPECT_EQ(api->apply(kConfigMaps + "/x?fieldManager=kubectl", std::string("a: [unclosed")).status, 400);
}

// ---------------------------------------------------------------------------------------------- patches

TEST_F(ApiServerTest, MergeAndJsonPatchesFollowTheirRfcs) {
  api->post(kConfigMaps, config_map("c", {{"a", "1"}, {"b", "2"}}));
  const auto merged = api->merge_patch(kConfigMaps + "/c", {{"data", {{"a", nullptr}, {"c", "3"}}}});
  EXPECT_EQ(merged.body["data"], json({{"b", "2"}, {"c", "3"}}));
  const auto patched = api->json_patch(kConfigMaps + "/c",
                                       json::array({{{"op", "replace"}, {"path", "/data/b"}, {"value", "20"}},
                                                    {{"op", "add"}, {"path", "/data/d"}, {"value", "4"}}}));
  EXPECT_EQ(patched.body["data"], json({{"b", "20"}, {"c", "3"}, {"d", "4"}}));
  const auto failed_test = api->json_patch(
      kConfigMaps + "/c", json::array({{{"op", "test"}, {"path", "/data/b"}, {"value", "nope"}}}));
  EXPECT_EQ(failed_test.status, 422);
  EXPECT_EQ(api->json_patch(kConfigMaps + "/c", json{{"op", "add"}}).status, 400);
  EXPECT_EQ(api->merge_patch(kConfigMaps + "/missing", json::object()).status, 404);
}

TEST_F(ApiServerTest, StrategicMergePatchIsUnsupportedForCustomResources) {
  api->post(kStacks, stack("a"));
  const auto reply = api->call("PATCH", kStacks + "/a", "{}", "application/strategic-merge-patch+json");
  EXPECT_EQ(reply.status, 415);
  EXPECT_EQ(reply.body["reason"], "UnsupportedMediaType");
  api->post(kConfigMaps, config_map("c"));
  EXPECT_EQ(api->call("PATCH", kConfigMaps + "/c", R"({"data":{"x":"y"}})",
                      "application/strategic-merge-patch+json")
                .status,
            200);
}

// ---------------------------------------------------------------------------------------------- dry run

TEST_F(ApiServerTest, DryRunValidatesButPersistsNothing) {
  const auto before = server->resource_version();
  const auto created = api->post(kStacks + "?dryRun=All", stack("a"));
  EXPECT_EQ(created.status, 201);
  EXPECT_FALSE(created.body["metadata"].contains("resourceVersion"));
  EXPECT_EQ(api->get(kStacks + "/a").status, 404);
  EXPECT_EQ(api->apply(kBundles + "/b?fieldManager=m&dryRun=All", bundle("b")).status, 201);
  EXPECT_EQ(api->get(kBundles + "/b").status, 404);

  api->post(kStacks, stack("a"));
  const auto rv = server->resource_version();
  EXPECT_EQ(api->post(kStacks + "?dryRun=All", stack("a")).status, 409) << "validation still runs";
  EXPECT_EQ(
      api->merge_patch(kStacks + "/a?dryRun=All", {{"spec", {{"paused", true}}}}).body["spec"]["paused"],
      true);
  EXPECT_EQ(api->del(kStacks + "/a?dryRun=All").status, 200);
  EXPECT_EQ(api->get(kStacks + "/a").status, 200);
  EXPECT_FALSE(api->get(kStacks + "/a").body["spec"].contains("paused"));
  EXPECT_EQ(server->resource_version(), rv);
  EXPECT_NE(before, rv);
  EXPECT_EQ(api->post(kStacks + "?dryRun=Some", stack("z")).status, 422);
}

// ----------------------------------------------------------------------------------------------- faults

TEST_F(ApiServerTest, FailNextRequestsWith429AndRetryAfter) {
  FaultRule rule;
  rule.method = "GET";
  rule.target_regex = "/stacks";
  rule.status = 429;
  rule.times = 2;
  rule.retry_after_seconds = 3;
  server->add_fault(rule);
  for (int i = 0; i < 2; ++i) {
    const auto reply = api->get(kStacks);
    EXPECT_EQ(reply.status, 429);
    EXPECT_EQ(reply.body["reason"], "TooManyRequests");
    EXPECT_EQ(reply.body["details"]["retryAfterSeconds"], 3);
    EXPECT_EQ(header(reply.headers, "Retry-After"), "3");
  }
  EXPECT_EQ(api->get(kStacks).status, 200);
  EXPECT_EQ(api->get(kConfigMaps).status, 200) << "other paths are not affected";
  EXPECT_EQ(server->request_count("GET", "/stacks$"), 3U);
}

TEST_F(ApiServerTest, FailEveryNthRequestWith500) {
  FaultRule rule;
  rule.target_regex = "/configmaps";
  rule.status = 500;
  rule.every_nth = 3;
  server->add_fault(rule);
  std::vector<int> statuses;
  statuses.reserve(6);
  for (int i = 0; i < 6; ++i) {
    statuses.push_back(api->get(kConfigMaps).status);
  }
  EXPECT_THAT(statuses, ::testing::ElementsAre(200, 200, 500, 200, 200, 500));
  server->clear_faults();
  EXPECT_EQ(api->get(kConfigMaps).status, 200);
}

TEST_F(ApiServerTest, LatencyDelaysMatchingRequests) {
  FaultRule rule;
  rule.method = "PATCH";
  rule.latency = 500ms;
  server->add_fault(rule);
  api->post(kConfigMaps, config_map("c"));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(api->merge_patch(kConfigMaps + "/c", {{"data", {{"x", "y"}}}}).status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 500ms);
  const auto quick = std::chrono::steady_clock::now();
  api->get(kConfigMaps + "/c");
  EXPECT_LT(std::chrono::steady_clock::now() - quick, 500ms) << "a GET does not match";
}

TEST_F(ApiServerTest, DroppedWatchesEndMidStream) {
  WatchStream watch(*server, kStacks + "?watch=1");
  wait_for_watches(*server, 1);
  server->drop_watches();
  ASSERT_TRUE(watch.wait_end());
  EXPECT_FALSE(watch.clean_end()) << "cut, not ended: the client sees a broken stream";
  EXPECT_EQ(server->open_watches(), 0U);
  WatchStream again(*server, kStacks + "?watch=1&resourceVersion=" + server->resource_version());
  api->post(kStacks, stack("a"));
  EXPECT_EQ(again.next()->at("type"), "ADDED") << "new watches work";
}

TEST_F(ApiServerTest, DroppedConnectionsGiveTheClientABrokenResponse) {
  FaultRule rule;
  rule.target_regex = "/configmaps";
  rule.drop_connection = true;
  rule.times = 1;
  server->add_fault(rule);
  EXPECT_NE(api->get(kConfigMaps).status, 200);
  EXPECT_EQ(api->get(kConfigMaps).status, 200);
}

TEST_F(ApiServerTest, StoppingRefusesConnectionsAndStartingServesTheSameStateOnTheSamePort) {
  api->post(kStacks, stack("a"));
  const int port = server->port();
  WatchStream watch(*server, kStacks + "?watch=1&resourceVersion=" + server->resource_version());
  wait_for_watches(*server, 1);
  server->stop();
  EXPECT_FALSE(server->listening());
  EXPECT_TRUE(watch.wait_end());
  const auto refused = api->get(kStacks + "/a");
  EXPECT_EQ(refused.status, -1);
  EXPECT_EQ(refused.text, "Connection");
  server->start();
  EXPECT_EQ(server->port(), port);
  EXPECT_EQ(api->get(kStacks + "/a").status, 200);
}

TEST_F(ApiServerTest, APauseOverHttpRefusesConnectionsForAWhile) {
  httplib::Client admin("127.0.0.1", server->port());
  const auto paused = admin.Post("/_test/pause?seconds=1", "", "application/json");
  ASSERT_TRUE(paused);
  EXPECT_EQ(paused->status, 202);
  bool refused = false;
  bool back = false;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline && !back) {
    const auto status = api->get("/api").status;
    refused |= status == -1;
    back = refused && status == 200;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(refused);
  EXPECT_TRUE(back);
}

TEST_F(ApiServerTest, FaultsCanBeInjectedOverHttpForOtherProcesses) {
  httplib::Client admin("127.0.0.1", server->port());
  const auto added = admin.Post(
      "/_test/faults", R"({"method":"GET","target":"/stacks","status":503,"times":1})", "application/json");
  ASSERT_TRUE(added);
  EXPECT_EQ(added->status, 201);
  const auto failed = api->get(kStacks);
  EXPECT_EQ(failed.status, 503);
  EXPECT_EQ(failed.body["reason"], "ServiceUnavailable");
  EXPECT_EQ(api->get(kStacks).status, 200);
  const auto log = json::parse(admin.Get("/_test/requests")->body);
  EXPECT_EQ(log.size(), 3U); // the namespace created in SetUp and the two GETs
  EXPECT_EQ(log[1]["status"], 503);
  ASSERT_TRUE(admin.Post("/_test/history/compact", "", "application/json"));
  WatchStream watch(*server, kStacks + "?watch=1&resourceVersion=1");
  EXPECT_EQ(watch.next()->at("object")["code"], 410);
}

TEST_F(ApiServerTest, TheWriteLogRecordsEveryCommittedChange) {
  server->clear_logs();
  api->apply(kBundles + "/b?fieldManager=herd-controller", bundle("b"));
  api->apply(kBundles + "/b?fieldManager=herd-controller", bundle("b")); // no-op: not a write
  api->merge_patch(kBundles + "/b/status?fieldManager=fleet", {{"status", {{"summary", {{"ready", 1}}}}}});
  api->post(kStacks + "?dryRun=All", stack("dry"));
  api->del(kBundles + "/b");
  const auto writes = server->writes();
  ASSERT_EQ(writes.size(), 3U);
  EXPECT_EQ(writes[0].verb, "apply");
  EXPECT_EQ(writes[0].event, "ADDED");
  EXPECT_EQ(writes[0].field_manager, "herd-controller");
  EXPECT_EQ(writes[1].verb, "patch");
  EXPECT_EQ(writes[1].subresource, "status");
  EXPECT_EQ(writes[2].event, "DELETED");
  EXPECT_EQ(writes[2].name, "b");
  EXPECT_EQ(writes[2].name_space, "fleet-default");
  EXPECT_EQ(server->request_count("PATCH", "/bundles/b"), 3U);
}

// --------------------------------------------------------------------------- prefix, auth, TLS, limits

class PrefixedServerTest : public ApiServerTest {
protected:
  void configure_server(Options& options) override { options.path_prefix = "/k8s/clusters/c-m-abc123"; }
};

TEST_F(PrefixedServerTest, EveryRequestMustCarryThePathPrefix) {
  EXPECT_EQ(api->get("/api/v1/namespaces/default").status, 200); // Api adds the prefix
  httplib::Client bare("127.0.0.1", server->port());
  const auto unprefixed = bare.Get("/api/v1/namespaces/default");
  ASSERT_TRUE(unprefixed);
  EXPECT_EQ(unprefixed->status, 404);
  EXPECT_THAT(server->url(), ::testing::EndsWith("/k8s/clusters/c-m-abc123"));
}

class TokenServerTest : public ApiServerTest {
protected:
  void configure_server(Options& options) override { options.token = "s3cret"; }
};

TEST_F(TokenServerTest, RequestsWithoutTheBearerTokenAre401) {
  EXPECT_EQ(api->get("/api/v1/namespaces").status, 200);
  Api anonymous(*server);
  const auto reply = anonymous.get("/api/v1/namespaces");
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.body, json({{"kind", "Status"},
                              {"apiVersion", "v1"},
                              {"metadata", json::object()},
                              {"status", "Failure"},
                              {"message", "Unauthorized"},
                              {"reason", "Unauthorized"},
                              {"code", 401}}));
  Api wrong(*server, "other");
  EXPECT_EQ(wrong.get("/api").status, 401);
  server->set_token("rotated");
  EXPECT_EQ(api->get("/api").status, 401);
  EXPECT_EQ(Api(*server, "rotated").get("/api").status, 200);
}

TEST(ApiServerTlsTest, ServesHttpsWithTheGivenCertificate) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("herd-apiserver-tls-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto cert = (dir / "tls.crt").string();
  const auto key = (dir / "tls.key").string();
  const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext "
                              "subjectAltName=IP:127.0.0.1 -keyout " +
                              key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  Options options;
  options.tls_cert_file = cert;
  options.tls_key_file = key;
  ApiServer server(options);
  server.start();
  EXPECT_THAT(server.url(), ::testing::StartsWith("https://127.0.0.1:"));
  httplib::SSLClient client("127.0.0.1", server.port());
  client.set_ca_cert_path(cert);
  client.enable_server_certificate_verification(true);
  const auto reply = client.Get("/api/v1/namespaces/default");
  ASSERT_TRUE(reply) << httplib::to_string(reply.error());
  EXPECT_EQ(reply->status, 200);
  httplib::Client plain("127.0.0.1", server.port());
  plain.set_read_timeout(2, 0);
  const auto refused = plain.Get("/api");
  EXPECT_TRUE(!refused || refused->status != 200);
  server.stop();
  std::filesystem::remove_all(dir);
}

TEST(ApiServerTlsTest, RequiresAClientCertificateSignedByTheClientCa) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("herd-apiserver-mtls-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto path = [&dir](const char* name) { return (dir / name).string(); };
  const std::string quiet = " >/dev/null 2>&1";
  const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  ASSERT_EQ(std::system(("openssl req -x509" + ec +
                         " -days 1 -subj /CN=server -addext subjectAltName=IP:127.0.0.1"
                         " -keyout " +
                         path("tls.key") + " -out " + path("tls.crt") + quiet)
                            .c_str()),
            0);
  ASSERT_EQ(std::system(("openssl req -x509" + ec + " -days 1 -subj /CN=client-ca -keyout " + path("ca.key") +
                         " -out " + path("ca.crt") + quiet)
                            .c_str()),
            0);
  ASSERT_EQ(std::system(("openssl req" + ec + " -subj /CN=client -keyout " + path("client.key") + " -out " +
                         path("client.csr") + quiet)
                            .c_str()),
            0);
  ASSERT_EQ(std::system(("openssl x509 -req -days 1 -in " + path("client.csr") + " -CA " + path("ca.crt") +
                         " -CAkey " + path("ca.key") + " -CAcreateserial -out " + path("client.crt") + quiet)
                            .c_str()),
            0);
  Options options;
  options.tls_cert_file = path("tls.crt");
  options.tls_key_file = path("tls.key");
  options.tls_client_ca_file = path("ca.crt");
  ApiServer server(options);
  server.start();
  httplib::SSLClient with_certificate("127.0.0.1", server.port(), path("client.crt"), path("client.key"));
  with_certificate.enable_server_certificate_verification(false);
  const auto accepted = with_certificate.Get("/api/v1/namespaces/default");
  ASSERT_TRUE(accepted) << httplib::to_string(accepted.error());
  EXPECT_EQ(accepted->status, 200);
  httplib::SSLClient without_certificate("127.0.0.1", server.port());
  without_certificate.enable_server_certificate_verification(false);
  without_certificate.set_read_timeout(2, 0);
  const auto refused = without_certificate.Get("/api/v1/namespaces/default");
  EXPECT_TRUE(!refused || refused->status != 200);
  server.stop();
  std::filesystem::remove_all(dir);
}

TEST_F(ApiServerTest, DeeplyNestedBodiesAreRefusedBeforeAnythingRecursesIntoThem) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto object = config_map("deep");
  const auto reply =
      api->call("POST", kConfigMaps,
                R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"x":)" + deep + "}",
                "application/json");
  EXPECT_EQ(reply.status, 422);
  std::string yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\ndata: ";
  yaml += std::string(5000, '[') + std::string(5000, ']') + "\n";
  EXPECT_EQ(api->apply(kConfigMaps + "/d?fieldManager=m", yaml).status, 422);
  api->post(kConfigMaps, config_map("c"));
  EXPECT_EQ(api->merge_patch(kConfigMaps + "/c", json::parse(R"({"data":{"x":)" + std::string(200, '[') +
                                                             std::string(200, ']') + "}}"))
                .status,
            422);
}

TEST_F(ApiServerTest, SecretsStoreStringDataBase64EncodedInData) {
  const json secret = {{"apiVersion", "v1"},
                       {"kind", "Secret"},
                       {"metadata", {{"name", "s"}}},
                       {"stringData", {{"token", "hello"}}}};
  const auto reply = api->post("/api/v1/namespaces/default/secrets", secret);
  ASSERT_EQ(reply.status, 201);
  EXPECT_EQ(reply.body["data"]["token"], "aGVsbG8=");
  EXPECT_EQ(reply.body["type"], "Opaque");
  EXPECT_FALSE(reply.body.contains("stringData"));
}

TEST_F(ApiServerTest, TablesServeTheCrdPrinterColumnsForKubectlGet) {
  api->post(kStacks, stack("a"));
  api->merge_patch(kStacks + "/a/status",
                   {{"status", {{"phase", "Deployed"}, {"summary", {{"clusters", 3}}}}}});
  const auto reply =
      api->get(kStacks, {{"Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}});
  ASSERT_EQ(reply.body["kind"], "Table");
  std::vector<std::string> columns;
  for (const auto& column : reply.body["columnDefinitions"]) {
    columns.push_back(column["name"]);
  }
  EXPECT_THAT(columns, ::testing::ElementsAre("Name", "Phase", "Clusters", "Charts", "Ready", "Age"));
  const auto& row = reply.body["rows"][0];
  EXPECT_EQ(row["cells"][0], "a");
  EXPECT_EQ(row["cells"][1], "Deployed");
  EXPECT_EQ(row["cells"][2], 3);
  EXPECT_TRUE(row["cells"][3].is_null());
  EXPECT_EQ(row["object"]["kind"], "PartialObjectMetadata");
}

// ----------------------------------------------------------------------------------------------- kubectl

// Runs `kubectl` (on PATH) against the server with a throw-away kubeconfig and cache; stdout and stderr.
class KubectlTest : public ApiServerTest {
protected:
  void SetUp() override {
    if (std::system("command -v kubectl >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "kubectl is not on PATH";
    }
    ApiServerTest::SetUp();
    m_dir = std::filesystem::temp_directory_path() / ("herd-apiserver-kubectl-" + std::to_string(getpid()));
    std::filesystem::create_directories(m_dir);
    std::ofstream(m_dir / "kubeconfig")
        << "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n"
        << "    server: " << server->url() << "\n"
        << "contexts:\n- name: test\n  context: {cluster: test, user: test}\n"
        << "current-context: test\nusers:\n- name: test\n  user: {token: unused}\n";
  }
  void TearDown() override {
    if (!m_dir.empty()) {
      std::filesystem::remove_all(m_dir);
    }
  }
  std::string kubectl(const std::string& arguments, int* exit_code = nullptr) {
    const std::string command = "kubectl --kubeconfig " + (m_dir / "kubeconfig").string() + " --cache-dir " +
                                (m_dir / "cache").string() + " " + arguments + " 2>&1";
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
      return output;
    }
    std::array<char, 4096> buffer{};
    std::size_t read = 0;
    while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
      output.append(buffer.data(), read);
    }
    const int status = pclose(pipe);
    if (exit_code != nullptr) {
      *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    return output;
  }
  void configure_server(Options& options) override {
    options.path_prefix = "/k8s/clusters/c-m-kubectl"; // as behind Rancher
  }

private:
  std::filesystem::path m_dir;
};

TEST_F(KubectlTest, KubectlServerSideAppliesAndListsStacks) {
  int code = 0;
  const auto applied =
      kubectl("apply --server-side -f " + std::string(HERD_SOURCE_DIR) + "/examples/minimal.yaml", &code);
  EXPECT_EQ(code, 0) << applied;
  EXPECT_THAT(applied, HasSubstr("stack.herd.suse.com/ollama-simple serverside-applied"));
  const auto stored = server->get("herd.suse.com/v1", "stacks", "default", "ollama-simple");
  ASSERT_TRUE(stored);
  EXPECT_EQ((*stored)["metadata"]["managedFields"][0]["manager"], "kubectl");
  server->put([&] {
    auto object = *stored;
    object["status"] = {{"phase", "Deployed"},
                        {"summary", {{"clusters", 1}, {"charts", 1}, {"readyBundles", 1}}}};
    return object;
  }());
  const auto listed = kubectl("get stacks.herd.suse.com -A", &code);
  EXPECT_EQ(code, 0) << listed;
  EXPECT_THAT(listed, ::testing::MatchesRegex("NAMESPACE +NAME +PHASE +CLUSTERS +CHARTS +READY +AGE\n"
                                              "default +ollama-simple +Deployed +1 +1 +1 +[0-9]+s\n"));
  EXPECT_THAT(kubectl("apply --server-side -f " + std::string(HERD_SOURCE_DIR) + "/examples/minimal.yaml"),
              HasSubstr("serverside-applied"));
  EXPECT_THAT(kubectl("delete stk ollama-simple"), HasSubstr("deleted"));
  EXPECT_FALSE(server->get("herd.suse.com/v1", "stacks", "default", "ollama-simple"));
}

// ------------------------------------------------------------------------------------ the executable

std::string run_to_first_line(const std::vector<std::string>& args, pid_t& pid, int& out_fd) {
  std::array<int, 2> pipe_fds{};
  if (pipe(pipe_fds.data()) != 0) {
    return {};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  std::vector<std::string> arguments = args; // posix_spawn takes char* const[]: copies, not a const_cast
  std::vector<char*> argv;
  argv.reserve(arguments.size() + 1);
  for (auto& argument : arguments) {
    argv.push_back(argument.data());
  }
  argv.push_back(nullptr);
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawned != 0) {
    close(pipe_fds[0]);
    return {};
  }
  out_fd = pipe_fds[0];
  std::string line;
  char c = 0;
  while (read(out_fd, &c, 1) == 1 && c != '\n') {
    line += c;
  }
  return line;
}

TEST(ApiServerExecutableTest, PrintsWhereItListensAndServes) {
  pid_t pid = 0;
  int out = -1;
  const auto line = run_to_first_line(
      {HERD_TEST_APISERVER_BINARY, "--port", "0", "--path-prefix", "/k8s/clusters/c-1"}, pid, out);
  ASSERT_THAT(line, ::testing::MatchesRegex(
                        "listening on http://127\\.0\\.0\\.1:[0-9]+/k8s/clusters/c-1 port=[0-9]+"));
  const int port = std::stoi(line.substr(line.rfind('=') + 1));
  httplib::Client client("127.0.0.1", port);
  const auto reply = client.Get("/k8s/clusters/c-1/apis/herd.suse.com/v1");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  close(out);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

} // namespace
