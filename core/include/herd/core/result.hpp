#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace herd::core {

// An expected failure: what went wrong and, when known, where. Errors that reach users are values of this
// type (or Diagnostics), never exceptions crossing a module boundary.
struct Error {
  std::string message;
  std::string file{};
  int line = 0;   // 1-based; 0 = unknown
  int column = 0; // 1-based; 0 = unknown
};

// A value or an error (an Error unless another type is named, e.g. kube::ApiError). A small stand-in for
// std::expected, which clang 14 cannot compile from libstdc++ 12.
template <typename T, typename E = Error> class Result {
public:
  Result(T value) : m_state(std::move(value)) {} // NOLINT(google-explicit-constructor): implicit by design
  Result(E error) : m_state(std::move(error)) {} // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return m_state.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(m_state);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(m_state);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(m_state));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  [[nodiscard]] const E& error() const {
    assert(!ok());
    return std::get<1>(m_state);
  }

private:
  std::variant<T, E> m_state;
};

// The Result of an operation that returns nothing but may fail.
using VoidResult = Result<std::monostate>;

inline VoidResult success() {
  return std::monostate{};
}

} // namespace herd::core
