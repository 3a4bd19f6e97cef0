#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace herd::core {

struct LabelRequirement {
  std::string key;
  std::string op; // In, NotIn, Exists, DoesNotExist
  std::vector<std::string> values;
};

// A Kubernetes label selector (matchLabels and matchExpressions, all ANDed).
struct LabelSelector {
  std::map<std::string, std::string> match_labels;
  std::vector<LabelRequirement> match_expressions;

  [[nodiscard]] bool empty() const { return match_labels.empty() && match_expressions.empty(); }
};

// Reads a selector object; entries of the wrong type read as absent (the schema reports them).
LabelSelector label_selector_from_json(const nlohmann::json& object);

// Whether every cluster `narrow` matches is also matched by `wide`, decided from the selectors alone (no
// cluster list): each requirement of `wide` must follow from one requirement of `narrow`. Sound but not
// complete: a false answer means "cannot be shown", which is what a tenancy check needs.
bool selector_implies(const LabelSelector& narrow, const LabelSelector& wide);

// Whether a cluster with `labels` satisfies every requirement of `selector`, as Kubernetes' labels.Selector
// matches: an empty selector matches everything; In needs the key with one of the values, NotIn passes when
// the key is absent, an unknown operator matches nothing.
bool selector_matches(const LabelSelector& selector, const std::map<std::string, std::string>& labels);

// `env=prod,gpu In (a100,h100),region Exists`, for messages and plan output.
std::string format_selector(const LabelSelector& selector);

} // namespace herd::core
