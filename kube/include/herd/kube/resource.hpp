#pragma once

#include <string>
#include <string_view>

namespace herd::kube {

// A resource the API server serves: what a request path is built from.
struct ResourceType {
  std::string group; // "" for the core group (/api/v1)
  std::string version;
  std::string plural;
  bool namespaced = true;

  // "v1", "fleet.cattle.io/v1alpha1": the apiVersion of its objects.
  [[nodiscard]] std::string api_version() const;
};

// The API path of a collection (empty `name`) or an object, optionally of a subresource ("status"):
// /api/v1/namespaces/default/configmaps/x, /apis/fleet.cattle.io/v1alpha1/namespaces/ns/bundles/b/status.
// An empty `name_space` of a namespaced type addresses every namespace (lists and watches). The server URL's
// path prefix is not included (see Url::request_path). Names are used as written: the API server's names are
// DNS subdomains and need no escaping.
std::string api_path(const ResourceType& type,
                     std::string_view name_space,
                     std::string_view name = {},
                     std::string_view subresource = {});

// The resources Herd talks to.
namespace resources {
inline const ResourceType stacks{"herd.suse.com", "v1", "stacks", true};
inline const ResourceType bundles{"fleet.cattle.io", "v1alpha1", "bundles", true};
inline const ResourceType bundle_deployments{"fleet.cattle.io", "v1alpha1", "bundledeployments", true};
inline const ResourceType clusters{"fleet.cattle.io", "v1alpha1", "clusters", true};
inline const ResourceType cluster_groups{"fleet.cattle.io", "v1alpha1", "clustergroups", true};
inline const ResourceType config_maps{"", "v1", "configmaps", true};
inline const ResourceType events{"", "v1", "events", true};
inline const ResourceType leases{"coordination.k8s.io", "v1", "leases", true};
inline const ResourceType namespaces{"", "v1", "namespaces", false};
} // namespace resources

} // namespace herd::kube
