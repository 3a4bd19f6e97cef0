#include <herd/kube/token_source.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace herd::kube {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

class TokenSourceTest : public ::testing::Test {
protected:
  TokenSource source(std::string fallback = {}) {
    return {m_env, "/var/run/secrets/kubernetes.io/serviceaccount/token", std::move(fallback),
            TokenSource::k_default_max_age, [this] { return m_now; }};
  }
  void write(std::string token) {
    m_env.set_file("/var/run/secrets/kubernetes.io/serviceaccount/token", std::move(token));
  }
  std::string token(TokenSource& tokens) {
    auto result = tokens.token();
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
    return result.ok() ? *result : std::string();
  }

  MemoryEnvironment m_env;
  std::chrono::steady_clock::time_point m_now{seconds(1000)};
};

TEST_F(TokenSourceTest, RereadsTheFileOnceItIsAMinuteOld) {
  write("first\n");
  TokenSource tokens = source();
  EXPECT_EQ(token(tokens), "first");

  write("second\n"); // the kubelet rotated the projected token
  m_now += seconds(59);
  EXPECT_EQ(token(tokens), "first");

  m_now += seconds(1);
  EXPECT_EQ(token(tokens), "second");

  write("third");
  m_now += seconds(30);
  EXPECT_EQ(token(tokens), "second");
  m_now += seconds(30);
  EXPECT_EQ(token(tokens), "third");
}

TEST_F(TokenSourceTest, InvalidateRereadsAtOnce) {
  write("first");
  TokenSource tokens = source();
  EXPECT_EQ(token(tokens), "first");
  write("second");

  tokens.invalidate();

  EXPECT_EQ(token(tokens), "second");
}

TEST_F(TokenSourceTest, KeepsTheLastTokenWhenTheFileCannotBeRead) {
  write("first");
  TokenSource tokens = source();
  EXPECT_EQ(token(tokens), "first");

  m_env.remove_file("/var/run/secrets/kubernetes.io/serviceaccount/token");
  m_now += seconds(120);
  EXPECT_EQ(token(tokens), "first");

  write("back");
  EXPECT_EQ(token(tokens), "back"); // retried on every call until a read succeeds
}

TEST_F(TokenSourceTest, FallsBackToTheStaticToken) {
  TokenSource tokens = source("inline");
  EXPECT_EQ(token(tokens), "inline");
}

TEST_F(TokenSourceTest, MissingOrEmptyFileIsAnError) {
  TokenSource missing = source();
  ASSERT_FALSE(missing.token().ok());
  EXPECT_THAT(missing.token().error().message, HasSubstr("cannot read token file"));

  write(" \n");
  TokenSource empty = source();
  ASSERT_FALSE(empty.token().ok());
  EXPECT_THAT(empty.token().error().message, HasSubstr("is empty"));
}

} // namespace
} // namespace herd::kube
