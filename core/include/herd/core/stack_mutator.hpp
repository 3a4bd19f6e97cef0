#pragma once

#include <herd/core/policy.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace herd::core {

inline constexpr std::string_view k_policy_annotation = "herd.suse.com/policy";
inline constexpr std::string_view k_injected_annotation = "herd.suse.com/injected";
inline constexpr std::string_view k_env_label = "herd.suse.com/env";

struct MutationNotice {
  std::string path; // the field the notice is about
  std::string message;
};

struct MutationResult {
  std::vector<std::string> defaulted;        // paths set to their API default
  std::vector<std::string> injected;         // paths set by the policy (features turned on, values overlays)
  std::vector<std::string> injected_reasons; // why, for each entry of `injected` (same index)
  std::vector<MutationNotice> warnings;
  bool changed = false;
};

// Applies the Stack API's defaults and the policy's injection to `stack` in place, exactly as the mutating
// webhook does: missing fields get their defaults, features the env requires are turned on (with a warning),
// and enabled features' values overlays fill what the user left unset (user values win). Records the policy
// and the injected paths in the herd.suse.com/policy and herd.suse.com/injected annotations, and the env in
// the herd.suse.com/env label.
//
// Idempotent: mutating the result again changes nothing. Never fails: fields of the wrong type are left for
// the schema check to report.
MutationResult mutate_stack(nlohmann::json& stack, const Policy& policy);

} // namespace herd::core
