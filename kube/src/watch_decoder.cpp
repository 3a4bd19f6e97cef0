#include <herd/kube/watch_decoder.hpp>

#include <optional>

namespace herd::kube {

namespace {

using nlohmann::json;

std::optional<WatchEvent::Type> parse_type(std::string_view text) {
  if (text == "ADDED") {
    return WatchEvent::Type::added;
  }
  if (text == "MODIFIED") {
    return WatchEvent::Type::modified;
  }
  if (text == "DELETED") {
    return WatchEvent::Type::deleted;
  }
  if (text == "BOOKMARK") {
    return WatchEvent::Type::bookmark;
  }
  if (text == "ERROR") {
    return WatchEvent::Type::error;
  }
  return std::nullopt;
}

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

} // namespace

std::string_view to_string(WatchEvent::Type type) {
  switch (type) {
  case WatchEvent::Type::added:
    return "ADDED";
  case WatchEvent::Type::modified:
    return "MODIFIED";
  case WatchEvent::Type::deleted:
    return "DELETED";
  case WatchEvent::Type::bookmark:
    return "BOOKMARK";
  case WatchEvent::Type::error:
    return "ERROR";
  }
  return "UNKNOWN";
}

WatchStreamDecoder::WatchStreamDecoder(std::size_t max_line_bytes) : m_max_line_bytes(max_line_bytes) {}

core::VoidResult WatchStreamDecoder::fail(std::string message) {
  m_error = std::move(message);
  m_pending.clear();
  m_pending.shrink_to_fit();
  return core::Error{m_error};
}

core::VoidResult WatchStreamDecoder::decode_line(std::string_view line, std::vector<WatchEvent>& events) {
  if (blank(line)) {
    return core::success();
  }
  const std::string where = "watch event " + std::to_string(m_events + 1);
  json parsed;
  try {
    parsed = json::parse(line);
  } catch (const json::parse_error& error) {
    return fail(where + ": malformed JSON at byte " + std::to_string(error.byte));
  } catch (const json::exception&) { // out_of_range: a number beyond double
    return fail(where + ": malformed JSON (a number out of range)");
  }
  if (!parsed.is_object()) {
    return fail(where + ": not a JSON object");
  }
  const auto type = parsed.find("type");
  if (type == parsed.end() || !type->is_string()) {
    return fail(where + ": missing \"type\"");
  }
  const auto parsed_type = parse_type(type->get_ref<const std::string&>());
  if (!parsed_type) {
    return fail(where + ": unknown type \"" + type->get<std::string>().substr(0, 32) + "\"");
  }
  const auto object = parsed.find("object");
  if (object == parsed.end() || !object->is_object()) {
    return fail(where + ": missing \"object\"");
  }
  events.push_back(WatchEvent{*parsed_type, std::move(*object)});
  ++m_events;
  return core::success();
}

core::VoidResult WatchStreamDecoder::feed(std::string_view bytes, std::vector<WatchEvent>& events) {
  if (!m_error.empty()) {
    return core::Error{m_error};
  }
  while (!bytes.empty()) {
    const std::size_t newline = bytes.find('\n');
    const std::string_view piece = bytes.substr(0, newline);
    if (m_pending.size() + piece.size() > m_max_line_bytes) {
      return fail("watch event " + std::to_string(m_events + 1) + ": line longer than " +
                  std::to_string(m_max_line_bytes) + " bytes");
    }
    if (newline == std::string_view::npos) {
      m_pending.append(piece);
      break;
    }
    bytes.remove_prefix(newline + 1);
    core::VoidResult decoded = core::success();
    if (m_pending.empty()) {
      decoded = decode_line(piece, events);
    } else {
      m_pending.append(piece);
      const std::string line = std::move(m_pending);
      m_pending.clear();
      decoded = decode_line(line, events);
    }
    if (!decoded) {
      return decoded;
    }
  }
  return core::success();
}

core::VoidResult WatchStreamDecoder::finish() {
  if (!m_error.empty()) {
    return core::Error{m_error};
  }
  if (!blank(m_pending)) {
    return fail("watch event " + std::to_string(m_events + 1) +
                ": the stream ended in the middle of an event");
  }
  m_pending.clear();
  return core::success();
}

} // namespace herd::kube
