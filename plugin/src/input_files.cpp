#include "input_files.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace herd::plugin {

namespace fs = std::filesystem;

namespace {

bool is_manifest(const fs::path& path) {
  const std::string extension = path.extension().string();
  return extension == ".yaml" || extension == ".yml" || extension == ".json";
}

} // namespace

core::Result<std::vector<InputFile>> expand_inputs(const std::vector<std::string>& arguments,
                                                   bool recursive) {
  std::vector<InputFile> files;
  for (const auto& argument : arguments) {
    if (argument == "-") {
      files.push_back({argument, true});
      continue;
    }
    std::error_code error;
    const fs::file_status status = fs::status(argument, error);
    if (error || !fs::exists(status)) {
      return core::Error{"the path \"" + argument + "\" does not exist", argument};
    }
    if (!fs::is_directory(status)) {
      files.push_back({argument, true});
      continue;
    }
    std::vector<std::string> found;
    auto collect = [&](const fs::directory_entry& entry) {
      if (entry.is_regular_file() && is_manifest(entry.path())) {
        found.push_back(entry.path().string());
      }
    };
    if (recursive) {
      for (const auto& entry : fs::recursive_directory_iterator(argument, error)) {
        collect(entry);
      }
    } else {
      for (const auto& entry : fs::directory_iterator(argument, error)) {
        collect(entry);
      }
    }
    if (error) {
      return core::Error{"cannot read directory \"" + argument + "\": " + error.message(), argument};
    }
    std::sort(found.begin(), found.end());
    for (auto& path : found) {
      files.push_back({std::move(path), false});
    }
  }
  return files;
}

std::string display_name(const InputFile& input) {
  return input.path == "-" ? "<stdin>" : input.path;
}

std::istream* open_input(const InputFile& input, std::istream& standard_input, std::ifstream& file) {
  if (input.path == "-") {
    return &standard_input;
  }
  file.open(input.path, std::ios::binary);
  return file ? &file : nullptr;
}

} // namespace herd::plugin
