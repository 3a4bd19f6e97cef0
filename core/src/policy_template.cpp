#include <herd/core/policy.hpp>
#include <herd/core/policy_template.hpp>
#include <herd/core/sha256.hpp>

namespace herd::core {

namespace {

std::string expand(std::string text, const TemplateVariables& variables) {
  if (text.find("${") == std::string::npos) {
    return text;
  }
  for (const auto& [name, value] : variables) {
    const std::string token = "${" + name + "}";
    for (std::size_t at = text.find(token); at != std::string::npos;
         at = text.find(token, at + value.size())) {
      text.replace(at, token.size(), value);
    }
  }
  return text;
}

} // namespace

TemplateVariables chart_template_variables(const std::string& stack,
                                           const std::string& chart,
                                           const std::string& namespace_name,
                                           const std::string& policy_mode) {
  // The service name becomes a pod label value: at most 63 characters, cut and hashed like Bundle names.
  std::string service = stack + "-" + chart;
  if (service.size() > 63) {
    const std::string suffix = sha256_hex(service).substr(0, 8);
    service.resize(63 - 9);
    while (!service.empty() && (service.back() == '-' || service.back() == '.')) {
      service.pop_back();
    }
    service += "-" + suffix;
  }
  return {{"stack", stack},
          {"chart", chart},
          {"namespace", namespace_name},
          {"service", service},
          {"policyMode", policy_mode}};
}

nlohmann::json expand_template(const nlohmann::json& value, const TemplateVariables& variables) {
  if (value.is_string()) {
    return expand(value.get<std::string>(), variables);
  }
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, child] : value.items()) {
      out[expand(key, variables)] = expand_template(child, variables);
    }
    return out;
  }
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& child : value) {
      out.push_back(expand_template(child, variables));
    }
    return out;
  }
  return value;
}

} // namespace herd::core
