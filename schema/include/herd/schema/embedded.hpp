#pragma once

#include <string_view>

// The files of schema/, compiled into the binaries so lint, plan and the webhook never read them from disk.
namespace herd::embedded {

// schema/stack.schema.json: the JSON Schema (draft 7) of a Stack.
std::string_view stack_schema_json();
// schema/policy.schema.json: the JSON Schema (draft 7) of a policy document.
std::string_view policy_schema_json();
// schema/default-policy.yaml: the built-in policy.
std::string_view default_policy_yaml();

} // namespace herd::embedded
