#pragma once

// The `labelSelector` and `fieldSelector` query parameters, parsed as k8s.io/apimachinery/pkg/labels.Parse
// and fields.ParseSelector read them.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace herd::test_apiserver {

struct LabelRequirement {
  enum class Op { equals, not_equals, in, not_in, exists, does_not_exist, greater_than, less_than };
  std::string key;
  Op op = Op::equals;
  std::vector<std::string> values;
};

// `a=b,c!=d,e in (f,g),h notin (i),j,!k,l>3`: requirements ANDed. Throws ApiError 400 when malformed.
class LabelSelector {
public:
  static LabelSelector parse(std::string_view text);
  // `labels`: the object's metadata.labels (absent or null: no labels).
  [[nodiscard]] bool matches(const nlohmann::json& labels) const;
  [[nodiscard]] bool empty() const { return m_requirements.empty(); }

private:
  std::vector<LabelRequirement> m_requirements;
};

// `metadata.name=x,metadata.namespace!=y`: custom resources support only these two fields (and so does this
// server for every resource). Throws ApiError 400 for other fields or malformed text.
class FieldSelector {
public:
  static FieldSelector parse(std::string_view text);
  [[nodiscard]] bool matches(const nlohmann::json& object) const;
  [[nodiscard]] bool empty() const { return m_terms.empty(); }
  // The name an `metadata.name=x` term pins, if any (a watch of one object).
  [[nodiscard]] std::string pinned_name() const;

private:
  struct Term {
    std::string field;
    bool equals = true;
    std::string value;
  };
  std::vector<Term> m_terms;
};

} // namespace herd::test_apiserver
