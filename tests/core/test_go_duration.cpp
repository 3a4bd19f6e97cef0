// Go durations as Stack timeouts use them (time.ParseDuration's syntax, without signs): parsed into seconds.

#include <herd/core/go_duration.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace herd::core {
namespace {

TEST(GoDuration, SecondsMinutesAndHours) {
  ASSERT_TRUE(parse_go_duration("90s").has_value());
  EXPECT_DOUBLE_EQ(*parse_go_duration("90s"), 90.0);
  ASSERT_TRUE(parse_go_duration("15m").has_value());
  EXPECT_DOUBLE_EQ(*parse_go_duration("15m"), 900.0);
  ASSERT_TRUE(parse_go_duration("2h").has_value());
  EXPECT_DOUBLE_EQ(*parse_go_duration("2h"), 7200.0);
}

TEST(GoDuration, UnitsAddUp) {
  ASSERT_TRUE(parse_go_duration("1h30m").has_value());
  EXPECT_DOUBLE_EQ(*parse_go_duration("1h30m"), 5400.0);
  ASSERT_TRUE(parse_go_duration("1h1m1s500ms").has_value());
  EXPECT_DOUBLE_EQ(*parse_go_duration("1h1m1s500ms"), 3661.5);
  ASSERT_TRUE(parse_go_duration("30s1m").has_value()) << "Go accepts units in any order";
  EXPECT_DOUBLE_EQ(*parse_go_duration("30s1m"), 90.0);
}

TEST(GoDuration, FractionsOfAnyUnit) {
  ASSERT_TRUE(parse_go_duration("1.5h").has_value());
  EXPECT_DOUBLE_EQ(*parse_go_duration("1.5h"), 5400.0);
  ASSERT_TRUE(parse_go_duration(".5m").has_value());
  EXPECT_DOUBLE_EQ(*parse_go_duration(".5m"), 30.0);
  ASSERT_TRUE(parse_go_duration("2.s").has_value());
  EXPECT_DOUBLE_EQ(*parse_go_duration("2.s"), 2.0);
}

TEST(GoDuration, MillisecondsAreNotMinutes) {
  ASSERT_TRUE(parse_go_duration("500ms").has_value());
  EXPECT_DOUBLE_EQ(*parse_go_duration("500ms"), 0.5);
  ASSERT_TRUE(parse_go_duration("1m500ms").has_value());
  EXPECT_DOUBLE_EQ(*parse_go_duration("1m500ms"), 60.5);
}

TEST(GoDuration, MicroAndNanoseconds) {
  ASSERT_TRUE(parse_go_duration("250us").has_value());
  EXPECT_DOUBLE_EQ(*parse_go_duration("250us"), 250e-6);
  ASSERT_TRUE(parse_go_duration("250\xC2\xB5s").has_value()) << "U+00B5 MICRO SIGN";
  EXPECT_DOUBLE_EQ(*parse_go_duration("250\xC2\xB5s"), 250e-6);
  ASSERT_TRUE(parse_go_duration("250\xCE\xBCs").has_value()) << "U+03BC GREEK SMALL LETTER MU";
  EXPECT_DOUBLE_EQ(*parse_go_duration("250\xCE\xBCs"), 250e-6);
  ASSERT_TRUE(parse_go_duration("1500ns").has_value());
  EXPECT_DOUBLE_EQ(*parse_go_duration("1500ns"), 1.5e-6);
}

TEST(GoDuration, ZeroNeedsNoUnit) {
  ASSERT_TRUE(parse_go_duration("0").has_value());
  EXPECT_DOUBLE_EQ(*parse_go_duration("0"), 0.0);
  ASSERT_TRUE(parse_go_duration("0s").has_value());
  EXPECT_DOUBLE_EQ(*parse_go_duration("0s"), 0.0);
}

TEST(GoDuration, RefusesWhatGoRefusesAndSigns) {
  const std::vector<std::string> invalid = {
      "15 minutes", "",   "-1s",  "+1s",  "1x", "1",  "00", "s",    ".s",     "1.2.3s", "1h 30m", " 1s",
      "1s ",        "1d", "1e3s", "1h30", "ms", "1M", "1S", "1sec", "1m-30s", "1..s",   "\xB5s",  "1µ"};
  for (const auto& text : invalid) {
    EXPECT_EQ(parse_go_duration(text), std::nullopt) << '"' << text << '"';
  }
}

TEST(GoDuration, LargestDurationGoRepresents) {
  ASSERT_TRUE(parse_go_duration("2562047h").has_value());
  EXPECT_DOUBLE_EQ(*parse_go_duration("2562047h"), 2562047.0 * 3600);
}

// DISABLED: bug in core/src/go_duration.cpp. Go's time.Duration is int64 nanoseconds, so time.ParseDuration
// refuses anything beyond 2562047h47m16.854775807s ("invalid duration"); parse_go_duration accepts any size,
// so lint passes `timeout: 99999999999999999999h` and render_bundles (core/src/bundle_renderer.cpp)
// converts 3.6e23 seconds with static_cast<long long> (undefined behaviour): kubectl herd plan shows
// timeoutSeconds -9223372036854775808 for it; "3000000h" gives 10800000000 s, which overflows the Fleet
// agent's time.Duration.
TEST(GoDuration, RefusesDurationsBeyondGosRange) {
  EXPECT_EQ(parse_go_duration("2562048h"), std::nullopt);
  EXPECT_EQ(parse_go_duration("3000000h"), std::nullopt);
  EXPECT_EQ(parse_go_duration("99999999999999999999h"), std::nullopt);
}

} // namespace
} // namespace herd::core
