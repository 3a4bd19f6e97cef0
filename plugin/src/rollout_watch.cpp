#include "rollout_watch.hpp"

#include "cluster_connection.hpp"
#include "rollout_status.hpp"
#include "terminal.hpp"

#include <herd/core/yaml_writer.hpp>
#include <herd/kube/api_client.hpp>
#include <herd/plugin/app.hpp>

#include <climits>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <ostream>
#include <poll.h>
#include <stop_token>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace herd::plugin {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// The write end of the pipe the signal handler writes to (-1: none). An atomic int is lock-free, so the
// handler may read it.
std::atomic<int> g_signal_pipe{-1};
static_assert(std::atomic<int>::is_always_lock_free);

void on_stop_signal(int /*signal*/) {
  const int saved_errno = errno;
  const int fd = g_signal_pipe.load();
  if (fd >= 0) {
    const char byte = 's';
    [[maybe_unused]] const ssize_t written = write(fd, &byte, 1);
  }
  errno = saved_errno;
}

// Requests a stop of the watch on SIGINT/SIGTERM or when the deadline passes. Requesting a stop runs the
// watch's stop callback (it closes the connection), which a signal handler must not do: the handler only
// writes a byte to a pipe, and a thread of ours reads it and requests the stop. After the first signal the
// previous handlers are back, so a second Ctrl-C acts as it would have.
class Interrupter {
public:
  enum class Reason { none, signal, deadline };

  explicit Interrupter(std::optional<Clock::time_point> deadline) : m_deadline(deadline) {
    std::array<int, 2> fds = {-1, -1};
    if (pipe2(fds.data(), O_CLOEXEC | O_NONBLOCK) != 0) {
      throw std::system_error(errno, std::generic_category(), "cannot create a pipe for signals");
    }
    m_read = fds[0];
    m_write = fds[1];
    g_signal_pipe.store(m_write);
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    install(SIGINT, action, m_previous_int);
    install(SIGTERM, action, m_previous_term);
    m_thread = std::thread([this] { wait_for_stop(); });
  }

  ~Interrupter() {
    restore_handlers();
    const char byte = 'q';
    [[maybe_unused]] const ssize_t written = write(m_write, &byte, 1);
    m_thread.join();
    close(m_read);
    close(m_write);
  }

  Interrupter(const Interrupter&) = delete;
  Interrupter& operator=(const Interrupter&) = delete;
  Interrupter(Interrupter&&) = delete;
  Interrupter& operator=(Interrupter&&) = delete;

  [[nodiscard]] std::stop_token token() const { return m_source.get_token(); }
  [[nodiscard]] Reason reason() const { return m_reason.load(); }

private:
  // A signal the parent ignores (nohup, a background job of a shell without job control) stays ignored.
  static void install(int signal, const struct sigaction& action, struct sigaction& previous) {
    sigaction(signal, nullptr, &previous);
    if (previous.sa_handler != SIG_IGN) {
      sigaction(signal, &action, nullptr);
    }
  }

  void restore_handlers() {
    const std::lock_guard lock(m_mutex);
    if (m_restored) {
      return;
    }
    m_restored = true;
    sigaction(SIGINT, &m_previous_int, nullptr);
    sigaction(SIGTERM, &m_previous_term, nullptr);
    g_signal_pipe.store(-1);
  }

  void stop(Reason reason) {
    m_reason.store(reason);
    m_source.request_stop();
  }

  void wait_for_stop() {
    for (;;) {
      int timeout_ms = -1;
      if (m_deadline) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(*m_deadline - Clock::now());
        if (left.count() <= 0) {
          stop(Reason::deadline);
          return;
        }
        timeout_ms = static_cast<int>(std::min<std::int64_t>(left.count(), INT_MAX));
      }
      pollfd readable{m_read, POLLIN, 0};
      const int ready = poll(&readable, 1, timeout_ms);
      if (ready <= 0) {
        continue; // EINTR, or the deadline: checked at the top
      }
      char byte = 0;
      if (read(m_read, &byte, 1) != 1) {
        continue;
      }
      if (byte == 'q') {
        return;
      }
      restore_handlers();
      stop(Reason::signal);
      return;
    }
  }

  std::optional<Clock::time_point> m_deadline;
  int m_read = -1;
  int m_write = -1;
  struct sigaction m_previous_int {};
  struct sigaction m_previous_term {};
  std::mutex m_mutex;
  bool m_restored = false;
  std::stop_source m_source;
  std::atomic<Reason> m_reason{Reason::none};
  std::thread m_thread;
};

