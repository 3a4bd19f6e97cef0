#include "whitespace.hpp"

#include <herd/kube/token_source.hpp>

#include <utility>

namespace herd::kube {

namespace {

constexpr std::size_t k_max_token_bytes = std::size_t{1024} * 1024;

} // namespace

TokenSource::TokenSource(const Environment& environment,
                         std::string path,
                         std::string fallback,
                         std::chrono::steady_clock::duration max_age,
                         Clock clock)
    : m_environment(environment), m_path(std::move(path)), m_fallback(std::move(fallback)),
      m_max_age(max_age), m_clock(std::move(clock)) {}

core::Result<std::string> TokenSource::token() {
  const std::lock_guard lock(m_mutex);
  const auto now = m_clock();
  if (m_read_at && !m_token.empty() && now - *m_read_at < m_max_age) {
    return m_token;
  }
  const FileRead read = m_environment.read_file(m_path, k_max_token_bytes);
  std::string error;
  if (read.ok()) {
    std::string token = trim_whitespace(read.bytes);
    if (!token.empty()) {
      m_token = std::move(token);
      m_read_at = now;
      return m_token;
    }
    error = "token file " + m_path + " is empty";
  } else {
    error = "cannot read token file " + m_path + ": " + read.error;
  }
  if (!m_token.empty()) {
    return m_token; // keep the last good token; try the file again on the next call
  }
  if (!m_fallback.empty()) {
    return m_fallback;
  }
  return core::Error{error};
}

void TokenSource::invalidate() {
  const std::lock_guard lock(m_mutex);
  m_read_at.reset();
}

} // namespace herd::kube
