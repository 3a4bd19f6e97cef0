#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace herd::plugin {

// An age as kubectl prints it (apimachinery's duration.HumanDuration): "45s", "2m", "3m30s", "5h", "4d",
// "3y"; "0s" for up to a second in the future (clock skew), "<invalid>" further in the future.
std::string human_duration(std::chrono::seconds age);

// The age of an RFC 3339 timestamp ("2024-05-01T12:00:00Z", as metadata.creationTimestamp holds it) at `now`,
// in human_duration's format; "<unknown>" when `timestamp` is not one.
std::string age_since(std::string_view timestamp, std::chrono::system_clock::time_point now);

} // namespace herd::plugin
