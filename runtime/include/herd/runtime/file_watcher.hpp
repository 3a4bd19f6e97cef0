#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace herd::runtime {

// Reloads groups of files when their content changes: cert-manager rotates a Secret and the kubelet swaps the
// mounted files (a symlink flip), a ConfigMap edit reaches the pod the same way. Polls the bytes rather than
// relying on inotify, which misses changes behind the kubelet's symlinks.
//
// A group's reload callback gets the files' current contents and returns whether it accepted them. Refused
// contents (a broken policy, a certificate written before its key) are not offered again until the bytes
// change, so a half-done rotation is accepted once both files are in place.
class FileWatcher {
public:
  using Reload = std::function<bool(const std::vector<std::string>& contents)>;

  explicit FileWatcher(std::chrono::milliseconds interval);
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // `initial` are the contents the caller already loaded (so the first poll does not reload them).
  void watch(std::vector<std::string> paths, std::vector<std::string> initial, Reload reload);

  void start();
  void stop();

  // Polls once, now (tests, and start-up).
  void poll();

private:
  struct Group {
    std::vector<std::string> paths;
    std::vector<std::string> accepted; // contents last accepted
    std::vector<std::string> refused;  // contents last refused (not offered again until they change)
    Reload reload;
  };

  std::chrono::milliseconds m_interval;
  std::vector<Group> m_groups;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
  std::thread m_thread;
};

// The whole content of a file; `ok == false` with the reason when it cannot be read.
struct FileContent {
  bool ok = false;
  std::string bytes;
  std::string error; // strerror text when !ok
};
FileContent read_file(const std::string& path);

} // namespace herd::runtime
