#pragma once

#include "command_context.hpp"
#include "rollout_command.hpp"

namespace herd::plugin {

// `kubectl herd rollout status STACK`, as `kubectl rollout status` waits for a Deployment: lists the Stack
// (fieldSelector metadata.name=STACK), then watches it from the list's resourceVersion, printing the view of
// rollout_status.hpp after every change until decide_rollout_status says it is done, --timeout passes or
// SIGINT/SIGTERM arrives. A watch stream that ends is resumed from the last resourceVersion seen (bookmarks
// included); 410 Gone lists again; a server that cannot be reached is retried with backoff until the
// timeout. On a terminal the view is redrawn in place; otherwise each change prints the header and the lines
// that changed (rollout_view_changes). --watch=false prints the view once; -o json|yaml prints the Stack's
// .status once. Returns 0 when rolled out; 1 when failed, deleted, timed out, interrupted, still waiting
// without --watch, or on an API error (kubectl's wording: `Error from server (NotFound): ...`); 2 on a usage
// error (an invalid --timeout, no kubeconfig).
int rollout_status(const RolloutOptions& options, const CommandContext& context);

} // namespace herd::plugin