// Prints successive views: on a terminal each one replaces the last in place; in a log, only what changed
// (rollout_view_changes).
class ViewPrinter {
public:
  explicit ViewPrinter(std::ostream& out) : m_out(out), m_terminal(terminal_fd(out)) {}

  void show(const RolloutView& view) {
    if (m_shown && view == m_last) {
      return;
    }
    if (m_terminal >= 0) {
      const TerminalSize size = terminal_size(m_terminal);
      // One column spare: a line filling the last column leaves some terminals waiting to wrap.
      const std::size_t columns = size.columns > 1 ? size.columns - 1 : 0;
      const std::vector<std::string> lines = fit_to_rows(view.texts(), size.rows);
      m_out << redraw_prefix(m_rows);
      for (const auto& line : lines) {
        m_out << fit_to_width(line, columns) << '\n';
      }
      m_rows = lines.size();
    } else {
      for (const auto& line : rollout_view_changes(m_last, view)) {
        m_out << line << '\n';
      }
    }
    m_out.flush();
    m_last = view;
    m_shown = true;
  }

private:
  std::ostream& m_out;
  int m_terminal;
  RolloutView m_last;
  bool m_shown = false;
  std::size_t m_rows = 0; // terminal rows the last view took
};

// Worth trying again: no answer, throttled, a server error, or a stream that broke mid-way.
bool transient(const kube::ApiError& error) {
  return error.status == 0 || error.status == 200 || error.status == 429 ||
         (error.status >= 500 && error.status != 501);
}

// Waits before retry number `retry` (0, 1, ...): 0.5 s doubling up to 5 s, cut short by a stop.
void wait_before_retry(int retry, const std::stop_token& stop) {
  const std::chrono::milliseconds delay = std::min<std::chrono::milliseconds>(
      std::chrono::seconds(5), std::chrono::milliseconds(500) * (1 << std::min(retry, 4)));
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  wake.wait_for(lock, stop, delay, [] { return false; });
}

int finish(const RolloutStatusOutcome& outcome, const std::string& name, const CommandContext& context) {
  const std::string message = outcome.message(name);
  if (outcome.kind == RolloutStatusOutcome::Kind::rolled_out) {
    context.out << message << '\n';
  } else if (!message.empty()) {
    context.out.flush();
    context.err << message << '\n';
  }
  return outcome.exit_code();
}

} // namespace

