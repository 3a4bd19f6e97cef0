// LinterPool: the Linters the webhook judges with, shared by every server thread.

#include "../../webhook/src/linter_pool.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>

using herd::core::Policy;
using herd::webhook::LinterPool;

namespace {

std::shared_ptr<const Policy> policy_named(const std::string& name) {
  auto policy = std::make_shared<Policy>(herd::core::default_policy());
  policy->name = name;
  return policy;
}

} // namespace

TEST(LinterPool, ALinterIsReusedNotRebuilt) {
  LinterPool pool(2);
  const auto policy = policy_named("one");
  herd::core::Linter* first = nullptr;
  {
    const auto lease = pool.acquire(policy);
    ASSERT_NE(lease, nullptr);
    first = &lease->linter();
  }
  const auto again = pool.acquire(policy);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(&again->linter(), first);
}

TEST(LinterPool, NoMoreThanCapacityLintersExistAndAWaitingRequestGetsTheNextReturned) {
  // Judging is CPU-bound: Linters beyond the cores would only cost memory (about 2 MiB each).
  LinterPool pool(2);
  const auto policy = policy_named("one");
  auto first = pool.acquire(policy);
  const auto second = pool.acquire(policy);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_NE(&first->linter(), &second->linter());
  auto third = std::async(std::launch::async, [&] { return pool.acquire(policy); });
  EXPECT_EQ(third.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  herd::core::Linter* returned = &first->linter();
  first.reset();
  const auto lease = third.get();
  ASSERT_NE(lease, nullptr);
  EXPECT_EQ(&lease->linter(), returned);
}

TEST(LinterPool, IdleLintersJudgeByTheNewestPolicy) {
  LinterPool pool(2);
  herd::core::Linter* linter = nullptr;
  {
    const auto lease = pool.acquire(policy_named("one"));
    linter = &lease->linter();
    EXPECT_EQ(lease->linter().policy().name, "one");
  }
  const auto lease = pool.acquire(policy_named("two"));
  EXPECT_EQ(&lease->linter(), linter); // re-aimed, not rebuilt
  EXPECT_EQ(lease->linter().policy().name, "two");
}

TEST(LinterPool, ALinterBorrowedBeforeAReloadJudgesByTheNewPolicyOnceReturned) {
  LinterPool pool(2);
  auto before = pool.acquire(policy_named("one"));
  const auto two = policy_named("two");
  auto after = pool.acquire(two);
  // A request that started before the reload finishes under the policy it started with.
  EXPECT_EQ(before->linter().policy().name, "one");
  EXPECT_EQ(after->linter().policy().name, "two");
  before.reset();
  after.reset();
  const auto a = pool.acquire(two);
  const auto b = pool.acquire(two);
  EXPECT_EQ(a->linter().policy().name, "two");
  EXPECT_EQ(b->linter().policy().name, "two");
}
