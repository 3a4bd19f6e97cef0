#pragma once

#include <herd/core/linter.hpp>
#include <herd/core/policy.hpp>
#include <herd/core/result.hpp>

#include <memory>
#include <string>

namespace herd::plugin {

// The policy named by --policy, or the built-in one when `path` is empty.
core::Result<core::Policy> load_policy(const std::string& path);

// The one judge every command uses, with the policy named by --policy (or the built-in one).
core::Result<std::shared_ptr<core::Linter>> load_linter(const std::string& policy_path);

} // namespace herd::plugin
