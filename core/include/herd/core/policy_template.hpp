#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>

namespace herd::core {

// ${name} placeholders of policy values and manifests, and what they expand to.
using TemplateVariables = std::map<std::string, std::string>;

// The variables for one chart of a Stack: ${stack}, ${chart}, ${namespace}, ${service} (the NeuVector service
// name Herd pins: <stack>-<chart>) and ${policyMode}.
TemplateVariables chart_template_variables(const std::string& stack,
                                           const std::string& chart,
                                           const std::string& namespace_name,
                                           const std::string& policy_mode);

// `value` with every ${name} in its strings and keys replaced. Policy documents are trusted and depth-capped
// by the YAML loader, so the recursion is bounded.
nlohmann::json expand_template(const nlohmann::json& value, const TemplateVariables& variables);

} // namespace herd::core
