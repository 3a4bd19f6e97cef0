// kubectl-herd-cluster.so: the cluster commands, loaded by kubectl-herd when one of them runs
// (cluster_commands.hpp). Only this entry point is exported.

#include "cluster_commands.hpp"

#include <cstring>

extern "C" __attribute__((visibility("default"))) const herd::plugin::ClusterCommands*
herd_cluster_commands(const char* build) {
  if (build == nullptr || std::strcmp(build, herd::plugin::k_cluster_module_build) != 0) {
    return nullptr;
  }
  return &herd::plugin::cluster_command_table();
}
