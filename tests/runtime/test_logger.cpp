#include <herd/runtime/logger.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace herd::runtime {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(Logger, JsonLinesStartWithTimeLevelAndMessage) {
  std::ostringstream out;
  Logger logger(LogLevel::info, LogFormat::json, out);

  logger.info("listening", {{"webhookPort", 8443}});

  const std::string line = out.str();
  EXPECT_THAT(line,
              MatchesRegex(R"([{]"ts":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z","level":"info",)"
                           R"("msg":"listening","webhookPort":8443[}]\s*)"));
}

TEST(Logger, LinesBelowTheLevelAreDropped) {
  std::ostringstream out;
  Logger logger(LogLevel::info, LogFormat::json, out);

  logger.debug("admission request");

  EXPECT_EQ(out.str(), "");
  EXPECT_FALSE(logger.enabled(LogLevel::debug));
  EXPECT_TRUE(logger.enabled(LogLevel::error));
}

TEST(Logger, TextLinesQuoteValuesWithSpaces) {
  std::ostringstream out;
  Logger logger(LogLevel::debug, LogFormat::text, out);

  logger.warn("kept the policy", {{"error", "line 3: bad"}, {"file", "/etc/herd/policy.yaml"}});

  EXPECT_THAT(out.str(),
              HasSubstr(R"( warn kept the policy error="line 3: bad" file=/etc/herd/policy.yaml)"));
}

TEST(Logger, InvalidUtf8InAFieldDoesNotThrow) {
  std::ostringstream out;
  Logger logger(LogLevel::info, LogFormat::json, out);

  logger.info("request", {{"name", std::string("bad\xff")}});

  EXPECT_THAT(out.str(), HasSubstr("\"name\":\"bad\xEF\xBF\xBD\""));
}

TEST(Logger, LevelsAndFormatsParseFromFlags) {
  EXPECT_EQ(parse_log_level("warn"), LogLevel::warn);
  EXPECT_EQ(parse_log_level("verbose"), std::nullopt);
  EXPECT_EQ(parse_log_format("text"), LogFormat::text);
  EXPECT_EQ(parse_log_format("yaml"), std::nullopt);
}

} // namespace
} // namespace herd::runtime
