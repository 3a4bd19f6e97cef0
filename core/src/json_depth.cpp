#include <herd/core/json_depth.hpp>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

namespace herd::core {

std::size_t json_text_depth(std::string_view text, std::size_t stop_above) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i++];
    if (c == '"') {
      // Most of a JSON body is string content: jump from quote to quote (memchr) and count the backslashes
      // before each one, instead of looking at every byte.
      const std::size_t start = i;
      for (;;) {
        const void* found = std::memchr(text.data() + i, '"', text.size() - i);
        if (found == nullptr) {
          return deepest; // unterminated: the parser reports it
        }
        const auto quote = static_cast<std::size_t>(static_cast<const char*>(found) - text.data());
        std::size_t backslashes = 0;
        while (quote - backslashes > start && text[quote - backslashes - 1] == '\\') {
          ++backslashes;
        }
        i = quote + 1;
        if (backslashes % 2 == 0) {
          break; // not escaped: the string ends here
        }
      }
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
      if (deepest > stop_above) {
        return deepest;
      }
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::size_t json_depth(const nlohmann::json& value) {
  std::size_t deepest = 0;
  std::vector<std::pair<const nlohmann::json*, std::size_t>> pending{{&value, 1}};
  while (!pending.empty()) {
    const auto [node, depth] = pending.back();
    pending.pop_back();
    if (!node->is_structured()) {
      continue;
    }
    deepest = std::max(deepest, depth);
    for (const auto& child : *node) {
      pending.emplace_back(&child, depth + 1);
    }
  }
  return deepest;
}

} // namespace herd::core
