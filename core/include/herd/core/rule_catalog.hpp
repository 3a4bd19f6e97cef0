#pragma once

#include <herd/core/diagnostic.hpp>

#include <span>
#include <string_view>

namespace herd::core::rules {

// Stable rule ids. Never renumber: users suppress and grep by them. Documented in README.md (a test checks).
inline constexpr std::string_view yaml_syntax = "HERD001";
inline constexpr std::string_view duplicate_key = "HERD002";
inline constexpr std::string_view no_stack = "HERD003";
inline constexpr std::string_view api_version = "HERD004";
inline constexpr std::string_view schema_type = "HERD010";
inline constexpr std::string_view schema_enum = "HERD011";
inline constexpr std::string_view schema_required = "HERD012";
inline constexpr std::string_view schema_pattern = "HERD013";
inline constexpr std::string_view unknown_field = "HERD014";
inline constexpr std::string_view schema_bounds = "HERD015";
inline constexpr std::string_view duplicate_chart = "HERD101";
inline constexpr std::string_view self_dependency = "HERD102";
inline constexpr std::string_view unknown_dependency = "HERD103";
inline constexpr std::string_view dependency_cycle = "HERD104";
inline constexpr std::string_view release_collision = "HERD105";
inline constexpr std::string_view version_not_exact = "HERD106";
inline constexpr std::string_view timeout_not_duration = "HERD107";
inline constexpr std::string_view timeout_without_wait = "HERD108";
inline constexpr std::string_view name_too_long = "HERD109";
inline constexpr std::string_view selector_requirement = "HERD110";
inline constexpr std::string_view gpu_without_gpu_targets = "HERD111";
inline constexpr std::string_view bundle_name_collision = "HERD112";
inline constexpr std::string_view immutable_field = "HERD113";
inline constexpr std::string_view repo_scheme = "HERD201";
inline constexpr std::string_view feature_required = "HERD202";
inline constexpr std::string_view too_many_charts = "HERD203";
inline constexpr std::string_view workspace_not_allowed = "HERD204";
inline constexpr std::string_view targets_outside_tenancy = "HERD205";

struct RuleInfo {
  std::string_view id;
  Severity severity;
  std::string_view summary; // what the rule catches
  std::string_view fix;     // how to fix it
};

// Every rule, in id order.
std::span<const RuleInfo> catalog();

} // namespace herd::core::rules
