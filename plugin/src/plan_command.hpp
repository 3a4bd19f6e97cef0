#pragma once

#include "command_context.hpp"

#include <string>
#include <vector>

namespace herd::plugin {

struct PlanOptions {
  std::string name;               // a Stack in the cluster: the live plan of it
  std::vector<std::string> files; // -f: files, directories or -
  std::string output = "text";    // text|yaml|json|dot
  std::string values_from;        // DIR/<configmap>/<key> files standing in for ConfigMaps
  bool recursive = false;
  bool live = false;              // -f FILE --live: compare with the cluster (live_plan.hpp)
  bool detailed_exitcode = false; // the live plan exits 3 when anything changes
};

void add_plan_command(CLI::App& app, PlanOptions& options);

// Plans every Stack of the inputs offline. Returns 0, 1 when a Stack is invalid (its findings go to stderr
// and nothing is printed for it), 2 on unreadable input or a bad policy. With a NAME or --live, runs the live
// plan instead (live_plan.hpp).
int plan(const PlanOptions& options, const CommandContext& context);

} // namespace herd::plugin
