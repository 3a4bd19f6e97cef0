#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace herd::core {

// One step of a JSON path: an object key or an array index.
using PathSegment = std::variant<std::string, std::size_t>;

// Appends `.key` (or `["key"]` when the key is not an identifier such as nvidia.com/gpu) to `path`.
void append_key(std::string& path, std::string_view key);
// Appends `[index]` to `path`.
void append_index(std::string& path, std::size_t index);

std::string join_path(std::string_view parent, std::string_view key);
std::string join_path(std::string_view parent, std::size_t index);

// Splits a path written by append_key/append_index back into segments. A malformed path yields the segments
// read before the malformed part.
std::vector<PathSegment> split_path(std::string_view path);

// RFC 6901 JSON pointer (/spec/charts/2/name) of a path.
std::string to_json_pointer(std::string_view path);

} // namespace herd::core
