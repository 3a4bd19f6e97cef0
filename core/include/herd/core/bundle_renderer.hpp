#pragma once

#include <herd/core/policy.hpp>
#include <herd/core/result.hpp>
#include <herd/core/stack.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace herd::core {

inline constexpr std::size_t k_max_bundle_name = 53;
inline constexpr std::string_view k_rendered_hash_annotation = "herd.suse.com/rendered-hash";
inline constexpr std::string_view k_policy_bundle_suffix = "herd-policy";

// Returns the parsed values document a ConfigMap holds under `key`, or nullopt when it is not known (offline,
// ConfigMaps cannot be read).
using ConfigMapValues =
    std::function<std::optional<nlohmann::json>(const std::string& name, const std::string& key)>;

// The values a chart's configMapRef reads: key `key` of `config_map` (the ConfigMap as the API returns it;
// nullptr when it does not exist in `name_space`), a YAML mapping (an empty document is no values). The
// reconciler and the live plan read ConfigMaps through this one function, so they agree on what is missing;
// the error is worded for the Stack status: `ConfigMap ns/x (configMapRefs) does not exist`,
// `ConfigMap ns/x has no key "values.yaml"`, `... is not valid YAML`, `... is not a YAML mapping of values`.
Result<nlohmann::json> config_map_values(const nlohmann::json* config_map,
                                         const std::string& name_space,
                                         const std::string& name,
                                         const std::string& key);

// One rendered Fleet Bundle and what it came from. The Bundle is kept as text, compact JSON with sorted keys
// (what nlohmann::json::dump() writes): rendering writes it directly, and the reconciler sends it. The object
// is parsed from it on first use.
class RenderedBundle {
public:
  RenderedBundle(std::string chart, std::string text);

  // The Stack's chart name; empty for the policy Bundle.
  [[nodiscard]] const std::string& chart() const { return m_chart; }
  [[nodiscard]] const std::string& text() const { return m_text; }
  // The Bundle as an object, parsed once (thread-safe; copies of a RenderedBundle share it).
  [[nodiscard]] const nlohmann::json& object() const;

private:
  struct Parsed;
  std::string m_chart;
  std::string m_text;
  std::shared_ptr<Parsed> m_parsed;
};

struct RenderedStack {
  std::vector<RenderedBundle> bundles; // the policy Bundle (if any) first, then the charts in Stack order
  // ConfigMap values that could not be read and are therefore missing from helm.values ("name/key").
  std::vector<std::string> unresolved_config_maps;
};

// A DNS-safe Bundle name from `parts` joined by '-': lower-case, invalid characters replaced by '-', and,
// when longer than 53 characters (Fleet's limit for Bundle names that become Helm release names), cut and
// suffixed with the first 8 hex digits of the sha256 of the full name, so it stays stable and unique.
std::string bundle_name(const std::vector<std::string>& parts);

// The Bundle name of `chart` of `stack`: <stack-namespace>-<stack>-<chart>.
std::string chart_bundle_name(const Stack& stack, const std::string& chart);
// The name of the Stack's policy Bundle: <stack-namespace>-<stack>-herd-policy.
std::string policy_bundle_name(const Stack& stack);

// Renders the Fleet Bundles the reconciler applies for `stack` (the effective Stack, after defaults and
// policy injection; see Linter::check_stack) exactly as DESIGN §5 maps them. Deterministic: the same input
// gives byte-identical JSON. `config_maps` supplies ConfigMap values when known.
RenderedStack
render_bundles(const Stack& stack, const Policy& policy, const ConfigMapValues& config_maps = {});

} // namespace herd::core
