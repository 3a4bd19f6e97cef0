#include <herd/core/json_depth.hpp>

#include <gtest/gtest.h>

#include <string>

namespace herd::core {
namespace {

TEST(JsonTextDepth, CountsTheDeepestContainer) {
  EXPECT_EQ(json_text_depth(""), 0U);
  EXPECT_EQ(json_text_depth("42"), 0U);
  EXPECT_EQ(json_text_depth("{}"), 1U);
  EXPECT_EQ(json_text_depth(R"({"a": [1, {"b": [[]]}], "c": {}})"), 5U);
}

TEST(JsonTextDepth, BracketsInsideStringsDoNotCount) {
  EXPECT_EQ(json_text_depth(R"({"[[[": "{{{", "x": "]]]}}}"})"), 1U);
  EXPECT_EQ(json_text_depth(R"(["\"[[[\"", "[\\", [1]])"), 2U) << "escaped quotes stay inside the string";
  EXPECT_EQ(json_text_depth(R"(["\\", [[1]]])"), 3U) << "an escaped backslash ends before the quote";
  EXPECT_EQ(json_text_depth(R"(["\\\"[[[", [1]])"), 2U) << "three backslashes: the quote is escaped";
  EXPECT_EQ(json_text_depth(R"(["\\\\", [[1]]])"), 3U) << "four backslashes: the quote closes the string";
}

TEST(JsonTextDepth, LongStringsAreSkippedWhole) {
  const std::string inner(10000, 'x');
  const std::string text = R"({"a": ")" + inner + R"(\"[[", "b": [[")" + inner + R"("]]})";
  EXPECT_EQ(json_text_depth(text), 3U);
}

TEST(JsonTextDepth, UnterminatedStringEndsTheScan) {
  EXPECT_EQ(json_text_depth(R"([["abc)"), 2U);
  EXPECT_EQ(json_text_depth(R"([["abc\")"), 2U);
}

TEST(JsonTextDepth, StopsOnceTheLimitIsPassed) {
  const std::string deep(1000000, '[');
  EXPECT_EQ(json_text_depth(deep, 64), 65U);
  EXPECT_EQ(json_text_depth(deep), 1000000U);
}

} // namespace
} // namespace herd::core
