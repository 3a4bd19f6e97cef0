#include "rollout_status.hpp"

#include "terminal.hpp"

#include <herd/core/dependency_graph.hpp>
#include <herd/core/go_duration.hpp>
#include <herd/core/json_member.hpp>
#include <herd/core/stack.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>
#include <utility>

namespace herd::plugin {

namespace {

using nlohmann::json;

// The chart name the reconciler gives the policy Bundle in status.bundles (controller's k_policy_chart; the
// status is an API, so the plugin reads the name rather than linking the controller).
constexpr std::string_view k_policy_chart = "herd-policy";
constexpr std::string_view k_waiting_for_dependency = "WaitingForDependency";

using core::member;

std::string string_of(const json& value) {
  return value.is_string() ? value.get<std::string>() : std::string();
}

std::optional<std::int64_t> integer_of(const json& value) {
  if (value.is_number_integer()) {
    return value.get<std::int64_t>();
  }
  return std::nullopt;
}

std::string padded(std::string text, std::size_t width) {
  if (text.size() < width) {
    text.append(width - text.size(), ' ');
  }
  return text;
}

// "1/2" -> {1, 2}; nullopt for anything else.
std::optional<std::pair<std::int64_t, std::int64_t>> parse_ready_clusters(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) {
    return std::nullopt;
  }
  std::int64_t parts[2] = {0, 0};
  const std::string_view halves[2] = {text.substr(0, slash), text.substr(slash + 1)};
  for (int i = 0; i < 2; ++i) {
    if (halves[i].size() > 15) {
      return std::nullopt;
    }
    for (const char c : halves[i]) {
      if (c < '0' || c > '9') {
        return std::nullopt;
      }
      parts[i] = parts[i] * 10 + (c - '0');
    }
  }
  return std::pair{parts[0], parts[1]};
}

std::string stack_quoted(std::string_view name) {
  return "stack \"" + std::string(name) + "\"";
}

bool spec_update_observed(const json& stack) {
  const std::optional<std::int64_t> observed =
      integer_of(member(member(stack, "status"), "observedGeneration"));
  const std::int64_t generation = integer_of(member(member(stack, "metadata"), "generation")).value_or(0);
  return observed && *observed >= generation;
}

// "Deploying, 1 of 3 charts ready, 3 of 6 deployments ready" from status.summary (the spec's chart count
// until the reconciler reports one).
std::string progress_text(const json& status, std::string_view phase, std::size_t spec_charts) {
  const json& summary = member(status, "summary");
  const std::int64_t charts =
      integer_of(member(summary, "charts")).value_or(static_cast<std::int64_t>(spec_charts));
  const std::int64_t ready = integer_of(member(summary, "readyBundles")).value_or(0);
  std::string text =
      std::string(phase) + ", " + std::to_string(ready) + " of " + std::to_string(charts) + " charts ready";
  if (const auto desired = integer_of(member(summary, "desiredDeployments"))) {
    text += ", " + std::to_string(integer_of(member(summary, "readyDeployments")).value_or(0)) + " of " +
            std::to_string(*desired) + " deployments ready";
  }
  return text;
}

std::string header_text(const json& stack, const RolloutStatusOutcome& outcome, std::size_t spec_charts) {
  const std::string name = string_of(member(member(stack, "metadata"), "name"));
  const json& status = member(stack, "status");
  if (outcome.kind == RolloutStatusOutcome::Kind::deleting) {
    return stack_quoted(name) + ": " + progress_text(status, "Deleting", spec_charts);
  }
  if (!spec_update_observed(stack)) {
    return "Waiting for " + stack_quoted(name) + " spec update to be observed...";
  }
  std::string phase = one_line(string_of(member(status, "phase")));
  if (phase.empty()) {
    phase = "Unknown";
  }
  if (outcome.done()) {
    return stack_quoted(name) + ": " + progress_text(status, phase, spec_charts);
  }
  return "Waiting for " + stack_quoted(name) +
         " rollout to finish: " + progress_text(status, phase, spec_charts) + "...";
}

// What the status says about one chart.
struct ChartStatus {
  std::string ready_clusters = "-/-";
  std::string state = "Pending";
  std::vector<const json*> not_ready; // its status.deployments entries that are not Ready, worst first
};

std::string deployment_text(const json& deployment) {
  const std::string state = one_line(string_of(member(deployment, "status")));
  std::string message = one_line(string_of(member(deployment, "message")));
  if (state == k_waiting_for_dependency && !message.empty()) {
    return message; // the reconciler's "waiting for dependency qdrant on c-m-gpu01" names the cluster
  }
  std::string text = one_line(string_of(member(deployment, "clusterId"))) + " " + state;
  if (!message.empty()) {
    text += ": " + message;
  }
  return text;
}

// The chart's state as Fleet shows it on the Bundle, except for Fleet's ErrApplied when no deployment of the
// chart is really in error: Fleet shows ErrApplied on a Bundle whose deployments wait for a dependency
// ("dependent bundle(s) are not ready"), which reads as a failure. The reconciler reports those deployments
// as WaitingForDependency; when every not-ready deployment of the chart is listed and none is ErrApplied, the
// chart line shows the worst listed state instead (the status lists them worst first).
std::string chart_state(const ChartStatus& chart, std::int64_t not_ready) {
  if (chart.state != "ErrApplied" || chart.not_ready.empty() ||
      static_cast<std::int64_t>(chart.not_ready.size()) != not_ready) {
    return chart.state;
  }
  for (const json* deployment : chart.not_ready) {
    if (string_of(member(*deployment, "status")) == "ErrApplied") {
      return chart.state;
    }
  }
  const std::string worst = one_line(string_of(member(*chart.not_ready.front(), "status")));
  return worst.empty() ? chart.state : worst;
}

} // namespace

