#pragma once

#include <herd/core/result.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace herd::kube {

// One event of a watch stream (metav1.WatchEvent).
struct WatchEvent {
  enum class Type { added, modified, deleted, bookmark, error };
  Type type = Type::added;
  nlohmann::json object; // the object; for `error`, a metav1.Status
};

// "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR".
std::string_view to_string(WatchEvent::Type type);

// Splits the body of a watch response (newline-delimited JSON: one {"type": ..., "object": {...}} per line)
// into events, whatever the chunks it arrives in: an event may be split across chunks and a chunk may hold
// several. Pure (no I/O); not thread-safe. Once feed() or finish() has failed, every later call fails with
// the same error.
class WatchStreamDecoder {
public:
  static constexpr std::size_t k_default_max_line_bytes = 16U * 1024U * 1024U;

  // `max_line_bytes` bounds one event's line (a longer one is an error, reported as soon as it is exceeded).
  explicit WatchStreamDecoder(std::size_t max_line_bytes = k_default_max_line_bytes);

  // Decodes the complete lines `bytes` ends (with what earlier calls left over) and appends their events to
  // `events`, in order. Blank lines are skipped; "\r\n" is accepted. Fails on a line that is not a JSON
  // object, whose `type` is not one of the five, or without an object `object`; the events before it are
  // still appended.
  core::VoidResult feed(std::string_view bytes, std::vector<WatchEvent>& events);

  // The stream ended: fails when it stopped in the middle of an event (a truncated line).
  core::VoidResult finish();

  // Events decoded so far.
  [[nodiscard]] std::size_t events_decoded() const { return m_events; }

private:
  core::VoidResult fail(std::string message);
  core::VoidResult decode_line(std::string_view line, std::vector<WatchEvent>& events);

  std::size_t m_max_line_bytes;
  std::string m_pending; // bytes of the unfinished line
  std::size_t m_events = 0;
  std::string m_error; // set once failed
};

} // namespace herd::kube
