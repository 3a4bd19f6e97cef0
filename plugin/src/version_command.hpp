#pragma once

#include "command_context.hpp"

#include <string>

namespace herd::plugin {

struct VersionOptions {
  std::string output = "text"; // text|json
};

void add_version_command(CLI::App& app, VersionOptions& options);
int version(const VersionOptions& options, const CommandContext& context);

} // namespace herd::plugin