std::vector<std::string> RolloutView::texts() const {
  std::vector<std::string> out;
  out.reserve(lines.size());
  for (const auto& line : lines) {
    out.push_back(line.text);
  }
  return out;
}

RolloutView render_rollout_view(const json& stack) {
  const core::Stack spec = core::stack_from_json(stack);
  const json& status = member(stack, "status");

  std::unordered_map<std::string, ChartStatus> charts;
  const json& bundles = member(status, "bundles");
  if (bundles.is_array()) {
    for (const auto& bundle : bundles) {
      ChartStatus& chart = charts[string_of(member(bundle, "chart"))];
      if (const std::string ready = one_line(string_of(member(bundle, "readyClusters"))); !ready.empty()) {
        chart.ready_clusters = ready;
      }
      if (const std::string state = one_line(string_of(member(bundle, "state"))); !state.empty()) {
        chart.state = state;
      }
    }
  }
  const json& deployments = member(status, "deployments");
  if (deployments.is_array()) {
    for (const auto& deployment : deployments) {
      if (string_of(member(deployment, "status")) != "Ready") {
        charts[string_of(member(deployment, "chartName"))].not_ready.push_back(&deployment);
      }
    }
  }

  // The groups to show: the policy Bundle (wave 0) when the status lists one, the spec's waves, then the
  // charts no wave holds (on or behind a dependency cycle: the Stack is invalid, but still shown).
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  const bool spec_has_policy_name = std::any_of(
      spec.charts.begin(), spec.charts.end(), [](const core::Chart& c) { return c.name == k_policy_chart; });
  if (!spec_has_policy_name && charts.contains(std::string(k_policy_chart))) {
    groups.push_back({"wave 0 (policy)", {std::string(k_policy_chart)}});
  }
  const core::DependencyGraph graph(spec.charts);
  std::vector<bool> in_wave(spec.charts.size(), false);
  const auto waves = graph.waves();
  for (std::size_t w = 0; w < waves.size(); ++w) {
    std::vector<std::string> names;
    for (const std::size_t index : waves[w]) {
      in_wave[index] = true;
      names.push_back(spec.charts[index].name);
    }
    groups.emplace_back("wave " + std::to_string(w + 1), std::move(names));
  }
  std::vector<std::string> cyclic;
  for (std::size_t i = 0; i < spec.charts.size(); ++i) {
    if (!in_wave[i]) {
      cyclic.push_back(spec.charts[i].name);
    }
  }
  if (!cyclic.empty()) {
    groups.emplace_back("no wave (dependency cycle)", std::move(cyclic));
  }

  std::size_t name_width = 0;
  std::size_t ready_width = 0;
  for (const auto& [title, names] : groups) {
    for (const auto& name : names) {
      name_width = std::max(name_width, name.size());
      ready_width = std::max(ready_width, charts[name].ready_clusters.size());
    }
  }

  RolloutView view;
  const RolloutStatusOutcome outcome = decide_rollout_status(stack);
  view.lines.push_back({RolloutLine::Kind::header, "", RolloutLine::k_no_parent,
                        header_text(stack, outcome, spec.charts.size())});
  for (const auto& [title, names] : groups) {
    const std::size_t wave_line = view.lines.size();
    view.lines.push_back({RolloutLine::Kind::wave, title, RolloutLine::k_no_parent, title});
    for (const auto& name : names) {
      const ChartStatus& chart = charts[name];
      const std::size_t chart_line = view.lines.size();
      const std::string key = "chart " + name;
      // Fleet's counts are complete where status.deployments is capped: they say how many are not listed.
      auto not_ready = static_cast<std::int64_t>(chart.not_ready.size());
      if (const auto counts = parse_ready_clusters(chart.ready_clusters)) {
        not_ready = std::max(not_ready, counts->second - counts->first);
      }
      view.lines.push_back({RolloutLine::Kind::chart, key, wave_line,
                            "  " + padded(name, name_width) + "  " +
                                padded(chart.ready_clusters, ready_width) + "  " +
                                chart_state(chart, not_ready)});
      const std::size_t shown = std::min(chart.not_ready.size(), k_max_clusters_per_chart);
      for (std::size_t i = 0; i < shown; ++i) {
        const json& deployment = *chart.not_ready[i];
        view.lines.push_back({RolloutLine::Kind::deployment,
                              key + " cluster " + string_of(member(deployment, "clusterId")), chart_line,
                              "    " + deployment_text(deployment)});
      }
      if (not_ready > static_cast<std::int64_t>(shown)) {
        const std::int64_t more = not_ready - static_cast<std::int64_t>(shown);
        view.lines.push_back({RolloutLine::Kind::deployment, key + " more", chart_line,
                              "    and " + std::to_string(more) + " more " +
                                  (more == 1 ? "cluster" : "clusters") + " not ready"});
      }
    }
  }
  return view;
}

