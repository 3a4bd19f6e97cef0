#pragma once

#include <string>

namespace herd::plugin {

// Whether to color output for --color `mode` (auto|always|never): auto colors a terminal unless NO_COLOR is
// set or TERM is dumb; an explicit always wins over NO_COLOR.
bool use_color(const std::string& mode, int fd);

} // namespace herd::plugin
