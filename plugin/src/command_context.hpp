#pragma once

#include "global_options.hpp"

#include <iosfwd>

namespace herd::plugin {

// What a command runs with: its streams (data to `out`, progress and summaries to `err`) and the global
// flags.
struct CommandContext {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  const GlobalOptions& global;
};

} // namespace herd::plugin
