#pragma once

#include <herd/core/policy.hpp>
#include <herd/core/result.hpp>

#include <string>

namespace herd::plugin {

// The policy named by --policy, or the built-in one when `path` is empty.
core::Result<core::Policy> load_policy(const std::string& path);

} // namespace herd::plugin
