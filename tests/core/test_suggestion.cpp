#include <herd/core/suggestion.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herd::core {
namespace {

const std::vector<std::string> k_chart_fields = {"name",      "repo",        "chart",    "version",
                                                 "namespace", "releaseName", "values",   "dependsOn",
                                                 "wait",      "timeout",     "overrides"};

TEST(Suggestion, CaseSlipIsCorrected) {
  EXPECT_EQ(closest_match("dependson", k_chart_fields), "dependsOn");
}

TEST(Suggestion, MissingLetterIsCorrected) {
  EXPECT_EQ(closest_match("databse", {"gpu-operator", "database", "web"}), "database");
}

TEST(Suggestion, TranspositionCountsAsOneEdit) {
  // "verison" is two substitutions away from "version" but one transposition.
  EXPECT_EQ(closest_match("verison", k_chart_fields), "version");
  EXPECT_EQ(closest_match("ab", {"ba"}), "ba");
}

TEST(Suggestion, ShortWordsAllowOneEdit) {
  EXPECT_EQ(closest_match("rep", k_chart_fields), "repo");
  EXPECT_EQ(closest_match("wt", k_chart_fields), "");
}

TEST(Suggestion, DistantWordHasNoSuggestion) {
  EXPECT_EQ(closest_match("replicas", k_chart_fields), "");
  EXPECT_EQ(closest_match("gpu", {"qdrant", "ollama"}), "");
}

TEST(Suggestion, ExactMatchIsNotSuggested) {
  EXPECT_EQ(closest_match("name", {"name"}), "");
}

TEST(Suggestion, ClosestCandidateWins) {
  EXPECT_EQ(closest_match("timeouts", {"timeout", "timeouts-x", "time"}), "timeout");
}

TEST(Suggestion, FirstOfEquallyCloseCandidatesWins) {
  EXPECT_EQ(closest_match("ab", {"ac", "ad"}), "ac");
}

TEST(Suggestion, NoCandidatesNoSuggestion) {
  EXPECT_EQ(closest_match("anything", {}), "");
}

TEST(Suggestion, DidYouMeanPhrase) {
  EXPECT_EQ(did_you_mean("databse", {"database"}), R"( (did you mean "database"?))");
  EXPECT_EQ(did_you_mean("zzz", {"database"}), "");
}

TEST(Suggestion, VeryLongWordIsCheap) {
  const std::string word(100'000, 'a');

  EXPECT_EQ(closest_match(word, k_chart_fields), "");
}

} // namespace
} // namespace herd::core
