#pragma once

#include <herd/controller/lease_candidate.hpp>
#include <herd/kube/api_client.hpp>

#include <atomic>
#include <functional>
#include <stop_token>
#include <string>

namespace herd::controller {

struct LeaderElectionOptions {
  std::string lease_namespace = "herd-system";
  std::string lease_name = "herd-controller";
  std::string identity; // empty: default_leader_identity()
  LeaderElectionTiming timing{};
};

// Runs the candidate loop of client-go's leaderelection with a coordination.k8s.io/v1 Lease: try to acquire
// every retry period; once leading, renew every retry period; when no renewal succeeded for the renew
// deadline, stop leading (and become a candidate again: the process keeps serving admission). On stop, a
// leader releases the Lease so a standby takes over at once.
// The client should fail fast (one attempt, a request timeout under the renew deadline): a renewal that
// hangs must not keep a deposed leader writing.
class LeaderElector {
public:
  struct Callbacks {
    std::function<void()> started_leading; // called on the elector's thread; must not block for long
    std::function<void()> stopped_leading;
    std::function<void(const std::string& holder)> new_leader; // someone else (or this one) leads now
  };

  LeaderElector(kube::ApiClient& client, LeaderElectionOptions options, Callbacks callbacks);

  // Blocks until `stop` is requested (then releases the Lease if held).
  void run(const std::stop_token& stop);

  [[nodiscard]] bool leading() const { return m_leading.load(); }
  [[nodiscard]] const std::string& identity() const { return m_candidate.identity(); }

private:
  // One read-decide-write round; true when this candidate holds the Lease afterwards.
  bool try_acquire_or_renew();
  void release();

  kube::ApiClient& m_client;
  LeaderElectionOptions m_options;
  Callbacks m_callbacks;
  LeaseCandidate m_candidate;
  std::atomic<bool> m_leading{false};
  std::string m_last_holder;
};

} // namespace herd::controller
