#pragma once

#include <herd/core/result.hpp>

#include <string>
#include <vector>

namespace herd::plugin {

struct InputFile {
  std::string path;           // "-" for standard input
  bool explicit_file = false; // named on the command line (not found in a directory)
};

// Expands FILE|DIR|- arguments like kubectl -f: a directory contributes its *.yaml, *.yml and *.json files in
// name order (and its subdirectories' with `recursive`). Fails on a path that does not exist.
core::Result<std::vector<InputFile>> expand_inputs(const std::vector<std::string>& arguments, bool recursive);

} // namespace herd::plugin
