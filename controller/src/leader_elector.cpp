#include <herd/controller/leader_elector.hpp>

#include <condition_variable>
#include <mutex>
#include <random>
#include <utility>

namespace herd::controller {

namespace {

using Clock = std::chrono::steady_clock;

// Sleeps `delay`; false when `stop` was requested meanwhile.
bool pause(std::chrono::milliseconds delay, const std::stop_token& stop) {
  std::mutex sleeping;
  std::unique_lock lock(sleeping);
  std::condition_variable_any wake;
  wake.wait_for(lock, stop, delay, [] { return false; });
  return !stop.stop_requested();
}

// Candidates retry with up to 20% jitter (client-go's JitterFactor 1.2) so replicas do not move in step.
std::chrono::milliseconds jittered(std::chrono::milliseconds period) {
  thread_local std::mt19937 engine{std::random_device{}()};
  std::uniform_real_distribution<double> extra(0.0, 0.2);
  return std::chrono::milliseconds(
      static_cast<long long>(static_cast<double>(period.count()) * (1.0 + extra(engine))));
}

} // namespace

LeaderElector::LeaderElector(kube::ApiClient& client, LeaderElectionOptions options, Callbacks callbacks)
    : m_client(client), m_options(std::move(options)), m_callbacks(std::move(callbacks)),
      m_candidate(m_options.identity.empty() ? default_leader_identity() : m_options.identity,
                  m_options.timing) {}

bool LeaderElector::try_acquire_or_renew() {
  auto current = m_client.get(kube::resources::leases, m_options.lease_namespace, m_options.lease_name);
  std::optional<nlohmann::json> existing;
  if (current) {
    existing = std::move(current.value());
  } else if (!current.error().not_found()) {
    return false;
  }
  const auto next = m_candidate.next_lease(existing, m_options.lease_namespace, m_options.lease_name,
                                           Clock::now(), std::chrono::system_clock::now());
  const std::string holder = m_candidate.observed_holder();
  if (!next) {
    if (holder != m_last_holder && m_callbacks.new_leader) {
      m_callbacks.new_leader(holder);
    }
    m_last_holder = holder;
    return false;
  }
  // Create when there was none (a concurrent create loses with 409 AlreadyExists), else update with the
  // resourceVersion read (a concurrent update loses with 409 Conflict).
  auto written = existing ? m_client.replace(kube::resources::leases, m_options.lease_namespace, *next)
                          : m_client.create(kube::resources::leases, m_options.lease_namespace, *next);
  if (!written) {
    return false;
  }
  m_candidate.written(*written, Clock::now());
  if (m_last_holder != m_candidate.identity() && m_callbacks.new_leader) {
    m_callbacks.new_leader(m_candidate.identity());
  }
  m_last_holder = m_candidate.identity();
  return true;
}

void LeaderElector::release() {
  auto current = m_client.get(kube::resources::leases, m_options.lease_namespace, m_options.lease_name);
  if (!current) {
    return;
  }
  if (const auto released = m_candidate.release(*current, std::chrono::system_clock::now())) {
    (void)m_client.replace(kube::resources::leases, m_options.lease_namespace, *released);
  }
}

void LeaderElector::run(const std::stop_token& stop) {
  const auto& timing = m_options.timing;
  while (!stop.stop_requested()) {
    // Candidate: until the Lease is ours.
    if (!try_acquire_or_renew()) {
      if (!pause(jittered(timing.retry_period), stop)) {
        break;
      }
      continue;
    }
    m_leading.store(true);
    if (m_callbacks.started_leading) {
      m_callbacks.started_leading();
    }
    // Leader: renew every retry period; give up when the last success is older than the renew deadline.
    auto renewed_at = Clock::now();
    while (pause(timing.retry_period, stop)) {
      if (try_acquire_or_renew()) {
        renewed_at = Clock::now();
      } else if (Clock::now() - renewed_at >= timing.renew_deadline ||
                 (!m_last_holder.empty() && m_last_holder != m_candidate.identity())) {
        break; // could not renew in time, or someone else holds the Lease now
      }
    }
    m_leading.store(false);
    if (m_callbacks.stopped_leading) {
      m_callbacks.stopped_leading();
    }
    if (stop.stop_requested()) {
      release();
      return;
    }
  }
}

} // namespace herd::controller
