#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>

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

// Text from the API made safe for one line of a terminal: C0 and C1 control characters (newlines, ESC, CSI)
// become spaces, so a Fleet message can neither break a view's line count nor send escape sequences.
std::string one_line(std::string_view text);

} // namespace herd::plugin
