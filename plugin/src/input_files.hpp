#pragma once

#include <herd/core/result.hpp>

#include <fstream>
#include <istream>
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

// The name findings use for `input` (<stdin> for -).
std::string display_name(const InputFile& input);

// The stream to read `input` from: `standard_input` for -, else `file` opened on it. nullptr when the file
// cannot be read.
std::istream* open_input(const InputFile& input, std::istream& standard_input, std::ifstream& file);

} // namespace herd::plugin
