#pragma once

#include <herd/core/result.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace herd::kube {

// Why an API request failed. Never holds a credential: messages name the server, never a token or a key.
struct ApiError {
  int status = 0;      // the HTTP status; 0 when no answer came (connection, TLS, timeout, configuration)
  std::string reason;  // the Status `reason` (NotFound, Conflict, AlreadyExists, Expired, ...), else empty
  std::string message; // the Status `message`, else a description ("connection refused to https://h:6443")
  std::optional<int> retry_after_seconds{}; // Retry-After of a 429/503 answer

  [[nodiscard]] bool not_found() const { return status == 404; }
  [[nodiscard]] bool conflict() const { return status == 409; }
  // 410 Gone (an expired resourceVersion or continue token): relist.
  [[nodiscard]] bool expired() const { return status == 410; }
  // "404 NotFound: configmaps \"x\" not found", "connection refused to https://h:6443".
  [[nodiscard]] std::string to_string() const;
};

// The ApiError of an answer with a failure `status`: the Status body's reason and message when the body is a
// metav1.Status, else "<status> <reason phrase>" plus the start of the body (printable ASCII, bounded).
ApiError api_error_from_response(int status, std::string_view body);

// The ApiError a Status object describes (the object of a watch ERROR event): its code, reason, message.
ApiError api_error_from_status(const nlohmann::json& status);

// A value or an ApiError.
template <typename T> using ApiResult = core::Result<T, ApiError>;

} // namespace herd::kube
