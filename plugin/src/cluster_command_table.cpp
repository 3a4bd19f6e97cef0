#include "cluster_commands.hpp"
#include "cluster_connection.hpp"
#include "live_plan.hpp"

#include <herd/core/json_member.hpp>
#include <herd/kube/object_meta.hpp>

#include <algorithm>
#include <exception>

namespace herd::plugin {

namespace {

// The Stacks of the cluster the completed command line selects, named with their phase.
std::vector<CompletionCandidate> list_stacks(const GlobalOptions& global) {
  std::vector<CompletionCandidate> stacks;
  try {
    core::Result<ClusterConnection> cluster = connect_cluster(global);
    if (!cluster) {
      return stacks;
    }
    kube::ApiResult<kube::ObjectList> listed =
        cluster->client->list(kube::resources::stacks, cluster->namespace_name);
    if (!listed) {
      return stacks;
    }
    for (const auto& item : listed->items) {
      stacks.push_back(
          {kube::metadata_string(item, "name"), core::string_member(core::member(item, "status"), "phase")});
    }
  } catch (const std::exception&) {
    stacks.clear(); // completion never fails loudly
  }
  std::sort(stacks.begin(), stacks.end(),
            [](const CompletionCandidate& a, const CompletionCandidate& b) { return a.value < b.value; });
  return stacks;
}

} // namespace

const ClusterCommands& cluster_command_table() {
  static const ClusterCommands table{&get, &rollout, &live_plan, &list_stacks};
  return table;
}

} // namespace herd::plugin
