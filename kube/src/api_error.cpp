#include <herd/kube/api_error.hpp>

namespace herd::kube {

namespace {

using nlohmann::json;

constexpr std::size_t k_body_in_message = 256;

std::string_view reason_phrase(int status) {
  switch (status) {
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 409:
    return "Conflict";
  case 410:
    return "Gone";
  case 413:
    return "Request Entity Too Large";
  case 415:
    return "Unsupported Media Type";
  case 422:
    return "Unprocessable Entity";
  case 429:
    return "Too Many Requests";
  case 500:
    return "Internal Server Error";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  default:
    return "";
  }
}

// The start of a body that is not a Status, safe to print: control and non-ASCII bytes become '?'.
std::string printable_prefix(std::string_view body) {
  std::string out;
  for (const char c : body.substr(0, k_body_in_message)) {
    const auto byte = static_cast<unsigned char>(c);
    out += byte >= 0x20U && byte < 0x7fU ? c : '?';
  }
  if (body.size() > k_body_in_message) {
    out += "...";
  }
  return out;
}

} // namespace

std::string ApiError::to_string() const {
  if (status == 0) {
    return message;
  }
  std::string text = std::to_string(status);
  if (!reason.empty()) {
    text += " " + reason;
  }
  return message.empty() ? text : text + ": " + message;
}

ApiError api_error_from_status(const json& status) {
  ApiError error;
  if (!status.is_object()) {
    error.message = "the server sent an error that is not a Status";
    return error;
  }
  if (const auto code = status.find("code"); code != status.end() && code->is_number_integer()) {
    error.status = code->get<int>();
  }
  if (const auto reason = status.find("reason"); reason != status.end() && reason->is_string()) {
    error.reason = reason->get<std::string>();
  }
  if (const auto message = status.find("message"); message != status.end() && message->is_string()) {
    error.message = message->get<std::string>();
  }
  if (const auto details = status.find("details"); details != status.end() && details->is_object()) {
    if (const auto retry = details->find("retryAfterSeconds");
        retry != details->end() && retry->is_number_integer()) {
      error.retry_after_seconds = retry->get<int>();
    }
  }
  return error;
}

ApiError api_error_from_response(int status, std::string_view body) {
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.value("kind", "") == "Status") {
    ApiError error = api_error_from_status(parsed);
    error.status = status; // the HTTP status is authoritative
    return error;
  }
  ApiError error;
  error.status = status;
  std::string message{reason_phrase(status)};
  if (const std::string text = printable_prefix(body); !text.empty()) {
    message += message.empty() ? text : ": " + text;
  }
  error.message = message.empty() ? "the server answered " + std::to_string(status) : message;
  return error;
}

} // namespace herd::kube
