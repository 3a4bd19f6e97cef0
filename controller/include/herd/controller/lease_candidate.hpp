#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace herd::controller {

// The timings of leader election (client-go's defaults, which issue 5 names): a Lease is held for
// `lease_duration` after its last renewal as observed by the other candidates; the leader gives up when it
// could not renew for `renew_deadline`; every candidate tries every `retry_period`.
struct LeaderElectionTiming {
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
};

// One candidate's view of a coordination.k8s.io/v1 Lease, deciding what to write as client-go's
// leaderelection.LeaderElector does in tryAcquireOrRenew. Expiry is judged on this process's monotonic clock
// from when the Lease's record was last seen to change, never from the renewTime written by another machine,
// so clock skew between replicas cannot make two leaders. Pure (no I/O); not thread-safe.
class LeaseCandidate {
public:
  LeaseCandidate(std::string identity, LeaderElectionTiming timing = {});

  // What to write given the Lease as just read (`current`, nullopt when it does not exist):
  //  * the Lease to create (when none exists) or to update (carrying current's resourceVersion, so a
  //    concurrent writer makes the update fail with 409), holding this identity with renewTime `now`;
  //  * nullopt when another holder's Lease has not expired yet: this candidate must not lead.
  // `now` is the monotonic time of the read, `wall_now` what is written into acquireTime/renewTime.
  [[nodiscard]] std::optional<nlohmann::json> next_lease(const std::optional<nlohmann::json>& current,
                                                         const std::string& name_space,
                                                         const std::string& name,
                                                         std::chrono::steady_clock::time_point now,
                                                         std::chrono::system_clock::time_point wall_now);

  // The write succeeded: this candidate holds the Lease as written.
  void written(const nlohmann::json& stored, std::chrono::steady_clock::time_point now);

  // The Lease to write when stepping down (holderIdentity empty, leaseDurationSeconds 1), so the next
  // leader takes over at once instead of waiting for expiry; nullopt when this candidate does not hold it.
  [[nodiscard]] std::optional<nlohmann::json> release(const nlohmann::json& current,
                                                      std::chrono::system_clock::time_point wall_now) const;

  [[nodiscard]] const std::string& identity() const { return m_identity; }
  // The holder last observed ("" when none).
  [[nodiscard]] std::string observed_holder() const;
  [[nodiscard]] const LeaderElectionTiming& timing() const { return m_timing; }

private:
  void observe(const nlohmann::json& spec, std::chrono::steady_clock::time_point now);

  std::string m_identity;
  LeaderElectionTiming m_timing;
  nlohmann::json m_observed_spec; // the Lease spec last seen (null: none yet)
  std::chrono::steady_clock::time_point m_observed_at{};
};

// A Kubernetes MicroTime as the API writes it: 2026-11-23T02:15:07.123456Z.
std::string format_micro_time(std::chrono::system_clock::time_point time);

// The identity client-go's examples use: the host name (the pod name in a cluster) and a random suffix, so a
// restarted process never mistakes its predecessor's Lease for its own.
std::string default_leader_identity();

} // namespace herd::controller
