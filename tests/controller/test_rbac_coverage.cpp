// The controller's RBAC (manifests/controller/rbac.yaml) grants exactly what the controller calls: a whole
// lifecycle runs against the test API server, every request the controller made is mapped to its RBAC verb
// and resource, and that set must equal the rules, in both directions (nothing missing, nothing extra).
#include "stack_controller_fixture.hpp"

#include <herd/core/yaml_loader.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

namespace herd::test {
namespace {

// (group, resource[/subresource], verb, namespace scope): the namespace is kept only for the namespaced Role.
using Grant = std::tuple<std::string, std::string, std::string>;

// The RBAC verb and resource of one request, as the API server's request-info resolver derives them:
// GET of a name = get, of a collection = list (watch=1: watch), POST = create, PUT = update, PATCH = patch,
// DELETE = delete; /api/v1/... is the core group "".
std::optional<Grant> grant_of(const test_apiserver::RequestRecord& request) {
  std::vector<std::string> parts;
  std::istringstream path(request.path);
  for (std::string part; std::getline(path, part, '/');) {
    if (!part.empty()) {
      parts.push_back(part);
    }
  }
  std::size_t at = 0;
  std::string group;
  if (parts.size() >= 2 && parts[0] == "api") {
    at = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    group = parts[1];
    at = 3;
  } else {
    return std::nullopt;
  }
  if (parts.size() > at + 1 && parts[at] == "namespaces" && parts.size() > at + 2) {
    at += 2; // a namespaced resource
  }
  if (at >= parts.size()) {
    return std::nullopt;
  }
  std::string resource = parts[at];
  const bool named = parts.size() > at + 1;
  if (parts.size() > at + 2) {
    resource += "/" + parts[at + 2];
  }
  std::string verb;
  if (request.method == "GET") {
    verb = named ? "get" : (request.watch ? "watch" : "list");
  } else if (request.method == "POST") {
    verb = "create";
  } else if (request.method == "PUT") {
    verb = "update";
  } else if (request.method == "PATCH") {
    verb = "patch";
  } else if (request.method == "DELETE") {
    verb = named ? "delete" : "deletecollection";
  }
  return Grant{group, resource, verb};
}

// Every (group, resource, verb) the rules of `kind` (ClusterRole or Role) in rbac.yaml grant.
std::set<Grant> granted(const std::string& kind) {
  std::ifstream file(std::string(HERD_SOURCE_DIR) + "/manifests/controller/rbac.yaml");
  std::set<Grant> grants;
  core::read_yaml_stream(file, "rbac.yaml", [&](core::YamlDocument& document) {
    if (!document.parsed || document.value.value("kind", "") != kind) {
      return;
    }
    for (const auto& rule : document.value["rules"]) {
      for (const auto& group : rule["apiGroups"]) {
        for (const auto& resource : rule["resources"]) {
          for (const auto& verb : rule["verbs"]) {
            grants.emplace(group.get<std::string>(), resource.get<std::string>(), verb.get<std::string>());
          }
        }
      }
    }
  });
  return grants;
}

std::string describe(const std::set<Grant>& grants) {
  std::string text;
  for (const auto& [group, resource, verb] : grants) {
    text.append("  ").append(group.empty() ? "core" : group);
    text.append(" ").append(resource).append(" ").append(verb).append("\n");
  }
  return text.empty() ? "  (none)\n" : text;
}

class RbacCoverageTest : public StackControllerFixture {};

TEST_F(RbacCoverageTest, TheRolesGrantExactlyWhatTheControllerCalls) {
  start_controller({.leader_elect = true});
  fleet_clusters();
  json stack = user_stack("rag");
  stack["spec"]["charts"][2]["values"]["configMapRefs"] = json::array({{{"name", "ollama-values"}}});
  server->put({{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata", {{"name", "ollama-values"}, {"namespace", "team-a"}}},
               {"data", {{"values.yaml", "replicaCount: 2\n"}}}});
  ASSERT_TRUE(create_and_settle(stack)) << bundle_difference(stack);
  fleet_ready_everywhere(stack);
  ASSERT_TRUE(reaches_phase(stack, "Deployed")) << status_of(stack).dump(2);
  // A removed chart (a Bundle deleted), then the Stack deleted (finalizer released).
  json charts = stored_stack(stack).value()["spec"]["charts"];
  charts.erase(charts.size() - 1);
  set_charts(stack, charts);
  ASSERT_TRUE(eventually([&] { return bundles_of(stack).size() == 2; }));
  delete_stack(stack);
  ASSERT_TRUE(eventually([&] { return !stored_stack(stack); }));
  // The leader renews its Lease every retry period (200 ms here): wait for one renewal.
  ASSERT_TRUE(eventually([&] { return server->request_count("PUT", "/leases/herd-controller") > 0; }));

  std::set<Grant> cluster_wide;
  std::set<Grant> in_herd_system;
  for (const auto& request : server->requests()) {
    if (request.user_agent.rfind("herd-controller/", 0) != 0) {
      continue; // the test's own "kubectl"
    }
    auto grant = grant_of(request);
    ASSERT_TRUE(grant) << request.method << " " << request.path;
    if (std::get<1>(*grant) == "leases") {
      EXPECT_EQ(request.path.rfind("/apis/coordination.k8s.io/v1/namespaces/herd-system/leases", 0), 0U)
          << request.path;
      in_herd_system.insert(*grant);
      continue;
    }
    cluster_wide.insert(*grant);
    // Server-side apply creates a missing object: the API server then also authorizes `create`.
    if (request.method == "PATCH" && request.content_type == "application/apply-patch+yaml") {
      cluster_wide.emplace(std::get<0>(*grant), std::get<1>(*grant), "create");
    }
  }
  EXPECT_EQ(granted("ClusterRole"), cluster_wide) << "granted:\n"
                                                  << describe(granted("ClusterRole")) << "called:\n"
                                                  << describe(cluster_wide);
  EXPECT_EQ(granted("Role"), in_herd_system) << "granted:\n"
                                             << describe(granted("Role")) << "called:\n"
                                             << describe(in_herd_system);
}

} // namespace
} // namespace herd::test
