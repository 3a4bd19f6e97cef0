#pragma once

// `kubectl herd rollout status`: what it shows and when it is done, decided from the Stack object alone
// (pure; the watch loop is in rollout_watch.cpp). Everything is read from the Stack's documented status
// (DESIGN §2), as JSON: the plugin does not link the controller.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herd::plugin {

// One line of the rollout view.
struct RolloutLine {
  enum class Kind { header, wave, chart, deployment };
  static constexpr std::size_t k_no_parent = std::numeric_limits<std::size_t>::max();

  Kind kind = Kind::header;
  // What the line is about, stable while its text changes: "" (the header), "wave 2", "chart vllm",
  // "chart vllm cluster c-m-gpu01", "chart vllm more". A non-terminal prints the lines whose key is new or
  // whose text changed.
  std::string key;
  std::size_t parent = k_no_parent; // index of the enclosing line: a chart's wave, a deployment's chart
  std::string text;                 // as printed, indented, one line (control characters become spaces)

  bool operator==(const RolloutLine&) const = default;
};

// The compact view of a Stack's rollout:
//   Waiting for stack "rag" rollout to finish: Deploying, 1 of 3 charts ready, 3 of 6 deployments ready...
//   wave 1
//     qdrant      2/2  Ready
//   wave 2
//     vllm        1/2  NotReady
//       c-m-gpu02 NotReady: Deployment vllm/vllm: 0/1 available
//   wave 3
//     open-webui  0/2  WaitingForDependency
//       waiting for dependency vllm on c-m-gpu01
//       waiting for dependency vllm on c-m-gpu02
// The header is kubectl's wording while waiting (`Waiting for stack "x" spec update to be observed...` while
// status.observedGeneration lags metadata.generation), else `stack "x": Deployed, ...`. Charts are grouped by
// the dependency waves of the Stack's spec (core's DependencyGraph, as plan shows them; wave 0 is the policy
// Bundle when the status lists one; charts on a dependency cycle come last). A chart line is
// status.bundles[].readyClusters and .state: "-/-  Pending" before the reconciler reports on the chart, and
// where Fleet says ErrApplied only because deployments wait for a dependency, the worst state listed (such as
// WaitingForDependency). Under each chart, its not-ready status.deployments (worst first, as the status
// orders them; at most k_max_clusters_per_chart), then "and N more clusters not ready" for the rest Fleet
// counts (the status caps its list, Fleet's counts are complete).
struct RolloutView {
  std::vector<RolloutLine> lines;

  [[nodiscard]] std::vector<std::string> texts() const;
  bool operator==(const RolloutView&) const = default;
};

inline constexpr std::size_t k_max_clusters_per_chart = 5;

RolloutView render_rollout_view(const nlohmann::json& stack);

// What a log (not a terminal) gets when the view goes from `previous` to `current`: every line the first time
// (`previous` empty); later, nothing when no line changed, else the header followed by each line that is new
// or changed, with the wave and chart lines it sits under for context (also a chart one of whose lines went
// away). So each change in the log is one header line plus the few lines that changed.
std::vector<std::string> rollout_view_changes(const RolloutView& previous, const RolloutView& current);

// Where a rollout stands, and whether `kubectl herd rollout status` is done with it.
struct RolloutStatusOutcome {
  enum class Kind {
    waiting,     // not there yet (also while the spec update is not observed): keep watching
    rolled_out,  // phase Deployed for the current generation: exit 0
    failed,      // phase Failed for the current generation
    deleting,    // metadata.deletionTimestamp is set
    deleted,     // the Stack is gone (a DELETED event, or missing on a relist)
    timed_out,   // --timeout passed
    interrupted, // SIGINT or SIGTERM
  };
  Kind kind = Kind::waiting;
  std::string detail; // failed: the status message

  [[nodiscard]] bool done() const { return kind != Kind::waiting; }
  // 0 when rolled out, else 1 (also when --watch=false or -o json find it still waiting).
  [[nodiscard]] int exit_code() const;
  // What to print when the command ends this way ("" for waiting): for rolled_out, to stdout
  //   stack "x" successfully rolled out
  // otherwise, to stderr, as kubectl words it
  //   error: stack "x" failed: <status message>
  //   error: stack "x" is being deleted
  //   error: stack "x" has been deleted
  //   error: timed out waiting for the condition
  //   error: interrupted
  [[nodiscard]] std::string message(std::string_view stack_name) const;
};

// The outcome a Stack object shows: deleting when it has a deletionTimestamp; waiting while
// status.observedGeneration < metadata.generation (kubectl's rule: a status about an older spec says
// nothing); then rolled_out for phase Deployed, failed for Failed, and waiting for every other phase
// (Pending, Deploying, Degraded, Paused, NoTargets: each can still become Deployed).
RolloutStatusOutcome decide_rollout_status(const nlohmann::json& stack);

// --timeout as kubectl reads it: a Go duration ("90s", "10m", "1h30m", "0"), in milliseconds; 0 means no
// limit. nullopt when `text` is not one.
std::optional<std::int64_t> parse_rollout_timeout(std::string_view text);

// `line` cut to at most `columns` characters (UTF-8 code points), ending in "..." when cut, so a redrawn line
// never wraps (a wrapped line would take two rows and break the cursor arithmetic). 0: no limit.
std::string fit_to_width(std::string_view line, std::size_t columns);

// `lines` fitted to a terminal of `rows` rows (0: no limit): when there are more lines than rows - 1 (the
// cursor's line stays free), the first rows - 2 and then "... N more lines (-o json prints them all)".
std::vector<std::string> fit_to_rows(std::vector<std::string> lines, std::size_t rows);

// The ANSI sequence that moves the cursor back to the start of the `rows` lines printed last and clears
// from there to the end of the screen, so the next view is drawn in their place ("" for 0 rows).
std::string redraw_prefix(std::size_t rows);

} // namespace herd::plugin
