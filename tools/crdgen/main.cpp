#include <herd/crdgen/crd_generator.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <span>
#include <string_view>
#include <system_error>

namespace {

constexpr std::string_view k_usage = "usage: herd-crdgen SCHEMA [-o FILE]\n";

// Writes through a temporary file and a rename, so a failed run never leaves a truncated CRD behind.
bool write_file(const std::filesystem::path& path, const std::string& text) {
  const auto temporary = std::filesystem::path(path.string() + ".tmp");
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!(out << text) || !out.flush()) {
      return false;
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    return false;
  }
  return true;
}

int run(std::span<char*> args) {
  std::string_view schema_path;
  std::string_view output_path;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << k_usage;
      return 0;
    }
    if (arg == "-o" && i + 1 < args.size()) {
      output_path = args[++i];
    } else if (arg.starts_with('-') || !schema_path.empty()) {
      std::cerr << k_usage;
      return 2;
    } else {
      schema_path = arg;
    }
  }
  if (schema_path.empty()) {
    std::cerr << k_usage;
    return 2;
  }
  const auto crd = herd::crdgen::render_stack_crd_file(schema_path);
  if (!crd) {
    std::cerr << "herd-crdgen: error: " << crd.error().file << ": " << crd.error().message << "\n";
    return 1;
  }
  if (output_path.empty()) {
    std::cout << *crd << std::flush;
    return std::cout ? 0 : 1;
  }
  if (!write_file(output_path, *crd)) {
    std::cerr << "herd-crdgen: error: cannot write " << output_path << "\n";
    return 1;
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  return run(std::span(argv, static_cast<std::size_t>(argc)));
}
