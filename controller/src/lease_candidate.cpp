#include <herd/controller/lease_candidate.hpp>

#include <array>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <random>
#include <unistd.h>
#include <utility>

namespace herd::controller {

namespace {

using nlohmann::json;

std::string string_field(const json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

long long seconds_of(std::chrono::milliseconds duration) {
  // The Lease carries whole seconds; a sub-second duration (tests) still holds the Lease for one.
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(duration).count();
  return seconds < 1 ? 1 : seconds;
}

} // namespace

LeaseCandidate::LeaseCandidate(std::string identity, LeaderElectionTiming timing)
    : m_identity(std::move(identity)), m_timing(timing) {}

void LeaseCandidate::observe(const json& spec, std::chrono::steady_clock::time_point now) {
  // Only a change of the record restarts the expiry clock: a holder that stopped renewing leaves the same
  // record behind, which then expires lease_duration after this candidate first saw it.
  if (spec != m_observed_spec) {
    m_observed_spec = spec;
    m_observed_at = now;
  }
}

std::optional<json> LeaseCandidate::next_lease(const std::optional<json>& current,
                                               const std::string& name_space,
                                               const std::string& name,
                                               std::chrono::steady_clock::time_point now,
                                               std::chrono::system_clock::time_point wall_now) {
  const std::string stamp = format_micro_time(wall_now);
  json spec = {{"holderIdentity", m_identity},
               {"leaseDurationSeconds", seconds_of(m_timing.lease_duration)},
               {"acquireTime", stamp},
               {"renewTime", stamp},
               {"leaseTransitions", 0}};
  if (!current) {
    return json{{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"namespace", name_space}, {"name", name}}},
                {"spec", spec}};
  }
  const json& old_spec =
      current->contains("spec") && (*current)["spec"].is_object() ? (*current)["spec"] : json::object();
  observe(old_spec, now);
  const std::string holder = string_field(old_spec, "holderIdentity");
  long long old_duration = seconds_of(m_timing.lease_duration);
  if (const auto found = old_spec.find("leaseDurationSeconds");
      found != old_spec.end() && found->is_number_integer()) {
    old_duration = found->get<long long>();
  }
  const bool held_by_other = !holder.empty() && holder != m_identity;
  if (held_by_other && now < m_observed_at + std::chrono::seconds(old_duration)) {
    return std::nullopt;
  }
  long long transitions = 0;
  if (const auto found = old_spec.find("leaseTransitions");
      found != old_spec.end() && found->is_number_integer()) {
    transitions = found->get<long long>();
  }
  if (holder == m_identity) {
    if (const auto acquired = string_field(old_spec, "acquireTime"); !acquired.empty()) {
      spec["acquireTime"] = acquired;
    }
    spec["leaseTransitions"] = transitions;
  } else {
    spec["leaseTransitions"] = transitions + 1;
  }
  json lease = *current;
  lease["spec"] = spec;
  // Keep metadata.resourceVersion: the update is refused with 409 when someone wrote in between.
  return lease;
}

void LeaseCandidate::written(const json& stored, std::chrono::steady_clock::time_point now) {
  if (const auto found = stored.find("spec"); found != stored.end() && found->is_object()) {
    m_observed_spec = *found;
    m_observed_at = now;
  }
}

std::optional<json> LeaseCandidate::release(const json& current,
                                            std::chrono::system_clock::time_point wall_now) const {
  const json& spec =
      current.contains("spec") && current["spec"].is_object() ? current["spec"] : json::object();
  if (string_field(spec, "holderIdentity") != m_identity) {
    return std::nullopt;
  }
  json lease = current;
  const std::string stamp = format_micro_time(wall_now);
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["acquireTime"] = stamp;
  lease["spec"]["renewTime"] = stamp;
  return lease;
}

std::string LeaseCandidate::observed_holder() const {
  return m_observed_spec.is_object() ? string_field(m_observed_spec, "holderIdentity") : std::string();
}

std::string format_micro_time(std::chrono::system_clock::time_point time) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  const auto seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 40> text{};
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): zero-padded fields; GCC 12 has no <format>
  const int written = std::snprintf(text.data(), text.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
                                    utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                                    utc.tm_sec, static_cast<long long>(micros % 1000000));
  return {text.data(), written > 0 ? static_cast<std::size_t>(written) : 0U};
}

std::string default_leader_identity() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) {
    host[0] = '\0';
  }
  std::random_device random;
  std::array<char, 17> suffix{};
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg,cert-err33-c): zero-padded hex; fits the buffer
  std::snprintf(suffix.data(), suffix.size(), "%08x%08x", random(), random());
  const std::string name = host[0] != '\0' ? std::string(host.data()) : std::string("herd-controller");
  return name + "_" + suffix.data();
}

} // namespace herd::controller