int rollout_status(const RolloutOptions& options, const CommandContext& context) {
  const std::optional<std::int64_t> timeout_ms = parse_rollout_timeout(options.timeout);
  if (!timeout_ms) {
    context.err << R"(error: invalid argument ")" << options.timeout
                << R"(" for "--timeout" flag: time: invalid duration ")" << options.timeout << "\"\n";
    return k_exit_usage;
  }
  core::Result<ClusterConnection> cluster = connect_cluster(context.global);
  if (!cluster) {
    context.err << "error: " << cluster.error().message << '\n';
    return k_exit_usage;
  }
  const bool snapshot = options.output != "text";
  const bool watching = options.watch && !snapshot;
  std::optional<Interrupter> interrupter;
  if (watching) {
    std::optional<Clock::time_point> deadline;
    if (*timeout_ms > 0) {
      deadline = Clock::now() + std::chrono::milliseconds(*timeout_ms);
    }
    interrupter.emplace(deadline);
  }

  kube::ApiClient& client = *cluster->client;
  const std::string& name_space = cluster->namespace_name;
  kube::ListOptions list_options;
  list_options.field_selector = "metadata.name=" + options.name;
  kube::ApiResult<kube::ObjectList> listed = client.list(kube::resources::stacks, name_space, list_options);
  if (!listed) {
    return report_api_error(listed.error(), *cluster, context.err);
  }
  if (listed->items.empty()) {
    std::string message = quoted_stack(options.name);
    message += " not found";
    return report_api_error(kube::ApiError{404, "NotFound", std::move(message)}, *cluster, context.err);
  }

  if (snapshot) {
    const json& stack = listed->items.front();
    const json status =
        stack.contains("status") && stack["status"].is_object() ? stack["status"] : json::object();
    if (options.output == "json") {
      context.out << status.dump(4) << '\n';
    } else {
      context.out << core::to_yaml(status);
    }
    // Only the document on stdout (it is piped to jq): the outcome shows in the exit code, errors on stderr.
    const RolloutStatusOutcome outcome = decide_rollout_status(stack);
    if (outcome.kind != RolloutStatusOutcome::Kind::rolled_out && outcome.done()) {
      context.err << outcome.message(options.name) << '\n';
    }
    return outcome.exit_code();
  }

  ViewPrinter printer(context.out);
  const auto observe = [&printer](const json& stack) {
    printer.show(render_rollout_view(stack));
    return decide_rollout_status(stack);
  };
  RolloutStatusOutcome outcome = observe(listed->items.front());
  if (outcome.done() || !watching) {
    return finish(outcome, options.name, context);
  }

  const std::stop_token stop = interrupter->token();
  kube::WatchOptions watch_options;
  watch_options.field_selector = list_options.field_selector;
  std::string resource_version = listed->resource_version;
  bool relist = false;
  int retries = 0;
  while (!outcome.done() && !stop.stop_requested()) {
    if (relist) {
      kube::ApiResult<kube::ObjectList> again =
          client.list(kube::resources::stacks, name_space, list_options);
      if (!again) {
        if (!transient(again.error())) {
          return report_api_error(again.error(), *cluster, context.err);
        }
        wait_before_retry(retries++, stop);
        continue;
      }
      relist = false;
      retries = 0;
      if (again->items.empty()) {
        outcome = {RolloutStatusOutcome::Kind::deleted, {}};
        break;
      }
      outcome = observe(again->items.front());
      resource_version = again->resource_version;
      continue;
    }
    watch_options.resource_version = resource_version;
    const kube::WatchResult result = client.watch(
        kube::resources::stacks, name_space, watch_options,
        [&](const kube::WatchEvent& event) {
          switch (event.type) {
          case kube::WatchEvent::Type::added:
          case kube::WatchEvent::Type::modified:
            outcome = observe(event.object);
            return !outcome.done();
          case kube::WatchEvent::Type::deleted:
            outcome = {RolloutStatusOutcome::Kind::deleted, {}};
            return false;
          default:
            return true; // a bookmark only moves the resourceVersion to resume from
          }
        },
        stop);
    resource_version = result.resource_version;
    switch (result.end) {
    case kube::WatchResult::End::closed:
      // Resume at once after a stream that delivered something; back off when streams end empty-handed
      // (a server closing every watch at once must not become a busy loop).
      if (result.events > 0) {
        retries = 0;
      } else if (result.error) {
        wait_before_retry(retries++, stop);
      }
      break;
    case kube::WatchResult::End::expired:
      relist = true;
      break;
    case kube::WatchResult::End::failed:
      if (!result.error || !transient(*result.error)) {
        return report_api_error(result.error.value_or(kube::ApiError{0, "", "the watch failed"}), *cluster,
                                context.err);
      }
      wait_before_retry(retries++, stop);
      break;
    case kube::WatchResult::End::stopped:
      break;
    }
  }
  if (!outcome.done()) {
    outcome.kind = interrupter->reason() == Interrupter::Reason::deadline
                       ? RolloutStatusOutcome::Kind::timed_out
                       : RolloutStatusOutcome::Kind::interrupted;
  }
  return finish(outcome, options.name, context);
}

} // namespace herd::plugin
