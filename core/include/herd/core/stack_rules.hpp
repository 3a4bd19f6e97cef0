#pragma once

#include <herd/core/diagnostic_sink.hpp>
#include <herd/core/policy.hpp>
#include <herd/core/stack.hpp>

namespace herd::core {

// The rules a schema cannot express: chart names, the dependency graph, release collisions, selector
// requirements, timeout without wait, and the policy's environment and tenancy rules. Runs on the Stack after
// defaults and policy injection; tolerant of the gaps a failed schema check leaves.
void check_stack_rules(const Stack& stack, const Policy& policy, DiagnosticSink& sink);

// The rules of an UPDATE (the webhook only: lint has no stored object): a chart's namespace and release name
// are immutable, because Helm cannot move or rename a release. Both Stacks are after defaults.
void check_stack_update(const Stack& old_stack, const Stack& stack, DiagnosticSink& sink);

} // namespace herd::core
