#include "terminal.hpp"

#include <cstdlib>
#include <iostream>
#include <string_view>
#include <sys/ioctl.h>
#include <unistd.h>

namespace herd::plugin {

bool use_color(const std::string& mode, int fd) {
  if (mode == "always") {
    return true;
  }
  if (mode == "never") {
    return false;
  }
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') {
    return false;
  }
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") {
    return false;
  }
  return isatty(fd) != 0;
}

int terminal_fd(const std::ostream& stream) {
  int fd = -1;
  if (&stream == &std::cout) {
    fd = STDOUT_FILENO;
  } else if (&stream == &std::cerr) {
    fd = STDERR_FILENO;
  }
  if (fd < 0 || isatty(fd) == 0) {
    return -1;
  }
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") {
    return -1;
  }
  return fd;
}

TerminalSize terminal_size(int fd) {
  winsize size{};
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): ioctl is the only interface to a terminal's size
  if (fd < 0 || ioctl(fd, TIOCGWINSZ, &size) != 0) {
    return {};
  }
  return {size.ws_col, size.ws_row};
}

std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) {
      out += ' ';
    } else if (byte == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      out += ' '; // U+0080..U+009F, encoded as C2 80..C2 9F
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

} // namespace herd::plugin
