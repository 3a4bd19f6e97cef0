#pragma once

// Shell commands, temporary directories and file reading for the distribution tests, which run the real
// scripts (release.sh, build-controller.sh), tar, ldd and the built binaries.

#include "../support/temp_dir.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace herd::distribution::testing {

namespace fs = std::filesystem;

inline const fs::path k_source_dir = HERD_SOURCE_DIR;

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Quotes a word for /bin/sh.
inline std::string quote(const std::string& word) {
  std::string quoted = "'";
  for (const char c : word) {
    if (c == '\'') {
      quoted += R"('\'')";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

inline std::string quote(const fs::path& path) {
  return quote(path.string());
}

// Scratch directories named after this suite.
class TempDir : public herd::testing::TempDir {
public:
  TempDir() : herd::testing::TempDir("herd-distribution-test") {}
};

struct CommandResult {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs a shell command with no standard input, capturing its standard output and standard error.
inline CommandResult run(const std::string& command) {
  const TempDir scratch;
  const fs::path err_file = scratch.path() / "stderr";
  CommandResult result;
  // NOLINTNEXTLINE(cert-env33-c): running the scripts and tools is what these tests are about
  FILE* pipe = popen((command + " </dev/null 2>" + quote(err_file)).c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.out.append(buffer.data(), n);
  }
  const int status = pclose(pipe);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.err = read_text(err_file);
  return result;
}

inline bool have(const std::string& program) {
  return run("command -v " + quote(program) + " >/dev/null").code == 0;
}

} // namespace herd::distribution::testing
