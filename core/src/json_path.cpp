#include <herd/core/json_path.hpp>

#include <algorithm>

namespace herd::core {

namespace {

bool is_identifier(std::string_view key) {
  return !key.empty() && std::ranges::all_of(key, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '$';
  });
}

} // namespace

void append_key(std::string& path, std::string_view key) {
  if (is_identifier(key)) {
    if (!path.empty()) {
      path += '.';
    }
    path += key;
    return;
  }
  path += "[\"";
  for (char c : key) {
    if (c == '"' || c == '\\') {
      path += '\\';
    }
    path += c;
  }
  path += "\"]";
}

void append_index(std::string& path, std::size_t index) {
  path += '[';
  path += std::to_string(index);
  path += ']';
}

std::string join_path(std::string_view parent, std::string_view key) {
  std::string path(parent);
  append_key(path, key);
  return path;
}

std::string join_path(std::string_view parent, std::size_t index) {
  std::string path(parent);
  append_index(path, index);
  return path;
}

std::vector<PathSegment> split_path(std::string_view path) {
  std::vector<PathSegment> segments;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      continue;
    }
    if (path[i] == '[') {
      if (i + 1 < path.size() && path[i + 1] == '"') {
        std::string key;
        std::size_t j = i + 2;
        while (j < path.size() && path[j] != '"') {
          if (path[j] == '\\' && j + 1 < path.size()) {
            ++j;
          }
          key += path[j++];
        }
        if (j + 1 >= path.size() || path[j + 1] != ']') {
          return segments;
        }
        segments.emplace_back(std::move(key));
        i = j + 2;
        continue;
      }
      std::size_t index = 0;
      std::size_t j = i + 1;
      bool digits = false;
      while (j < path.size() && path[j] >= '0' && path[j] <= '9') {
        index = index * 10 + static_cast<std::size_t>(path[j] - '0');
        digits = true;
        ++j;
      }
      if (!digits || j >= path.size() || path[j] != ']') {
        return segments;
      }
      segments.emplace_back(index);
      i = j + 1;
      continue;
    }
    std::size_t j = i;
    while (j < path.size() && path[j] != '.' && path[j] != '[') {
      ++j;
    }
    segments.emplace_back(std::string(path.substr(i, j - i)));
    i = j;
  }
  return segments;
}

std::string to_json_pointer(std::string_view path) {
  std::string pointer;
  for (const auto& segment : split_path(path)) {
    pointer += '/';
    if (const auto* key = std::get_if<std::string>(&segment)) {
      for (char c : *key) {
        if (c == '~') {
          pointer += "~0";
        } else if (c == '/') {
          pointer += "~1";
        } else {
          pointer += c;
        }
      }
    } else {
      pointer += std::to_string(std::get<std::size_t>(segment));
    }
  }
  return pointer;
}

} // namespace herd::core
