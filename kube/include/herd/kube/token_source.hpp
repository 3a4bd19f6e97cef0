#pragma once

#include <herd/core/result.hpp>
#include <herd/kube/environment.hpp>

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace herd::kube {

// A bearer token read from a file and re-read once it is older than `max_age` (a minute): the kubelet
// rotates projected service account tokens in place, and a kubeconfig's tokenFile may change the same way
// (client-go's NewCachedFileTokenSource). The file is trimmed; an empty file is an error. When a re-read
// fails, the last token read is kept (as client-go does), else `fallback` (a kubeconfig's static token), else
// the error. Thread-safe.
class TokenSource {
public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  static constexpr std::chrono::seconds k_default_max_age{60};

  // `environment` must outlive the TokenSource.
  TokenSource(
      const Environment& environment,
      std::string path,
      std::string fallback = {},
      std::chrono::steady_clock::duration max_age = k_default_max_age,
      Clock clock = [] { return std::chrono::steady_clock::now(); });

  // The current token; reads the file on first use and when the last read is older than max_age.
  core::Result<std::string> token();

  // Forgets when the file was read, so the next token() reads it again (after a 401).
  void invalidate();

  [[nodiscard]] const std::string& path() const { return m_path; }

private:
  const Environment& m_environment;
  std::string m_path;
  std::string m_fallback;
  std::chrono::steady_clock::duration m_max_age;
  Clock m_clock;
  std::mutex m_mutex;
  std::string m_token;
  std::optional<std::chrono::steady_clock::time_point> m_read_at;
};

} // namespace herd::kube
