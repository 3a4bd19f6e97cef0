#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace herd::kube {

// The outcome of running a program to completion without a shell.
struct ProcessResult {
  enum class Outcome {
    exited,           // exit_code is valid
    signaled,         // killed by `signal`
    timed_out,        // killed after the timeout
    output_too_large, // killed: wrote more than max_stdout bytes to stdout
    not_found,        // the command does not exist (or is not executable: spawn_error says which)
    spawn_failed,     // anything else that kept it from starting (spawn_error)
  };
  Outcome outcome = Outcome::spawn_failed;
  int exit_code = -1;
  int signal = 0;
  std::string out;
  std::string err; // the first max_stderr bytes of stderr
  bool err_truncated = false;
  std::string spawn_error; // strerror text
};

// Runs `command` (looked up on PATH when it holds no '/', as Go's exec.Command does) with `args` and exactly
// the environment `env` ("NAME=value" entries), stdin from /dev/null, in its own process group (killed as a
// whole on timeout or oversized output). Every other file descriptor is closed in the child.
ProcessResult run_process(const std::string& command,
                          const std::vector<std::string>& args,
                          const std::vector<std::string>& env,
                          std::chrono::milliseconds timeout,
                          std::size_t max_stdout,
                          std::size_t max_stderr);

} // namespace herd::kube
