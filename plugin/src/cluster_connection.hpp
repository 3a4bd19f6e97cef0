#pragma once

#include "global_options.hpp"

#include <herd/core/result.hpp>
#include <herd/kube/api_client.hpp>

#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

namespace herd::plugin {

// A client of the cluster the global flags select, for the cluster commands (get, rollout). Offline commands
// never build one: resolving a kubeconfig and loading TLS would slow their start.
struct ClusterConnection {
  std::unique_ptr<kube::ApiClient> client;
  std::string namespace_name; // -n, else the context's namespace, else "default"
  std::string context;        // the kubeconfig context used (empty in-cluster)
  std::string server;
};

// Resolves --kubeconfig, --context, -n and --request-timeout as kubectl does and builds the client. Fails
// with a message naming the file or flag at fault (no kubeconfig, unknown context, an invalid
// --request-timeout).
core::Result<ClusterConnection> connect_cluster(const GlobalOptions& global);

// Prints `error` as kubectl words it and returns the exit code (1):
//   Error from server (NotFound): stacks.herd.suse.com "x" not found
//   error: You must be logged in to the server (Unauthorized)
//   error: cannot reach the cluster of context "c": cannot connect to https://h:6443 (connection refused ...)
//   error: the server doesn't have a resource type "stacks.herd.suse.com" (... run kubectl apply -f ...)
// `resource` is the group-qualified resource the request was about (a 404 whose message does not name an
// object of it means the type itself is not served) and `install_hint` what to say then.
int report_api_error(
    const kube::ApiError& error,
    const ClusterConnection& cluster,
    std::ostream& err,
    std::string_view resource = "stacks.herd.suse.com",
    std::string_view install_hint = "is Herd installed? run kubectl apply -f manifests/crds/");

// The group-qualified resource of Stacks, as kubectl names it in messages: "stacks.herd.suse.com".
inline constexpr const char* k_stack_resource = "stacks.herd.suse.com";
// A Stack as kubectl names it in errors: stacks.herd.suse.com "NAME".
std::string quoted_stack(std::string_view name);
// The singular form kubectl prints before an object's name: "stack.herd.suse.com/NAME".
inline constexpr const char* k_stack_kind_prefix = "stack.herd.suse.com/";

} // namespace herd::plugin
