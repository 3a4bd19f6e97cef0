#pragma once

#include <herd/core/label_selector.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace herd::core {

inline constexpr std::string_view k_api_version = "herd.suse.com/v1";
inline constexpr std::string_view k_kind = "Stack";

// Restart counters that `kubectl herd rollout restart` increments: the whole Stack's, and one per chart
// (`force-sync-generation.herd.suse.com/<chart>`: a chart name is a DNS-1123 label, so it always fits the
// 63-character name part of an annotation key). Values are decimal integers; the renderer puts their sum
// into Fleet's `Bundle.spec.forceSyncGeneration`, so bumping either redeploys the Bundle.
inline constexpr std::string_view k_force_sync_annotation = "herd.suse.com/force-sync-generation";
inline constexpr std::string_view k_chart_force_sync_annotation_prefix =
    "force-sync-generation.herd.suse.com/";

struct StackTargets {
  bool has_selector = false;
  LabelSelector selector;
  std::vector<std::string> cluster_ids;
  std::string cluster_group;
};

struct ValuesReference {
  std::string name;
  std::string key = "values.yaml";
};

struct ChartOverride {
  std::vector<std::string> cluster_ids;
  bool has_selector = false;
  LabelSelector selector;
  nlohmann::json values = nlohmann::json::object();
};

struct Chart {
  std::size_t index = 0; // position in spec.charts, for diagnostics paths
  std::string name;
  std::string repo;
  std::string chart; // chart name in the repo (defaults to name)
  std::string version;
  std::string namespace_name;
  std::string release_name;
  nlohmann::json inline_values = nlohmann::json::object();
  std::vector<ValuesReference> config_map_refs;
  std::vector<ValuesReference> secret_refs;
  std::vector<std::string> depends_on;
  bool wait = false;
  std::string timeout; // empty = not set
  std::vector<ChartOverride> overrides;
  std::int64_t force_sync_generation = 0; // this chart's restart counter (0: none)
};

// The typed view of a Stack. Built from JSON by stack_from_json, which never fails: fields of the wrong type
// read as unset (the schema check reports them), so graph and policy rules can still run on broken input.
struct Stack {
  std::string name;
  std::string namespace_name;
  std::string env = "dev";
  bool security = false;
  bool observability = false;
  bool paused = false;
  std::string workspace;
  StackTargets targets;
  std::vector<Chart> charts;
  // JSON pointers the policy injected (the herd.suse.com/injected annotation): they fill only what the user
  // left unset, so the renderer lets ConfigMap values win over them.
  std::vector<std::string> injected_pointers;
  std::int64_t force_sync_generation = 0; // the whole Stack's restart counter (0: none)
};

// Whether `document` is a Stack (apiVersion herd.suse.com/…, kind Stack); other documents in a stream are
// skipped.
bool is_stack_document(const nlohmann::json& document);

Stack stack_from_json(const nlohmann::json& document);

// The workspace Herd uses when spec.workspace is unset: fleet-local when the only target is the cluster id
// `local`, else fleet-default.
std::string default_workspace(const StackTargets& targets);

std::string chart_path(const Chart& chart);

// The annotation key of `chart`'s restart counter: force-sync-generation.herd.suse.com/<chart>.
std::string chart_force_sync_annotation(std::string_view chart);

// A restart counter annotation's value: a decimal integer of at most 18 digits, else 0 (unset, malformed or
// negative values restart nothing).
std::int64_t parse_force_sync_generation(const nlohmann::json& value);

} // namespace herd::core