std::vector<std::string> rollout_view_changes(const RolloutView& previous, const RolloutView& current) {
  if (previous.lines.empty()) {
    return current.texts();
  }
  std::map<std::string, const RolloutLine*> before;
  for (const auto& line : previous.lines) {
    before.emplace(line.key, &line);
  }
  std::map<std::string, std::size_t> now;
  for (std::size_t i = 0; i < current.lines.size(); ++i) {
    now.emplace(current.lines[i].key, i);
  }
  std::vector<bool> print(current.lines.size(), false);
  bool changed = false;
  const auto mark_with_parents = [&](std::size_t index) {
    while (index != RolloutLine::k_no_parent && !print[index]) {
      print[index] = true;
      index = current.lines[index].parent;
    }
  };
  for (std::size_t i = 0; i < current.lines.size(); ++i) {
    const auto found = before.find(current.lines[i].key);
    if (found == before.end() || found->second->text != current.lines[i].text) {
      changed = true;
      mark_with_parents(i);
    }
  }
  for (const auto& line : previous.lines) {
    if (now.contains(line.key)) {
      continue;
    }
    changed = true;
    // A line that went away (a cluster became ready): show what it sat under, as it is now.
    if (line.parent != RolloutLine::k_no_parent) {
      if (const auto parent = now.find(previous.lines[line.parent].key); parent != now.end()) {
        mark_with_parents(parent->second);
      }
    }
  }
  if (!changed) {
    return {};
  }
  if (!current.lines.empty()) {
    print[0] = true; // the header opens every change: the log reads as one status line per change
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < current.lines.size(); ++i) {
    if (print[i]) {
      out.push_back(current.lines[i].text);
    }
  }
  return out;
}

