#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace herd::plugin {

// Exit codes of kubectl herd (DESIGN §7). Scripts rely on them.
enum ExitCode : int {
  k_exit_ok = 0,       // clean (warnings alone unless --strict)
  k_exit_findings = 1, // errors found, failed rollout
  k_exit_usage = 2,    // usage or tool error
  k_exit_changes = 3,  // plan --detailed-exitcode with changes
};

// Runs kubectl herd with `args` (without the program name), reading `-` inputs from `in`. Data goes to `out`,
// findings summaries and progress to `err`. Never throws.
int run(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

// main(): the process's own argv and standard streams.
int run(int argc, char** argv);

} // namespace herd::plugin
