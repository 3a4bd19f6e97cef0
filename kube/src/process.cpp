#include "process.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace herd::kube {

namespace {

using Clock = std::chrono::steady_clock;

// How long to keep reading after the process exited while something it started still holds the pipes.
constexpr std::chrono::milliseconds k_exit_grace{200};

class Pipe {
public:
  Pipe() {
    if (::pipe2(m_fds.data(), O_CLOEXEC) != 0) {
      m_fds[0] = m_fds[1] = -1;
    }
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  Pipe(Pipe&&) = delete;
  Pipe& operator=(Pipe&&) = delete;
  [[nodiscard]] bool ok() const { return m_fds[0] >= 0; }
  [[nodiscard]] int read_end() const { return m_fds[0]; }
  [[nodiscard]] int write_end() const { return m_fds[1]; }
  void close_read() { close_fd(m_fds[0]); }
  void close_write() { close_fd(m_fds[1]); }

private:
  static void close_fd(int& fd) {
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
  }
  std::array<int, 2> m_fds{-1, -1};
};

class SpawnSetup {
public:
  SpawnSetup() {
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attributes);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  SpawnSetup(SpawnSetup&&) = delete;
  SpawnSetup& operator=(SpawnSetup&&) = delete;
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attributes{};
};

std::string error_text(int error) {
  return std::strerror(error); // NOLINT(concurrency-mt-unsafe): glibc's table, not a shared buffer
}

// Records a wait status in the result.
void record_status(int status, ProcessResult& result) {
  if (WIFEXITED(status)) {
    result.outcome = ProcessResult::Outcome::exited;
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.outcome = ProcessResult::Outcome::signaled;
    result.signal = WTERMSIG(status);
  }
}

// Waits for `pid`; true when it was reaped (status set). ECHILD (SIGCHLD ignored: reaped by the kernel)
// counts as a clean exit.
bool reap(pid_t pid, int options, int& status) {
  for (;;) {
    const pid_t waited = ::waitpid(pid, &status, options);
    if (waited == pid) {
      return true;
    }
    if (waited == 0) {
      return false;
    }
    if (errno == EINTR) {
      continue;
    }
    status = 0;
    return true;
  }
}

} // namespace

ProcessResult run_process(const std::string& command,
                          const std::vector<std::string>& args,
                          const std::vector<std::string>& env,
                          std::chrono::milliseconds timeout,
                          std::size_t max_stdout,
                          std::size_t max_stderr) {
  ProcessResult result;
  Pipe out;
  Pipe err;
  if (!out.ok() || !err.ok()) {
    result.spawn_error = error_text(errno);
    return result;
  }
  SpawnSetup setup;
  ::posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&setup.actions, out.write_end(), 1);
  ::posix_spawn_file_actions_adddup2(&setup.actions, err.write_end(), 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  ::posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
#endif
  sigset_t no_signals;
  sigemptyset(&no_signals);
  sigset_t all_signals;
  sigfillset(&all_signals);
  ::posix_spawnattr_setsigmask(&setup.attributes, &no_signals);
  ::posix_spawnattr_setsigdefault(&setup.attributes, &all_signals);
  ::posix_spawnattr_setpgroup(&setup.attributes, 0);
  ::posix_spawnattr_setflags(
      &setup.attributes,
      static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));

  std::vector<char*> argv;
  argv.reserve(args.size() + 2);
  argv.push_back(const_cast<char*>(command.c_str())); // NOLINT(cppcoreguidelines-pro-type-const-cast): C API
  for (const std::string& arg : args) {
    argv.push_back(const_cast<char*>(arg.c_str())); // NOLINT(cppcoreguidelines-pro-type-const-cast)
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (const std::string& entry : env) {
    envp.push_back(const_cast<char*>(entry.c_str())); // NOLINT(cppcoreguidelines-pro-type-const-cast)
  }
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int spawned =
      ::posix_spawnp(&pid, command.c_str(), &setup.actions, &setup.attributes, argv.data(), envp.data());
  out.close_write();
  err.close_write();
  if (spawned != 0) {
    result.outcome = spawned == ENOENT || spawned == EACCES || spawned == ENOTDIR
                         ? ProcessResult::Outcome::not_found
                         : ProcessResult::Outcome::spawn_failed;
    result.spawn_error = error_text(spawned);
    return result;
  }

  const auto deadline = Clock::now() + timeout;
  std::optional<Clock::time_point> exited_at;
  int status = 0;
  bool killed = false;
  std::array<pollfd, 2> fds{{{out.read_end(), POLLIN, 0}, {err.read_end(), POLLIN, 0}}};
  std::array<char, 16384> buffer{};
  auto kill_group = [&](ProcessResult::Outcome why) {
    ::kill(-pid, SIGKILL);
    result.outcome = why;
    killed = true;
  };
  while ((fds[0].fd >= 0 || fds[1].fd >= 0) && !killed) {
    const auto now = Clock::now();
    if (now >= deadline) {
      kill_group(ProcessResult::Outcome::timed_out);
      break;
    }
    if (exited_at && now - *exited_at > k_exit_grace) {
      break; // the process is gone; whatever still holds the pipes is not ours to wait for
    }
    const auto wait = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now),
                               std::chrono::milliseconds(50));
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()) + 1);
    if (ready < 0 && errno != EINTR) {
      kill_group(ProcessResult::Outcome::spawn_failed);
      result.spawn_error = error_text(errno);
      break;
    }
    for (std::size_t i = 0; i < 2 && ready > 0; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) {
        continue;
      }
      const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        continue;
      }
      if (n <= 0) {
        fds[i].fd = -1; // EOF (closed by the Pipe destructor)
        continue;
      }
      const auto bytes = static_cast<std::size_t>(n);
      if (i == 0) {
        if (result.out.size() + bytes > max_stdout) {
          kill_group(ProcessResult::Outcome::output_too_large);
          break;
        }
        result.out.append(buffer.data(), bytes);
      } else {
        const std::size_t room = max_stderr - std::min(max_stderr, result.err.size());
        result.err.append(buffer.data(), std::min(room, bytes));
        result.err_truncated = result.err_truncated || bytes > room;
      }
    }
    if (!exited_at && reap(pid, WNOHANG, status)) {
      exited_at = Clock::now();
    }
  }
  if (killed) {
    if (!exited_at) {
      reap(pid, 0, status);
    }
    return result;
  }
  // Both pipes are closed (or the grace after exit ran out): wait for the exit, within the deadline.
  while (!exited_at) {
    if (reap(pid, WNOHANG, status)) {
      exited_at = Clock::now();
      break;
    }
    if (Clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      reap(pid, 0, status);
      result.outcome = ProcessResult::Outcome::timed_out;
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  record_status(status, result);
  return result;
}

} // namespace herd::kube
