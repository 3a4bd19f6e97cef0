// Leader election decisions (client-go's tryAcquireOrRenew): who may write the Lease, and what.
#include <herd/controller/lease_candidate.hpp>

#include <gtest/gtest.h>

namespace herd::controller {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::chrono::steady_clock::time_point t0{};
const std::chrono::system_clock::time_point wall{std::chrono::seconds(1'790'000'000)};

json stored(json lease, const std::string& resource_version) {
  lease["metadata"]["resourceVersion"] = resource_version;
  return lease;
}

TEST(LeaseCandidate, CreatesTheLeaseWhenThereIsNone) {
  LeaseCandidate candidate("a");
  const auto lease = candidate.next_lease(std::nullopt, "herd-system", "herd-controller", t0, wall);
  ASSERT_TRUE(lease);
  EXPECT_EQ((*lease)["apiVersion"], "coordination.k8s.io/v1");
  EXPECT_EQ((*lease)["kind"], "Lease");
  EXPECT_EQ((*lease)["metadata"]["namespace"], "herd-system");
  EXPECT_EQ((*lease)["metadata"]["name"], "herd-controller");
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "a");
  EXPECT_EQ((*lease)["spec"]["leaseDurationSeconds"], 15);
  EXPECT_EQ((*lease)["spec"]["renewTime"], "2026-09-21T14:13:20.000000Z");
  EXPECT_EQ((*lease)["spec"]["leaseTransitions"], 0);
}

TEST(LeaseCandidate, DoesNotTakeALeaseAnotherHolderKeepsRenewing) {
  LeaseCandidate leader("a");
  LeaseCandidate standby("b");
  auto lease = stored(*leader.next_lease(std::nullopt, "ns", "l", t0, wall), "1");
  EXPECT_FALSE(standby.next_lease(lease, "ns", "l", t0, wall));
  EXPECT_EQ(standby.observed_holder(), "a");
  // The leader renews every 2 s: the record changes, so the standby's expiry clock restarts each time.
  for (int i = 1; i <= 10; ++i) {
    const auto now = t0 + std::chrono::seconds(2 * i);
    lease = stored(*leader.next_lease(lease, "ns", "l", now, wall + std::chrono::seconds(2 * i)),
                   std::to_string(i + 1));
    EXPECT_FALSE(standby.next_lease(lease, "ns", "l", now, wall)) << "after " << 2 * i << " s";
  }
}

TEST(LeaseCandidate, TakesOverOnceTheRecordStoppedChangingForTheLeaseDuration) {
  LeaseCandidate leader("a");
  LeaseCandidate standby("b");
  const auto lease = stored(*leader.next_lease(std::nullopt, "ns", "l", t0, wall), "7");
  EXPECT_FALSE(standby.next_lease(lease, "ns", "l", t0 + 1s, wall));
  EXPECT_FALSE(standby.next_lease(lease, "ns", "l", t0 + 15s, wall)) << "15 s after first seeing it: not yet";
  const auto taken = standby.next_lease(lease, "ns", "l", t0 + 16s + 1ms, wall + 16s);
  ASSERT_TRUE(taken);
  EXPECT_EQ((*taken)["spec"]["holderIdentity"], "b");
  EXPECT_EQ((*taken)["spec"]["leaseTransitions"], 1);
  EXPECT_EQ((*taken)["spec"]["acquireTime"], (*taken)["spec"]["renewTime"]);
  EXPECT_EQ((*taken)["metadata"]["resourceVersion"], "7") << "the update is conditional on what was read";
}

TEST(LeaseCandidate, ExpiryIgnoresTheRenewTimeWrittenByAnotherMachinesClock) {
  LeaseCandidate standby("b");
  json lease = {{"metadata", {{"resourceVersion", "3"}}},
                {"spec",
                 {{"holderIdentity", "a"},
                  {"leaseDurationSeconds", 15},
                  {"renewTime", "2001-01-01T00:00:00.000000Z"}}}}; // a renewTime long past
  EXPECT_FALSE(standby.next_lease(lease, "ns", "l", t0, wall)) << "first sight starts the clock";
}

TEST(LeaseCandidate, RenewingKeepsAcquireTimeAndTransitions) {
  LeaseCandidate leader("a");
  auto lease = stored(*leader.next_lease(std::nullopt, "ns", "l", t0, wall), "1");
  lease["spec"]["leaseTransitions"] = 4;
  const auto renewed = leader.next_lease(lease, "ns", "l", t0 + 2s, wall + 2s);
  ASSERT_TRUE(renewed);
  EXPECT_EQ((*renewed)["spec"]["acquireTime"], lease["spec"]["acquireTime"]);
  EXPECT_NE((*renewed)["spec"]["renewTime"], lease["spec"]["renewTime"]);
  EXPECT_EQ((*renewed)["spec"]["leaseTransitions"], 4);
}

TEST(LeaseCandidate, AReleasedLeaseIsTakenAtOnce) {
  LeaseCandidate leader("a");
  LeaseCandidate standby("b");
  const auto lease = stored(*leader.next_lease(std::nullopt, "ns", "l", t0, wall), "1");
  EXPECT_FALSE(standby.release(lease, wall)) << "only the holder releases";
  const auto released = leader.release(lease, wall + 1s);
  ASSERT_TRUE(released);
  EXPECT_EQ((*released)["spec"]["holderIdentity"], "");
  EXPECT_EQ((*released)["spec"]["leaseDurationSeconds"], 1);
  EXPECT_TRUE(standby.next_lease(stored(*released, "2"), "ns", "l", t0 + 1s, wall + 1s));
}

TEST(LeaseCandidate, IdentitiesAreUniquePerProcessStart) {
  EXPECT_NE(default_leader_identity(), default_leader_identity());
  EXPECT_EQ(format_micro_time(std::chrono::system_clock::time_point(std::chrono::microseconds(1'500'000))),
            "1970-01-01T00:00:01.500000Z");
}

} // namespace
} // namespace herd::controller