int RolloutStatusOutcome::exit_code() const {
  return kind == Kind::rolled_out ? 0 : 1;
}

std::string RolloutStatusOutcome::message(std::string_view stack_name) const {
  switch (kind) {
  case Kind::waiting:
    return {};
  case Kind::rolled_out:
    return stack_quoted(stack_name) + " successfully rolled out";
  case Kind::failed:
    return "error: " + stack_quoted(stack_name) + " failed" +
           (detail.empty() ? std::string() : ": " + detail);
  case Kind::deleting:
    return "error: " + stack_quoted(stack_name) + " is being deleted";
  case Kind::deleted:
    return "error: " + stack_quoted(stack_name) + " has been deleted";
  case Kind::timed_out:
    return "error: timed out waiting for the condition";
  case Kind::interrupted:
    return "error: interrupted";
  }
  return {};
}

RolloutStatusOutcome decide_rollout_status(const json& stack) {
  const json& deletion = member(member(stack, "metadata"), "deletionTimestamp");
  if (!deletion.is_null()) {
    return {RolloutStatusOutcome::Kind::deleting, {}};
  }
  if (!spec_update_observed(stack)) {
    return {RolloutStatusOutcome::Kind::waiting, {}};
  }
  const json& status = member(stack, "status");
  const std::string phase = string_of(member(status, "phase"));
  if (phase == "Deployed") {
    return {RolloutStatusOutcome::Kind::rolled_out, {}};
  }
  if (phase == "Failed") {
    return {RolloutStatusOutcome::Kind::failed, one_line(string_of(member(status, "message")))};
  }
  return {RolloutStatusOutcome::Kind::waiting, {}};
}

std::optional<std::int64_t> parse_rollout_timeout(std::string_view text) {
  const std::optional<double> seconds = core::parse_go_duration(text);
  if (!seconds) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(std::ceil(*seconds * 1000.0));
}

std::string fit_to_width(std::string_view line, std::size_t columns) {
  const auto is_continuation = [](char c) { return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U; };
  const auto characters = static_cast<std::size_t>(
      std::count_if(line.begin(), line.end(), [&](char c) { return !is_continuation(c); }));
  if (columns == 0 || characters <= columns) {
    return std::string(line);
  }
  const std::size_t keep = columns > 3 ? columns - 3 : columns;
  std::size_t kept = 0;
  std::size_t end = 0;
  while (end < line.size()) {
    if (!is_continuation(line[end])) {
      if (kept == keep) {
        break;
      }
      ++kept;
    }
    ++end;
  }
  std::string out(line.substr(0, end));
  if (columns > 3) {
    out += "...";
  }
  return out;
}

std::vector<std::string> fit_to_rows(std::vector<std::string> lines, std::size_t rows) {
  if (rows == 0 || lines.size() + 1 <= rows) {
    return lines;
  }
  const std::size_t keep = rows >= 2 ? rows - 2 : 0;
  const std::size_t hidden = lines.size() - keep;
  lines.resize(keep);
  lines.push_back("... " + std::to_string(hidden) + " more lines (-o json prints them all)");
  return lines;
}

std::string redraw_prefix(std::size_t rows) {
  if (rows == 0) {
    return {};
  }
  return "\r\033[" + std::to_string(rows) + "A\033[J";
}

} // namespace herd::plugin
