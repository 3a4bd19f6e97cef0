#include <herd/runtime/file_watcher.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace herd::runtime {

FileContent read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return {false, {}, std::strerror(errno)};
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) {
    return {false, {}, "read error"};
  }
  return {true, std::move(bytes).str(), {}};
}

FileWatcher::FileWatcher(std::chrono::milliseconds interval) : m_interval(interval) {}

FileWatcher::~FileWatcher() {
  stop();
}

void FileWatcher::watch(std::vector<std::string> paths, std::vector<std::string> initial, Reload reload) {
  const std::lock_guard lock(m_mutex);
  m_groups.push_back({std::move(paths), std::move(initial), {}, std::move(reload)});
}

void FileWatcher::start() {
  m_thread = std::thread([this] {
    std::unique_lock lock(m_mutex);
    while (!m_stopping) {
      m_wake.wait_for(lock, m_interval, [this] { return m_stopping; });
      if (m_stopping) {
        break;
      }
      lock.unlock();
      poll();
      lock.lock();
    }
  });
}

void FileWatcher::stop() {
  {
    const std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

void FileWatcher::poll() {
  // Groups are only added before start(); reloads run outside the lock so stop() is never kept waiting on a
  // slow callback for longer than that callback.
  std::vector<Group*> groups;
  {
    const std::lock_guard lock(m_mutex);
    for (auto& group : m_groups) {
      groups.push_back(&group);
    }
  }
  for (Group* group : groups) {
    std::vector<std::string> contents;
    bool readable = true;
    for (const auto& path : group->paths) {
      FileContent content = read_file(path);
      if (!content.ok) {
        readable = false; // mid-swap or removed: keep what we have, look again next time
        break;
      }
      contents.push_back(std::move(content.bytes));
    }
    if (!readable || contents == group->accepted || contents == group->refused) {
      continue;
    }
    if (group->reload(contents)) {
      group->accepted = std::move(contents);
      group->refused.clear();
    } else {
      group->refused = std::move(contents);
    }
  }
}

} // namespace herd::runtime
