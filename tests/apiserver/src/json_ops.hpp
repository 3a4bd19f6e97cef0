#pragma once

// JSON helpers for request bodies. Bodies come from the network: their nesting is measured before anything
// recursive touches them, and objects deeper than kMaxDepth are refused, so the recursive helpers here and
// in field_manager.cpp run at a bounded depth.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace herd::test_apiserver {

inline constexpr std::size_t kMaxDepth = 100;

// Parses a request body as JSON: 400 BadRequest when it does not parse, 422 Invalid (kind, name for the
// message) when it nests deeper than kMaxDepth.
nlohmann::json parse_json_body(std::string_view body);
// Parses an application/apply-patch+yaml (or application/yaml) body: JSON or one YAML document, typed as the
// API server types YAML (sigs.k8s.io/yaml: YAML 1.1 booleans, ...). Same errors as parse_json_body.
nlohmann::json parse_yaml_body(std::string_view body);

// RFC 7386 JSON merge patch.
nlohmann::json apply_merge_patch(nlohmann::json target, const nlohmann::json& patch);
// RFC 6902 JSON patch: 400 when the patch is malformed, 422 when an operation fails (a failed `test`, a
// missing path), as the patch handler of kube-apiserver answers.
nlohmann::json apply_json_patch(const nlohmann::json& target, const nlohmann::json& patch);

// Objects walked by key (lists are leaves): null when absent.
const nlohmann::json* find_path(const nlohmann::json& object, const std::vector<std::string>& path);
// Removes the member at `path` (its parents stay). False when it was absent.
bool erase_path(nlohmann::json& object, const std::vector<std::string>& path);

} // namespace herd::test_apiserver
