#include <herd/core/json_member.hpp>
#include <herd/core/label_selector.hpp>

#include <algorithm>

namespace herd::core {

using nlohmann::json;

namespace {

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// The requirements a selector states, with matchLabels as `key In (value)`.
std::vector<LabelRequirement> requirements_of(const LabelSelector& selector) {
  std::vector<LabelRequirement> out;
  for (const auto& [key, value] : selector.match_labels) {
    out.push_back({key, "In", {value}});
  }
  out.insert(out.end(), selector.match_expressions.begin(), selector.match_expressions.end());
  return out;
}

// Whether a cluster satisfying `given` necessarily satisfies `wanted` (same key assumed).
bool requirement_implies(const LabelRequirement& given, const LabelRequirement& wanted) {
  const bool given_in = given.op == "In" && !given.values.empty();
  if (wanted.op == "Exists") {
    return given_in || given.op == "Exists";
  }
  if (wanted.op == "DoesNotExist") {
    return given.op == "DoesNotExist";
  }
  if (wanted.op == "In") {
    return given_in && std::all_of(given.values.begin(), given.values.end(),
                                   [&](const std::string& value) { return contains(wanted.values, value); });
  }
  if (wanted.op == "NotIn") {
    if (given_in) {
      return std::none_of(given.values.begin(), given.values.end(),
                          [&](const std::string& value) { return contains(wanted.values, value); });
    }
    if (given.op == "NotIn") {
      return std::all_of(wanted.values.begin(), wanted.values.end(),
                         [&](const std::string& value) { return contains(given.values, value); });
    }
    return given.op == "DoesNotExist";
  }
  return false;
}

} // namespace

LabelSelector label_selector_from_json(const json& object) {
  LabelSelector selector;
  if (!object.is_object()) {
    return selector;
  }
  if (const auto labels = object.find("matchLabels"); labels != object.end() && labels->is_object()) {
    for (const auto& [key, value] : labels->items()) {
      if (value.is_string()) {
        selector.match_labels[key] = value.get<std::string>();
      }
    }
  }
  if (const auto expressions = object.find("matchExpressions");
      expressions != object.end() && expressions->is_array()) {
    for (const auto& item : *expressions) {
      LabelRequirement requirement{string_member(item, "key"), string_member(item, "operator"), {}};
      if (const auto values = item.is_object() ? item.find("values") : item.end();
          item.is_object() && values != item.end() && values->is_array()) {
        for (const auto& value : *values) {
          if (value.is_string()) {
            requirement.values.push_back(value.get<std::string>());
          }
        }
      }
      selector.match_expressions.push_back(std::move(requirement));
    }
  }
  return selector;
}

bool selector_implies(const LabelSelector& narrow, const LabelSelector& wide) {
  const std::vector<LabelRequirement> given = requirements_of(narrow);
  for (const LabelRequirement& wanted : requirements_of(wide)) {
    const bool implied = std::any_of(given.begin(), given.end(), [&](const LabelRequirement& requirement) {
      return requirement.key == wanted.key && requirement_implies(requirement, wanted);
    });
    if (!implied) {
      return false;
    }
  }
  return true;
}

bool selector_matches(const LabelSelector& selector, const std::map<std::string, std::string>& labels) {
  for (const LabelRequirement& requirement : requirements_of(selector)) {
    const auto found = labels.find(requirement.key);
    const bool present = found != labels.end();
    bool satisfied = false;
    if (requirement.op == "In") {
      satisfied = present && contains(requirement.values, found->second);
    } else if (requirement.op == "NotIn") {
      satisfied = !present || !contains(requirement.values, found->second);
    } else if (requirement.op == "Exists") {
      satisfied = present;
    } else if (requirement.op == "DoesNotExist") {
      satisfied = !present;
    }
    if (!satisfied) {
      return false;
    }
  }
  return true;
}

std::string format_selector(const LabelSelector& selector) {
  std::string out;
  auto append = [&out](const std::string& part) {
    if (!out.empty()) {
      out += ',';
    }
    out += part;
  };
  for (const auto& [key, value] : selector.match_labels) {
    std::string label = key;
    label.append("=").append(value);
    append(label);
  }
  for (const auto& requirement : selector.match_expressions) {
    std::string part = requirement.key + " " + requirement.op;
    if (!requirement.values.empty()) {
      std::string values;
      for (const auto& value : requirement.values) {
        values += (values.empty() ? "" : ",") + value;
      }
      part += " (" + values + ")";
    }
    append(part);
  }
  return out;
}

} // namespace herd::core
