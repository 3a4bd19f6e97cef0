#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>

namespace herd::plugin {

// Whether to color output for --color `mode` (auto|always|never): auto colors a terminal unless NO_COLOR is
// set or TERM is dumb; an explicit always wins over NO_COLOR.
bool use_color(const std::string& mode, int fd);

// The file descriptor of the terminal `stream` writes to: 1 for std::cout, 2 for std::cerr when that
// descriptor is a terminal and TERM is not "dumb" (no cursor movement); -1 otherwise, and always for the
// string streams of in-process callers.
int terminal_fd(const std::ostream& stream);

// The size of terminal `fd` in characters; zeros when unknown.
struct TerminalSize {
  std::size_t columns = 0;
  std::size_t rows = 0;
};
TerminalSize terminal_size(int fd);

} // namespace herd::plugin
