#include <herd/core/rule_catalog.hpp>

#include <array>

namespace herd::core::rules {

namespace {

constexpr std::array k_rules = {
    RuleInfo{
        yaml_syntax, Severity::error,
        "YAML syntax error, tab indentation, invalid UTF-8 or binary data, nesting deeper than 128 levels, "
        "aliases expanding to more than 100,000 nodes",
        "fix the YAML at the position shown; indent with spaces; save the file as UTF-8"},
    RuleInfo{duplicate_key, Severity::error,
             "the same key twice in one mapping (the API server keeps the last)",
             "remove or merge the duplicate key"},
    RuleInfo{no_stack, Severity::error, "a file (or the whole input) holds no Stack document",
             "check the file: a Stack has apiVersion herd.suse.com/v1 and kind Stack"},
    RuleInfo{api_version, Severity::error, "kind Stack with an apiVersion other than herd.suse.com/v1",
             "use apiVersion: herd.suse.com/v1"},
    RuleInfo{schema_type, Severity::error,
             "a value of the wrong type (a number where a string belongs: quote it)",
             "use the type the field takes; quote versions such as \"1.10\""},
    RuleInfo{schema_enum, Severity::error, "a value outside the allowed set (env, security, operator, ...)",
             "use one of the values listed in the message"},
    RuleInfo{schema_required, Severity::error,
             "a required field is missing (name, repo, version, targets, ...)", "add the field"},
    RuleInfo{schema_pattern, Severity::error,
             "a value with the wrong form (DNS names, repo URLs, cluster ids)",
             "follow the form in the message (names are lower-case DNS-1123 labels)"},
    RuleInfo{unknown_field, Severity::error,
             "a field the Stack API does not have (anywhere outside values.inline)",
             "fix the spelling (see the hint) or move Helm values under values.inline"},
    RuleInfo{schema_bounds, Severity::error,
             "a string, list or object too short or too long, or duplicate list items",
             "respect the limit in the message"},
    RuleInfo{duplicate_chart, Severity::error, "two charts with the same name",
             "give each chart a unique name"},
    RuleInfo{self_dependency, Severity::error, "a chart that depends on itself",
             "remove the chart from its own dependsOn"},
    RuleInfo{unknown_dependency, Severity::error, "dependsOn names a chart that is not in the Stack",
             "fix the name (see the hint) or add the chart"},
    RuleInfo{dependency_cycle, Severity::error,
             "charts that depend on each other in a cycle (the whole cycle is shown)",
             "break the cycle by removing one dependsOn entry"},
    RuleInfo{release_collision, Severity::error, "two charts with the same namespace and release name",
             "set a different releaseName or namespace on one of them"},
    RuleInfo{version_not_exact, Severity::error,
             "a version that is not one exact semver (ranges are refused by Fleet)",
             "pin an exact version such as \"1.2.3\" (quoted)"},
    RuleInfo{timeout_not_duration, Severity::error, "a timeout that is not a Go duration",
             "write it like 90s, 15m or 1h30m"},
    RuleInfo{timeout_without_wait, Severity::warning,
             "a timeout on a chart without wait: true (Helm ignores it)", "set wait: true or remove timeout"},
    RuleInfo{name_too_long, Severity::error,
             "a release name longer than Helm's 53 characters (it defaults to the chart name)",
             "set a shorter releaseName"},
    RuleInfo{selector_requirement, Severity::error,
             "a matchExpressions entry whose values do not fit its operator (In/NotIn need values, "
             "Exists/DoesNotExist take none)",
             "add or remove values"},
    RuleInfo{gpu_without_gpu_targets, Severity::warning,
             "a chart requests nvidia.com/gpu but no target of the Stack selects GPU clusters",
             "target GPU clusters (a selector or cluster ids naming gpu), or drop the GPU request"},
    RuleInfo{bundle_name_collision, Severity::error,
             "two charts (or a chart and the policy Bundle) get the same Fleet Bundle name",
             "rename the chart (herd-policy is taken by the policy Bundle)"},
    RuleInfo{
        immutable_field, Severity::error,
        "an update changes a chart's namespace or release name (webhook only: Helm cannot move or rename "
        "a release)",
        "delete the chart from the Stack, apply, then add it back under the new name or namespace"},
    RuleInfo{repo_scheme, Severity::error,
             "a repo URL scheme the policy does not allow for the Stack's env (prod: https, oci)",
             "use an https:// or oci:// repository"},
    RuleInfo{feature_required, Severity::warning,
             "security or observability turned on because the policy requires it for the env (the webhook "
             "does the same)",
             "set it to enabled in the Stack to make it explicit"},
    RuleInfo{too_many_charts, Severity::error, "more charts than the policy allows for the env",
             "split the Stack"},
    RuleInfo{workspace_not_allowed, Severity::error,
             "the Stack's Fleet workspace is not one the policy allows for its namespace",
             "use an allowed workspace or ask the platform team to extend the policy's tenancy"},
    RuleInfo{targets_outside_tenancy, Severity::error,
             "the Stack's targets may reach clusters outside the tenancy cluster selector of its namespace",
             "target clusters with a selector that includes every requirement of the tenancy selector"},
};

} // namespace

std::span<const RuleInfo> catalog() {
  return k_rules;
}

} // namespace herd::core::rules
