#pragma once

#include "command_context.hpp"

#include <string>
#include <vector>

namespace herd::plugin {

struct PlanOptions {
  std::vector<std::string> files; // -f: files, directories or -
  std::string output = "text";    // text|yaml|json|dot
  std::string values_from;        // DIR/<configmap>/<key> files standing in for ConfigMaps
  bool recursive = false;
};

void add_plan_command(CLI::App& app, PlanOptions& options);

// Plans every Stack of the inputs offline. Returns 0, 1 when a Stack is invalid (its findings go to stderr
// and nothing is printed for it), 2 on unreadable input or a bad policy.
int plan(const PlanOptions& options, const CommandContext& context);

} // namespace herd::plugin
