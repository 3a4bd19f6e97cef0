#include "api_error.hpp"

#include <utility>

namespace herd::test_apiserver {

using nlohmann::json;

ApiError::ApiError(int code, std::string reason, const std::string& message, json details)
    : std::runtime_error(message), m_code(code), m_reason(std::move(reason)), m_details(std::move(details)) {}

int ApiError::retry_after_seconds() const {
  if (m_details.is_object() && m_details.contains("retryAfterSeconds") &&
      m_details["retryAfterSeconds"].is_number_integer()) {
    return m_details["retryAfterSeconds"].get<int>();
  }
  return 0;
}

json ApiError::status() const {
  json out = {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", m_metadata},
              {"status", "Failure"}, {"message", what()},  {"reason", m_reason}};
  if (!m_details.is_null()) {
    out["details"] = m_details;
  }
  out["code"] = m_code;
  return out;
}

json status_details(const ResourceType& type, const std::string& name) {
  json details = json::object();
  if (!name.empty()) {
    details["name"] = name;
  }
  if (!type.group.empty()) {
    details["group"] = type.group;
  }
  details["kind"] = type.plural;
  return details;
}

ApiError not_found(const ResourceType& type, const std::string& name) {
  return {404, "NotFound", type.group_resource() + " \"" + name + "\" not found", status_details(type, name)};
}

ApiError namespace_not_found(const std::string& name_space) {
  return {404, "NotFound", "namespaces \"" + name_space + "\" not found",
          json{{"name", name_space}, {"kind", "namespaces"}}};
}

ApiError resource_not_found() {
  return {404, "NotFound", "the server could not find the requested resource", json::object()};
}

ApiError already_exists(const ResourceType& type, const std::string& name) {
  return {409, "AlreadyExists", type.group_resource() + " \"" + name + "\" already exists",
          status_details(type, name)};
}

ApiError conflict(const ResourceType& type, const std::string& name, const std::string& why) {
  return {409, "Conflict",
          "Operation cannot be fulfilled on " + type.group_resource() + " \"" + name + "\": " + why,
          status_details(type, name)};
}

ApiError stale_resource_version(const ResourceType& type, const std::string& name) {
  // k8s.io/apiserver/pkg/registry/generic/registry.OptimisticLockErrorMsg
  return conflict(
      type, name,
      "the object has been modified; please apply your changes to the latest version and try again");
}

ApiError invalid(const std::string& group,
                 const std::string& kind,
                 const std::string& name,
                 const std::vector<StatusCause>& causes) {
  const std::string qualified = group.empty() ? kind : kind + "." + group;
  std::string list;
  json details = json::object();
  if (!name.empty()) {
    details["name"] = name;
  }
  if (!group.empty()) {
    details["group"] = group;
  }
  details["kind"] = kind;
  details["causes"] = json::array();
  for (const auto& cause : causes) {
    const std::string text = cause.field.empty() ? cause.message : cause.field + ": " + cause.message;
    list += (list.empty() ? "" : ", ") + text;
    details["causes"].push_back(
        {{"reason", cause.reason}, {"message", cause.message}, {"field", cause.field}});
  }
  if (causes.size() > 1) {
    list = "[" + list + "]";
  }
  return {422, "Invalid", qualified + " \"" + name + "\" is invalid: " + list, details};
}

ApiError invalid(const ResourceType& type, const std::string& name, const std::vector<StatusCause>& causes) {
  return invalid(type.group, type.kind, name, causes);
}

ApiError bad_request(const std::string& message) {
  return {400, "BadRequest", message};
}

ApiError method_not_allowed(const std::string& method) {
  return {405, "MethodNotAllowed", method + " is not supported on the requested resource", json::object()};
}

ApiError unsupported_media_type(const std::string& content_type, const std::vector<std::string>& accepted) {
  std::string list;
  for (const auto& type : accepted) {
    list += (list.empty() ? "" : ", ") + type;
  }
  return {415, "UnsupportedMediaType",
          "the body of the request was in an unknown format (" + content_type +
              ") - accepted media types include: " + list,
          json::object()};
}

ApiError expired(const std::string& message) {
  return {410, "Expired", message};
}

ApiError internal_error(const std::string& message) {
  return {500, "InternalError", "Internal error occurred: " + message,
          json{{"causes", json::array({json{{"message", message}}})}}};
}

ApiError unauthorized() {
  return {401, "Unauthorized", "Unauthorized"};
}

ApiError too_many_requests(int retry_after_seconds, const std::string& message) {
  return {429, "TooManyRequests", message.empty() ? "Too many requests, please try again later." : message,
          json{{"retryAfterSeconds", retry_after_seconds}}};
}

ApiError generic_error(int code, int retry_after_seconds, const std::string& message) {
  // errors.NewGenericServerResponse: the reason and default message follow the code.
  std::string reason = "Unknown";
  std::string text = "an error on the server has prevented the request from succeeding";
  switch (code) {
  case 400:
    reason = "BadRequest";
    text = "the server rejected our request for an unknown reason";
    break;
  case 401:
    reason = "Unauthorized";
    text = "the server has asked for the client to provide credentials";
    break;
  case 403:
    reason = "Forbidden";
    text = "the server does not allow access to the requested resource";
    break;
  case 404:
    reason = "NotFound";
    text = "the server could not find the requested resource";
    break;
  case 405:
    reason = "MethodNotAllowed";
    text = "the server does not allow this method on the requested resource";
    break;
  case 409:
    reason = "Conflict";
    text = "the server reported a conflict";
    break;
  case 410:
    reason = "Gone";
    text = "the server reported that the requested resource is gone";
    break;
  case 422:
    reason = "Invalid";
    text = "the server rejected our request due to an error in our request";
    break;
  case 429:
    return too_many_requests(retry_after_seconds, message);
  case 500:
    reason = "InternalError";
    text = "an error on the server (\"\") has prevented the request from succeeding";
    break;
  case 503:
    reason = "ServiceUnavailable";
    text = "the server is currently unable to handle the request";
    break;
  case 504:
    reason = "Timeout";
    text = "the server was unable to return a response in the time allotted, but may still be processing the "
           "request";
    break;
  default:
    break;
  }
  json details = json::object();
  if (retry_after_seconds > 0 && (code == 503 || code == 504 || code == 500)) {
    details["retryAfterSeconds"] = retry_after_seconds;
  }
  return {code, reason, message.empty() ? text : message, details};
}

} // namespace herd::test_apiserver
