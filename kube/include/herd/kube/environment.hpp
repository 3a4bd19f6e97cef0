#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace herd::kube {

// The bytes of a file, or why there are none. `missing` is only "no such file" (Go's os.IsNotExist): the
// loading rules skip missing kubeconfig files but fail on every other error.
struct FileRead {
  enum class Status { ok, missing, too_large, failed };
  Status status = Status::failed;
  std::string bytes;
  std::string error; // strerror text when failed or missing

  [[nodiscard]] bool ok() const { return status == Status::ok; }
};

// What configuration resolution reads from the process's surroundings: environment variables and files.
// Injected so tests (and the fuzzer) run without touching the real environment.
class Environment {
public:
  Environment() = default;
  Environment(const Environment&) = default;
  Environment& operator=(const Environment&) = default;
  virtual ~Environment() = default;

  // The variable's value, empty when unset (Go's os.Getenv: unset and empty are the same everywhere the
  // loading rules look).
  [[nodiscard]] virtual std::string variable(std::string_view name) const = 0;

  // The whole file when it holds at most `max_bytes`.
  [[nodiscard]] virtual FileRead read_file(const std::string& path, std::size_t max_bytes) const = 0;
};

// The real process environment and file system.
class SystemEnvironment final : public Environment {
public:
  [[nodiscard]] std::string variable(std::string_view name) const override;
  [[nodiscard]] FileRead read_file(const std::string& path, std::size_t max_bytes) const override;
};

// The one SystemEnvironment (stateless; lives as long as the process).
const Environment& system_environment();

// Variables and files held in memory (tests, fuzzing). Paths are matched exactly as written.
class MemoryEnvironment final : public Environment {
public:
  void set_variable(std::string name, std::string value);
  void set_file(std::string path, std::string bytes);
  void remove_file(const std::string& path);
  // A file that exists but cannot be read (permission denied).
  void set_unreadable_file(std::string path);

  [[nodiscard]] std::string variable(std::string_view name) const override;
  [[nodiscard]] FileRead read_file(const std::string& path, std::size_t max_bytes) const override;

private:
  std::map<std::string, std::string, std::less<>> m_variables;
  std::map<std::string, std::string, std::less<>> m_files;
  std::map<std::string, bool, std::less<>> m_unreadable;
};

} // namespace herd::kube
