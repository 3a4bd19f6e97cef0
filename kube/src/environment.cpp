#include <herd/kube/environment.hpp>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace herd::kube {

namespace {

// Closes a file descriptor on every path out.
class FileDescriptor {
public:
  explicit FileDescriptor(int fd) : m_fd(fd) {}
  ~FileDescriptor() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  FileDescriptor(FileDescriptor&&) = delete;
  FileDescriptor& operator=(FileDescriptor&&) = delete;
  [[nodiscard]] int get() const { return m_fd; }

private:
  int m_fd;
};

} // namespace

std::string SystemEnvironment::variable(std::string_view name) const {
  const char* value = std::getenv(std::string(name).c_str()); // NOLINT(concurrency-mt-unsafe): read-only use
  return value != nullptr ? std::string(value) : std::string();
}

FileRead SystemEnvironment::read_file(const std::string& path, std::size_t max_bytes) const {
  FileRead result;
  const FileDescriptor fd(
      ::open(path.c_str(), O_RDONLY | O_CLOEXEC)); // NOLINT(cppcoreguidelines-pro-type-vararg)
  if (fd.get() < 0) {
    const int error = errno;
    result.status = error == ENOENT ? FileRead::Status::missing : FileRead::Status::failed;
    result.error = std::strerror(error); // NOLINT(concurrency-mt-unsafe): glibc's table, not a buffer
    return result;
  }
  std::array<char, 16384> buffer{};
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      result.status = FileRead::Status::failed;
      result.error = std::strerror(errno); // NOLINT(concurrency-mt-unsafe)
      result.bytes.clear();
      return result;
    }
    if (n == 0) {
      break;
    }
    if (result.bytes.size() + static_cast<std::size_t>(n) > max_bytes) {
      result.status = FileRead::Status::too_large;
      result.error = "larger than " + std::to_string(max_bytes) + " bytes";
      result.bytes.clear();
      return result;
    }
    result.bytes.append(buffer.data(), static_cast<std::size_t>(n));
  }
  result.status = FileRead::Status::ok;
  return result;
}

const Environment& system_environment() {
  static const SystemEnvironment environment;
  return environment;
}

void MemoryEnvironment::set_variable(std::string name, std::string value) {
  m_variables[std::move(name)] = std::move(value);
}

void MemoryEnvironment::set_file(std::string path, std::string bytes) {
  m_unreadable.erase(path);
  m_files[std::move(path)] = std::move(bytes);
}

void MemoryEnvironment::remove_file(const std::string& path) {
  m_files.erase(path);
  m_unreadable.erase(path);
}

void MemoryEnvironment::set_unreadable_file(std::string path) {
  m_files.erase(path);
  m_unreadable[std::move(path)] = true;
}

std::string MemoryEnvironment::variable(std::string_view name) const {
  const auto found = m_variables.find(name);
  return found != m_variables.end() ? found->second : std::string();
}

FileRead MemoryEnvironment::read_file(const std::string& path, std::size_t max_bytes) const {
  FileRead result;
  if (m_unreadable.contains(path)) {
    result.status = FileRead::Status::failed;
    result.error = "Permission denied";
    return result;
  }
  const auto found = m_files.find(path);
  if (found == m_files.end()) {
    result.status = FileRead::Status::missing;
    result.error = "No such file or directory";
    return result;
  }
  if (found->second.size() > max_bytes) {
    result.status = FileRead::Status::too_large;
    result.error = "larger than " + std::to_string(max_bytes) + " bytes";
    return result;
  }
  result.status = FileRead::Status::ok;
  result.bytes = found->second;
  return result;
}

} // namespace herd::kube
