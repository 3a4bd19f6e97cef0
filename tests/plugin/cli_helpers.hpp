#pragma once

#include <herd/plugin/app.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace herd::plugin::testing {

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs kubectl herd in-process, as main() would, with `input` as standard input.
inline CliResult run_cli(const std::vector<std::string>& args, const std::string& input = "") {
  std::istringstream in(input);
  std::ostringstream out;
  std::ostringstream err;
  CliResult result;
  result.code = run(args, in, out, err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

// Runs a shell command, capturing stdout; stderr goes to `stderr_file` when given.
inline CliResult run_shell(const std::string& command) {
  // A file of its own per call: ctest -j runs tests in parallel processes, which must not share one.
  std::string err_pattern = (std::filesystem::temp_directory_path() / "herd-test-stderr-XXXXXX").string();
  const int err_fd = mkstemp(err_pattern.data());
  if (err_fd >= 0) {
    close(err_fd);
  }
  const std::filesystem::path err_file = err_pattern;
  CliResult result;
  // NOLINTNEXTLINE(cert-env33-c): running a shell command (kubectl on PATH) is what this helper is for
  FILE* pipe = popen((command + " 2>" + err_file.string()).c_str(), "r");
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
  std::ifstream err(err_file);
  std::ostringstream text;
  text << err.rdbuf();
  result.err = text.str();
  std::error_code ignored;
  std::filesystem::remove(err_file, ignored);
  return result;
}

inline std::string source_path(const std::string& relative) {
  return std::string(HERD_SOURCE_DIR) + "/" + relative;
}

// A fresh temporary directory, removed when the object goes away.
class TempDir {
public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "herd-test-XXXXXX").string();
    m_path = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }
  // Writes `content` to `name` in the directory and returns its path.
  std::string file(const std::string& name, const std::string& content) const {
    const auto path = m_path / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

private:
  std::filesystem::path m_path;
};

} // namespace herd::plugin::testing
