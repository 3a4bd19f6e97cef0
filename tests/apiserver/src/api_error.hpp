#pragma once

// metav1.Status errors, as kube-apiserver builds them (k8s.io/apimachinery/pkg/api/errors): the reason, the
// code and the message wording clients match on (client-go's apierrors.IsConflict, IsNotFound, IsGone, ...).

#include <herd/test_apiserver/api_server.hpp>

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace herd::test_apiserver {

struct StatusCause {
  std::string reason; // FieldValueInvalid, FieldValueRequired, FieldManagerConflict, ...
  std::string message;
  std::string field;
};

// Thrown by the store and caught at the HTTP boundary, where it becomes a Status body with `code`.
class ApiError : public std::runtime_error {
public:
  ApiError(int code, std::string reason, const std::string& message, nlohmann::json details = nullptr);

  [[nodiscard]] int code() const { return m_code; }
  [[nodiscard]] const std::string& reason() const { return m_reason; }
  [[nodiscard]] const nlohmann::json& details() const { return m_details; }
  [[nodiscard]] int retry_after_seconds() const;
  // The Status's ListMeta (an expired continue token carries a fresh one there).
  void set_metadata(nlohmann::json metadata) { m_metadata = std::move(metadata); }
  // {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",...}
  [[nodiscard]] nlohmann::json status() const;

private:
  int m_code;
  std::string m_reason;
  nlohmann::json m_details;
  nlohmann::json m_metadata = nlohmann::json::object();
};

nlohmann::json status_details(const ResourceType& type, const std::string& name);

// `stacks.herd.suse.com "x" not found`
ApiError not_found(const ResourceType& type, const std::string& name);
ApiError namespace_not_found(const std::string& name_space);
ApiError resource_not_found(); // an unknown path: "the server could not find the requested resource"
ApiError already_exists(const ResourceType& type, const std::string& name);
// `Operation cannot be fulfilled on stacks.herd.suse.com "x": <why>`
ApiError conflict(const ResourceType& type, const std::string& name, const std::string& why);
ApiError stale_resource_version(const ResourceType& type, const std::string& name);
// `Stack.herd.suse.com "x" is invalid: [field: Invalid value: ..., ...]`
ApiError invalid(const std::string& group,
                 const std::string& kind,
                 const std::string& name,
                 const std::vector<StatusCause>& causes);
ApiError invalid(const ResourceType& type, const std::string& name, const std::vector<StatusCause>& causes);
ApiError bad_request(const std::string& message);
ApiError method_not_allowed(const std::string& method);
ApiError unsupported_media_type(const std::string& content_type, const std::vector<std::string>& accepted);
ApiError expired(const std::string& message); // 410, reason Expired
ApiError internal_error(const std::string& message);
ApiError unauthorized();
ApiError too_many_requests(int retry_after_seconds, const std::string& message);
// A Status for any code, as errors.NewGenericServerResponse builds it (fault injection).
ApiError generic_error(int code, int retry_after_seconds, const std::string& message);

} // namespace herd::test_apiserver
