#pragma once

#include "command_context.hpp"

#include <string>
#include <vector>

namespace herd::plugin {

struct ScaffoldOptions {
  std::string name;
  std::string template_name = "minimal"; // minimal|rag|multi-model|dev
  std::string env = "dev";
  bool security = false;
  bool observability = false;
  std::vector<std::string> clusters;  // Rancher cluster ids
  std::vector<std::string> selectors; // key=value
  std::vector<std::string> charts;    // name=repo@version
  std::string output_file;            // empty: stdout
  bool force = false;
};

void add_scaffold_command(CLI::App& app, ScaffoldOptions& options);

// Writes a commented Stack that passes lint. Returns 1 when the flags produce a Stack lint rejects (the
// findings are printed), 2 on usage errors or an existing -o file without --force.
int scaffold(const ScaffoldOptions& options, const CommandContext& context);

// The Stack text scaffold would write, without checking it.
std::string render_scaffold(const ScaffoldOptions& options);

} // namespace herd::plugin
