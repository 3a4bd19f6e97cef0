#include <herd/core/label_selector.hpp>

#include <gtest/gtest.h>

namespace herd::core {
namespace {

LabelSelector selector(const char* json_text) {
  return label_selector_from_json(nlohmann::json::parse(json_text));
}

TEST(LabelSelector, ReadsMatchLabelsAndExpressions) {
  const LabelSelector parsed =
      selector(R"({"matchLabels": {"env": "prod"}, "matchExpressions": [{"key": "gpu", "operator": "In",
                   "values": ["a100", "h100"]}]})");

  EXPECT_EQ(format_selector(parsed), "env=prod,gpu In (a100,h100)");
}

TEST(LabelSelector, FieldsOfTheWrongTypeReadAsAbsent) {
  const LabelSelector parsed = selector(R"({"matchLabels": {"env": 1}, "matchExpressions": "gpu"})");

  EXPECT_TRUE(parsed.empty());
}

TEST(LabelSelector, EverySelectorStaysWithinTheEmptySelector) {
  EXPECT_TRUE(selector_implies(selector("{}"), selector("{}")));
  EXPECT_TRUE(selector_implies(selector(R"({"matchLabels": {"env": "prod"}})"), selector("{}")));
}

TEST(LabelSelector, TheEmptySelectorReachesEveryCluster) {
  EXPECT_FALSE(selector_implies(selector("{}"), selector(R"({"matchLabels": {"env": "prod"}})")));
}

TEST(LabelSelector, AnExtraRequirementNarrowsASelector) {
  EXPECT_TRUE(selector_implies(selector(R"({"matchLabels": {"env": "prod", "gpu": "a100"}})"),
                               selector(R"({"matchLabels": {"env": "prod"}})")));
  EXPECT_FALSE(selector_implies(selector(R"({"matchLabels": {"env": "prod"}})"),
                                selector(R"({"matchLabels": {"env": "prod", "gpu": "a100"}})")));
}

TEST(LabelSelector, InImpliesInOfASuperset) {
  EXPECT_TRUE(selector_implies(
      selector(R"({"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}]})"),
      selector(
          R"({"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "staging"]}]})")));
  EXPECT_FALSE(selector_implies(
      selector(R"({"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]}]})"),
      selector(
          R"({"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "staging"]}]})")));
}

TEST(LabelSelector, NotInIsImpliedByDisjointInOrLargerNotInOrAbsence) {
  const LabelSelector not_restricted =
      selector(R"({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["restricted"]}]})");

  EXPECT_TRUE(selector_implies(selector(R"({"matchLabels": {"tier": "gold"}})"), not_restricted));
  EXPECT_FALSE(selector_implies(selector(R"({"matchLabels": {"tier": "restricted"}})"), not_restricted));
  EXPECT_TRUE(selector_implies(
      selector(
          R"({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["restricted", "x"]}]})"),
      not_restricted));
  EXPECT_TRUE(selector_implies(
      selector(R"({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]})"), not_restricted));
  EXPECT_FALSE(selector_implies(selector(R"({"matchExpressions": [{"key": "tier", "operator": "Exists"}]})"),
                                not_restricted));
}

TEST(LabelSelector, ExistsIsImpliedByAnyValue) {
  const LabelSelector has_gpu = selector(R"({"matchExpressions": [{"key": "gpu", "operator": "Exists"}]})");

  EXPECT_TRUE(selector_implies(selector(R"({"matchLabels": {"gpu": "a100"}})"), has_gpu));
  EXPECT_FALSE(selector_implies(
      selector(R"({"matchExpressions": [{"key": "gpu", "operator": "NotIn", "values": ["a100"]}]})"),
      has_gpu));
}

TEST(LabelSelector, MatchesLabelsAsKubernetesDoes) {
  const std::map<std::string, std::string> labels = {{"env", "prod"}, {"gpu", "a100"}};

  EXPECT_TRUE(selector_matches(LabelSelector{}, labels)) << "an empty selector matches everything";
  EXPECT_TRUE(selector_matches(selector(R"({"matchLabels": {"env": "prod"}})"), labels));
  EXPECT_FALSE(selector_matches(selector(R"({"matchLabels": {"env": "prod", "gpu": "h100"}})"), labels));
  EXPECT_TRUE(selector_matches(
      selector(R"({"matchExpressions": [{"key": "gpu", "operator": "In", "values": ["a100", "h100"]}]})"),
      labels));
  EXPECT_TRUE(selector_matches(
      selector(R"({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["gold"]}]})"),
      labels))
      << "NotIn passes when the key is absent";
  EXPECT_FALSE(selector_matches(
      selector(R"({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]})"),
      labels));
  EXPECT_TRUE(
      selector_matches(selector(R"({"matchExpressions": [{"key": "gpu", "operator": "Exists"}]})"), labels));
  EXPECT_FALSE(selector_matches(
      selector(R"({"matchExpressions": [{"key": "gpu", "operator": "DoesNotExist"}]})"), labels));
  EXPECT_FALSE(
      selector_matches(selector(R"({"matchExpressions": [{"key": "gpu", "operator": "Near"}]})"), labels))
      << "an unknown operator matches nothing";
}

} // namespace
} // namespace herd::core
