#include <herd/controller/stack_status.hpp>
#include <herd/core/stack.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace herd::controller {

namespace {

using nlohmann::json;

constexpr std::size_t k_max_deployment_message = 400;
constexpr std::size_t k_max_phase_message = 1024;
constexpr std::size_t k_max_condition_message = 4096;
constexpr std::size_t k_max_listed_names = 5;
constexpr std::string_view k_dependency_error = "dependent bundle(s) are not ready";

// How bad a deployment's state is; lower is worse (the sort order of status.deployments).
enum class Severity {
  error = 0,       // ErrApplied, not a dependency wait
  failing = 1,     // NotReady with a resource Fleet flags as an error
  modified = 2,    // drift
  out_of_sync = 3, // OutOfSync
  not_ready = 4,   // NotReady (transitioning) and states Herd does not know
  wait_applied = 5,
  pending = 6,
  waiting = 7, // waiting for a dependency
  ready = 8,
};

bool in_error(Severity severity) {
  return severity == Severity::error || severity == Severity::failing;
}

// Cuts `text` to at most `max` bytes on a UTF-8 character boundary, marking the cut with "...".
std::string truncated(std::string_view text, std::size_t max) {
  if (text.size() <= max) {
    return std::string(text);
  }
  std::size_t cut = max - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) {
    --cut;
  }
  std::string out(text.substr(0, cut));
  out += "...";
  return out;
}

const json* member(const json& object, std::string_view key) {
  if (!object.is_object()) {
    return nullptr;
  }
  const auto found = object.find(key);
  return found == object.end() ? nullptr : &*found;
}

const json* path(const json& object, std::initializer_list<std::string_view> keys) {
  const json* current = &object;
  for (const auto key : keys) {
    current = member(*current, key);
    if (current == nullptr) {
      return nullptr;
    }
  }
  return current;
}

std::string string_at(const json& object, std::initializer_list<std::string_view> keys) {
  const json* value = path(object, keys);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

// A view of the string at `keys` (valid while `object` lives), or "".
std::string_view view_at(const json& object, std::initializer_list<std::string_view> keys) {
  const json* value = path(object, keys);
  return value != nullptr && value->is_string() ? std::string_view(value->get_ref<const std::string&>())
                                                : std::string_view();
}

long long integer_at(const json& object, std::initializer_list<std::string_view> keys) {
  const json* value = path(object, keys);
  return value != nullptr && value->is_number_integer() ? value->get<long long>() : 0;
}

bool bool_at(const json& object, std::initializer_list<std::string_view> keys) {
  const json* value = path(object, keys);
  return value != nullptr && value->is_boolean() && value->get<bool>();
}

// The message of the first condition of `type` in `conditions` (Fleet's and metav1's shape).
const json* find_condition(const json& object, std::string_view type) {
  const json* conditions = path(object, {"status", "conditions"});
  if (conditions == nullptr || !conditions->is_array()) {
    return nullptr;
  }
  for (const auto& condition : *conditions) {
    if (view_at(condition, {"type"}) == type) {
      return &condition;
    }
  }
  return nullptr;
}

// Fleet's summary.MessageFromDeployment: the Deployed, then Installed, then Monitored condition message (a
// view into `deployment`).
std::string_view fleet_deployment_message(const json& deployment) {
  for (const auto* type : {"Deployed", "Installed", "Monitored"}) {
    const json* condition = find_condition(deployment, type);
    const std::string_view message =
        condition == nullptr ? std::string_view() : view_at(*condition, {"message"});
    if (!message.empty()) {
      return message;
    }
  }
  return {};
}

// Fleet's summary.GetDeploymentState, for a BundleDeployment whose status.display.state is not set.
std::string derived_deployment_state(const json& deployment) {
  if (string_at(deployment, {"status", "appliedDeploymentID"}) !=
      string_at(deployment, {"spec", "deploymentID"})) {
    const json* deployed = find_condition(deployment, "Deployed");
    if (deployed != nullptr && deployed->value("status", std::string()) == "False") {
      return "ErrApplied";
    }
    return "WaitApplied";
  }
  if (!bool_at(deployment, {"status", "ready"})) {
    return "NotReady";
  }
  if (string_at(deployment, {"spec", "deploymentID"}) !=
      string_at(deployment, {"spec", "stagedDeploymentID"})) {
    return "OutOfSync";
  }
  if (!bool_at(deployment, {"status", "nonModified"})) {
    return "Modified";
  }
  return "Ready";
}

// The first non-ready resource Fleet lists, as "<Kind> <namespace>/<name>: <messages>", and whether any of
// them is flagged as an error.
std::pair<std::string, bool> non_ready_resources(const json& deployment) {
  const json* resources = path(deployment, {"status", "nonReadyStatus"});
  if (resources == nullptr || !resources->is_array()) {
    return {};
  }
  std::string first;
  for (const auto& resource : *resources) {
    const bool error = bool_at(resource, {"summary", "error"});
    if (!first.empty() && !error) {
      continue;
    }
    std::string text = resource.value("kind", std::string()) + " ";
    const std::string ns = resource.value("namespace", std::string());
    const std::string name = resource.value("name", std::string());
    if (!ns.empty()) {
      text += ns;
      text += '/';
    }
    text += name;
    const json* messages = path(resource, {"summary", "message"});
    if (messages != nullptr && messages->is_array()) {
      std::string joined;
      for (const auto& line : *messages) {
        if (line.is_string()) {
          joined += (joined.empty() ? "" : "; ") + line.get<std::string>();
        }
      }
      if (!joined.empty()) {
        text += ": " + joined;
      }
    }
    first = std::move(text);
    if (error) {
      return {first, true};
    }
  }
  return {first, false};
}

Severity severity_of(const std::string& state, bool failing) {
  static const std::unordered_map<std::string, Severity> k_states = {
      {"ErrApplied", Severity::error},
      {"Modified", Severity::modified},
      {"OutOfSync", Severity::out_of_sync},
      {"NotReady", Severity::not_ready},
      {"WaitApplied", Severity::wait_applied},
      {"Pending", Severity::pending},
      {std::string(k_waiting_for_dependency), Severity::waiting},
      {"Ready", Severity::ready}};
  const auto found = k_states.find(state);
  const Severity severity = found == k_states.end() ? Severity::not_ready : found->second;
  return severity == Severity::not_ready && failing ? Severity::failing : severity;
}

// The Bundle names in Fleet's "dependent bundle(s) are not ready: [a b]" (Go's %v of a string slice).
std::vector<std::string> dependency_names(std::string_view message) {
  std::vector<std::string> names;
  const auto at = message.find(k_dependency_error);
  const auto open = message.find('[', at);
  const auto close = open == std::string::npos ? std::string::npos : message.find(']', open);
  if (close == std::string::npos) {
    return names;
  }
  std::string current;
  for (std::size_t i = open + 1; i < close; ++i) {
    if (message[i] == ' ' || message[i] == ',') {
      if (!current.empty()) {
        names.push_back(std::move(current));
        current.clear();
      }
    } else {
      current += message[i];
    }
  }
  if (!current.empty()) {
    names.push_back(std::move(current));
  }
  return names;
}

// One rendered Bundle and what Fleet says about it.
struct BundleView {
  std::string chart;
  std::string name;
  std::string namespace_name;
  bool policy = false;
  const core::Chart* stack_chart = nullptr;
  const json* rendered = nullptr;
  const json* observed = nullptr; // only a Bundle with Herd's labels of this Stack
  bool collision = false;
  bool apply_failed = false;
  bool processed = false; // observed, current hash, and Fleet has computed its status for this generation
  long long desired = 0;
  long long ready = 0;
  std::size_t deployments = 0;
  std::size_t errors = 0;
  std::size_t drifted = 0;

  [[nodiscard]] bool is_ready() const { return processed && desired > 0 && ready == desired; }
  [[nodiscard]] bool no_targets() const { return processed && desired == 0; }
  [[nodiscard]] bool failed_everywhere() const { return deployments > 0 && errors == deployments; }
};

struct DeploymentView {
  std::size_t bundle = 0; // index into the BundleViews
  std::string cluster;
  std::string state;
  std::string message;
  Severity severity = Severity::not_ready;
};

struct Counts {
  std::size_t charts = 0;
  std::size_t ready_bundles = 0;
  long long desired = 0;
  long long ready = 0;
};

std::string hash_of(const json& bundle) {
  return string_at(bundle, {"metadata", "annotations", core::k_rendered_hash_annotation});
}

bool fleet_processed(const json& bundle) {
  const json* status = member(bundle, "status");
  if (status == nullptr || member(*status, "summary") == nullptr) {
    return false;
  }
  const json* generation = path(bundle, {"metadata", "generation"});
  const json* observed = member(*status, "observedGeneration");
  if (generation == nullptr || observed == nullptr || !generation->is_number_integer() ||
      !observed->is_number_integer()) {
    return true; // nothing to compare: trust the summary
  }
  return observed->get<long long>() >= generation->get<long long>();
}

class StatusBuilder {
public:
  explicit StatusBuilder(const StatusInput& input)
      : m_in(input), m_stack(core::stack_from_json(*input.stack)),
        m_generation(integer_at(*input.stack, {"metadata", "generation"})) {
    if (m_in.previous != nullptr && m_in.previous->is_object()) {
      m_previous = *m_in.previous;
    } else {
      m_previous = json::object();
    }
    const json* deletion = path(*input.stack, {"metadata", "deletionTimestamp"});
    m_deleting = deletion != nullptr && !deletion->is_null();
  }

  json build() {
    if (m_in.rendered == nullptr || !m_in.validation_errors.empty()) {
      return build_unrendered();
    }
    collect_bundles();
    index_clusters();
    collect_deployments();
    json status = json::object();
    status["observedGeneration"] = m_generation;
    const auto [phase, message] = decide_phase();
    status["phase"] = phase;
    status["message"] = truncated(message, k_max_phase_message);
    status["summary"] = summary_json();
    status["bundles"] = bundles_json();
    status["deployments"] = deployments_json();
    status["targetClusters"] = target_clusters_json();
    status["security"] = security_json();
    status["observability"] = observability_json();
    status["conditions"] = conditions_json(phase, message);
    return status;
  }

private:
  // An invalid (or unrendered) Stack: the Bundles are not touched, so what status says about them stays.
  json build_unrendered() {
    json status = m_previous;
    status["observedGeneration"] = m_generation;
    std::string findings;
    for (const auto& error : m_in.validation_errors) {
      findings += (findings.empty() ? "" : "; ") + error;
    }
    if (findings.empty()) {
      findings = "the Stack was not rendered";
    }
    const std::string message = m_deleting ? "deleting: removing the Stack's Bundles"
                                           : "invalid Stack, Bundles left unchanged: " + findings;
    status["phase"] = m_deleting ? "Deleting" : "Failed";
    status["message"] = truncated(message, k_max_phase_message);
    json summary =
        status.contains("summary") && status["summary"].is_object() ? status["summary"] : json::object();
    summary["charts"] = m_stack.charts.size();
    for (const auto* key :
         {"clusters", "readyBundles", "desiredDeployments", "readyDeployments", "omittedDeployments"}) {
      if (!summary.contains(key)) {
        summary[key] = 0;
      }
    }
    status["summary"] = summary;
    const bool valid = m_in.validation_errors.empty();
    json conditions = json::array();
    conditions.push_back(condition("Validated", valid ? "True" : "False", valid ? "Valid" : "Invalid",
                                   valid ? "the Stack is valid" : findings));
    conditions.push_back(condition("BundlesApplied", "False", m_deleting ? "Deleting" : "InvalidStack",
                                   m_deleting ? "the Stack is being deleted"
                                              : "Bundles are not updated while the Stack is invalid"));
    conditions.push_back(condition("Ready", "False", m_deleting ? "Deleting" : "InvalidStack", message));
    for (const auto* type : {"SecurityConfigured", "ObservabilityConfigured"}) {
      const json* previous = previous_condition(type);
      if (previous != nullptr) {
        conditions.push_back(*previous);
      }
    }
    status["conditions"] = std::move(conditions);
    return status;
  }

  const json* previous_condition(std::string_view type) const {
    const json* conditions = member(m_previous, "conditions");
    if (conditions == nullptr || !conditions->is_array()) {
      return nullptr;
    }
    for (const auto& condition : *conditions) {
      if (condition.is_object() && condition.value("type", std::string()) == type) {
        return &condition;
      }
    }
    return nullptr;
  }

  // A metav1.Condition; lastTransitionTime is kept while the status stays the same.
  json condition(std::string_view type,
                 std::string_view status,
                 std::string_view reason,
                 const std::string& message) const {
    std::string transition = m_in.now;
    const json* previous = previous_condition(type);
    if (previous != nullptr && previous->value("status", std::string()) == status &&
        previous->contains("lastTransitionTime") && (*previous)["lastTransitionTime"].is_string()) {
      transition = (*previous)["lastTransitionTime"].get<std::string>();
    }
    return {{"type", type},
            {"status", status},
            {"observedGeneration", m_generation},
            {"lastTransitionTime", transition},
            {"reason", reason},
            {"message", truncated(message, k_max_condition_message)}};
  }

  void collect_bundles() {
    std::unordered_map<std::string, const core::Chart*> charts;
    for (const auto& chart : m_stack.charts) {
      charts.emplace(chart.name, &chart);
    }
    std::map<std::pair<std::string, std::string>, const json*> observed;
    const StackRef ref = stack_ref(*m_in.stack);
    for (const auto& bundle : m_in.bundles) {
      if (is_bundle_of(bundle, ref)) {
        observed.emplace(
            std::pair{string_at(bundle, {"metadata", "namespace"}), string_at(bundle, {"metadata", "name"})},
            &bundle);
      }
    }
    for (const auto& rendered : m_in.rendered->bundles) {
      BundleView view;
      view.policy = rendered.chart().empty();
      view.chart = view.policy ? std::string(k_policy_chart) : rendered.chart();
      view.name = string_at(rendered.object(), {"metadata", "name"});
      view.namespace_name = string_at(rendered.object(), {"metadata", "namespace"});
      view.rendered = &rendered.object();
      if (const auto chart = charts.find(rendered.chart()); chart != charts.end()) {
        view.stack_chart = chart->second;
      }
      for (const auto& collision : m_in.collisions) {
        view.collision = view.collision ||
                         (collision.bundle == view.name && collision.namespace_name == view.namespace_name);
      }
      for (const auto& error : m_in.apply_errors) {
        view.apply_failed = view.apply_failed || error.bundle == view.name;
      }
      if (!view.collision) {
        if (const auto found = observed.find({view.namespace_name, view.name}); found != observed.end()) {
          view.observed = found->second;
          view.processed =
              hash_of(*view.observed) == hash_of(rendered.object()) && fleet_processed(*view.observed);
          view.desired = integer_at(*view.observed, {"status", "summary", "desiredReady"});
          view.ready = integer_at(*view.observed, {"status", "summary", "ready"});
        }
      }
      m_bundle_index.emplace(view.namespace_name + "/" + view.name, m_bundles.size());
      m_bundle_by_name.emplace(view.name, m_bundles.size());
      m_bundles.push_back(std::move(view));
    }
  }

  void index_clusters() {
    for (const auto& fleet_cluster : m_in.clusters) {
      const std::string_view id = view_at(fleet_cluster, {"metadata", "labels", k_rancher_cluster_id_label});
      if (!id.empty()) {
        std::string key(view_at(fleet_cluster, {"metadata", "namespace"}));
        key += '/';
        key += view_at(fleet_cluster, {"metadata", "name"});
        m_cluster_ids.emplace(std::move(key), id);
      }
    }
  }

  // The Rancher cluster id of the Fleet cluster a BundleDeployment's `labels` name, or the Fleet cluster name
  // when unknown.
  std::string cluster_id(const json& labels) {
    const std::string_view cluster = view_at(labels, {k_bd_cluster_label});
    m_key.assign(view_at(labels, {k_bd_cluster_namespace_label}));
    m_key += '/';
    m_key += cluster;
    const auto found = m_cluster_ids.find(m_key);
    return found == m_cluster_ids.end() ? std::string(cluster) : found->second;
  }

  // "qdrant" for the Bundle of chart qdrant of this Stack; other names as they are.
  std::string dependency_label(const std::string& bundle_name) const {
    const auto found = m_bundle_by_name.find(bundle_name);
    return found == m_bundle_by_name.end() ? bundle_name : m_bundles[found->second].chart;
  }

  void collect_deployments() {
    m_deployments.reserve(m_in.bundle_deployments.size());
    for (const auto& deployment : m_in.bundle_deployments) {
      const json* labels = path(deployment, {"metadata", "labels"});
      if (labels == nullptr) {
        continue;
      }
      m_key.assign(view_at(*labels, {k_bd_bundle_namespace_label}));
      m_key += '/';
      m_key += view_at(*labels, {k_bd_bundle_name_label});
      const auto found = m_bundle_index.find(m_key);
      if (found == m_bundle_index.end() || m_bundles[found->second].collision) {
        continue;
      }
      BundleView& bundle = m_bundles[found->second];
      DeploymentView view;
      view.bundle = found->second;
      view.cluster = cluster_id(*labels);
      view.state = view_at(deployment, {"status", "display", "state"});
      if (view.state.empty()) {
        view.state = derived_deployment_state(deployment);
      }
      bool failing = false;
      std::string_view message;
      if (view.state != "Ready") {
        message = fleet_deployment_message(deployment);
        auto [resources, error] = non_ready_resources(deployment);
        failing = error;
        view.message = message.empty() ? std::move(resources) : truncated(message, k_max_deployment_message);
      }
      if (view.state == "ErrApplied" && message.find(k_dependency_error) != std::string_view::npos) {
        const auto names = dependency_names(message);
        view.state = k_waiting_for_dependency;
        std::string list;
        for (const auto& name : names) {
          list += (list.empty() ? "" : ", ") + dependency_label(name);
        }
        view.message = names.empty()       ? "waiting for a dependency on " + view.cluster
                       : names.size() == 1 ? "waiting for dependency " + list + " on " + view.cluster
                                           : "waiting for dependencies " + list + " on " + view.cluster;
      }
      view.severity = severity_of(view.state, failing);
      view.message = truncated(std::move(view.message), k_max_deployment_message);
      ++bundle.deployments;
      bundle.errors += in_error(view.severity) ? 1 : 0;
      bundle.drifted += view.severity == Severity::modified ? 1 : 0;
      m_clusters.insert(view.cluster);
      m_deployments.push_back(std::move(view));
    }
    std::sort(m_deployments.begin(), m_deployments.end(),
              [](const DeploymentView& a, const DeploymentView& b) {
                return std::tie(a.severity, a.bundle, a.cluster) < std::tie(b.severity, b.bundle, b.cluster);
              });
  }

  Counts counts() const {
    Counts out;
    out.charts = m_stack.charts.size();
    for (const auto& bundle : m_bundles) {
      if (bundle.policy) {
        continue;
      }
      out.ready_bundles += bundle.is_ready() ? 1 : 0;
      out.desired += bundle.desired;
      out.ready += bundle.ready;
    }
    return out;
  }

  std::string describe(const DeploymentView& deployment) const {
    const std::string& chart = m_bundles[deployment.bundle].chart;
    if (deployment.severity == Severity::waiting) {
      return chart + " " + deployment.message;
    }
    std::string text = chart + " " + deployment.state + " on " + deployment.cluster;
    if (!deployment.message.empty()) {
      text += ": " + deployment.message;
    }
    return text;
  }

  std::string progress() const {
    const Counts c = counts();
    return std::to_string(c.ready_bundles) + "/" + std::to_string(c.charts) + " charts ready, " +
           std::to_string(c.ready) + "/" + std::to_string(c.desired) + " deployments ready";
  }

  // The worst deployment matching `pick`, described, plus how many more match.
  template <typename Pick> std::string worst(Pick pick, std::string_view what) const {
    std::size_t count = 0;
    const DeploymentView* first = nullptr;
    for (const auto& deployment : m_deployments) {
      if (pick(deployment)) {
        first = first == nullptr ? &deployment : first;
        ++count;
      }
    }
    if (first == nullptr) {
      return {};
    }
    std::string text = describe(*first);
    if (count > 1) {
      text += " (and " + std::to_string(count - 1) + " more " + std::string(what) + ")";
    }
    return text;
  }

  std::pair<std::string, std::string> decide_phase() const {
    if (m_deleting) {
      return {"Deleting", "deleting: removing the Stack's Bundles"};
    }
    if (m_stack.paused) {
      return {"Paused", "rollout paused (spec.paused); " + progress()};
    }
    if (!m_in.collisions.empty()) {
      const Collision& first = m_in.collisions.front();
      std::string text = "chart " + first.chart + ": Bundle " + first.namespace_name + "/" + first.bundle +
                         " already exists and belongs to " + first.owner + "; Herd leaves it alone";
      if (first.owner.starts_with("not managed")) {
        text = "chart " + first.chart + ": Bundle " + first.namespace_name + "/" + first.bundle +
               " already exists and is " + first.owner + "; Herd leaves it alone";
      }
      if (m_in.collisions.size() > 1) {
        text += " (and " + std::to_string(m_in.collisions.size() - 1) + " more collisions)";
      }
      return {"Failed", text};
    }
    if (!m_in.apply_errors.empty()) {
      const ApplyError& first = m_in.apply_errors.front();
      std::string text =
          "chart " + first.chart + ": applying Bundle " + first.bundle + " failed: " + first.message;
      if (m_in.apply_errors.size() > 1) {
        text += " (and " + std::to_string(m_in.apply_errors.size() - 1) + " more apply errors)";
      }
      return {"Failed", text};
    }
    std::set<std::size_t> failed_bundles;
    for (std::size_t i = 0; i < m_bundles.size(); ++i) {
      if (m_bundles[i].failed_everywhere()) {
        failed_bundles.insert(i);
      }
    }
    if (!failed_bundles.empty()) {
      return {"Failed", worst(
                            [&](const DeploymentView& d) {
                              return in_error(d.severity) && failed_bundles.contains(d.bundle);
                            },
                            "deployments in error")};
    }
    if (std::none_of(m_bundles.begin(), m_bundles.end(),
                     [](const BundleView& b) { return b.observed != nullptr; })) {
      return {"Pending", "no Bundle exists yet: waiting for " + std::to_string(m_bundles.size()) +
                             " Bundles to be created"};
    }
    const std::string degraded = worst(
        [](const DeploymentView& d) { return in_error(d.severity) || d.severity == Severity::modified; },
        "deployments in error or modified");
    if (!degraded.empty()) {
      return {"Degraded", degraded};
    }
    std::vector<std::string> untargeted;
    for (const auto& bundle : m_bundles) {
      if (bundle.no_targets() && !bundle.policy) {
        untargeted.push_back(bundle.chart);
      }
    }
    if (untargeted.empty() &&
        std::any_of(m_bundles.begin(), m_bundles.end(), [](const BundleView& b) { return b.no_targets(); })) {
      untargeted.emplace_back(k_policy_chart);
    }
    if (!untargeted.empty()) {
      std::string list;
      for (std::size_t i = 0; i < untargeted.size() && i < k_max_listed_names; ++i) {
        list += (i == 0 ? "" : ", ") + untargeted[i];
      }
      if (untargeted.size() > k_max_listed_names) {
        list += " and " + std::to_string(untargeted.size() - k_max_listed_names) + " more";
      }
      return {"NoTargets", (untargeted.size() == 1 ? "chart " : "charts ") + list +
                               " match no cluster (Fleet reports 0/0): check spec.targets"};
    }
    if (std::all_of(m_bundles.begin(), m_bundles.end(), [](const BundleView& b) { return b.is_ready(); })) {
      return {"Deployed", "all " + std::to_string(m_stack.charts.size()) + " charts ready on " +
                              std::to_string(m_clusters.size()) + " clusters"};
    }
    std::string text = progress();
    const std::string blocker =
        worst([](const DeploymentView& d) { return d.severity != Severity::ready; }, "deployments not ready");
    if (!blocker.empty()) {
      text += "; " + blocker;
    } else {
      for (const auto& bundle : m_bundles) {
        if (!bundle.processed) {
          text += "; " + bundle.chart + ": Bundle " + bundle.name + " not yet processed by Fleet";
          break;
        }
      }
    }
    return {"Deploying", text};
  }

  json summary_json() const {
    const Counts c = counts();
    const std::size_t listed = std::min(m_deployments.size(), m_in.max_deployments);
    return {{"charts", c.charts},
            {"clusters", m_clusters.size()},
            {"readyBundles", c.ready_bundles},
            {"desiredDeployments", c.desired},
            {"readyDeployments", c.ready},
            {"omittedDeployments", m_deployments.size() - listed}};
  }

  json bundles_json() const {
    json out = json::array();
    for (const auto& bundle : m_bundles) {
      std::string state;
      std::string ready_clusters = std::to_string(bundle.ready) + "/" + std::to_string(bundle.desired);
      if (bundle.collision) {
        state = "Collision";
      } else if (bundle.apply_failed && !bundle.processed) {
        state = "ApplyFailed";
      } else if (!bundle.processed) {
        state = "Pending";
      } else if (bundle.desired == 0) {
        state = "NoTargets";
      } else {
        state = string_at(*bundle.observed, {"status", "display", "state"});
        if (state.empty()) {
          state = bundle.is_ready() ? "Ready" : "NotReady";
        }
        const std::string display = string_at(*bundle.observed, {"status", "display", "readyClusters"});
        ready_clusters = display.empty() ? ready_clusters : display;
      }
      out.push_back({{"chart", bundle.chart},
                     {"name", bundle.name},
                     {"state", state},
                     {"readyClusters", ready_clusters}});
    }
    return out;
  }

  json deployments_json() const {
    std::map<std::pair<std::string, std::string>, const json*> previous;
    const json* entries = member(m_previous, "deployments");
    if (entries != nullptr && entries->is_array()) {
      for (const auto& entry : *entries) {
        if (entry.is_object()) {
          previous.emplace(
              std::pair{entry.value("chartName", std::string()), entry.value("clusterId", std::string())},
              &entry);
        }
      }
    }
    json out = json::array();
    const std::size_t listed = std::min(m_deployments.size(), m_in.max_deployments);
    for (std::size_t i = 0; i < listed; ++i) {
      const DeploymentView& deployment = m_deployments[i];
      json entry = {{"chartName", m_bundles[deployment.bundle].chart},
                    {"clusterId", deployment.cluster},
                    {"status", deployment.state}};
      if (!deployment.message.empty()) {
        entry["message"] = deployment.message;
      }
      std::string updated = m_in.now;
      const auto found = previous.find({m_bundles[deployment.bundle].chart, deployment.cluster});
      if (found != previous.end()) {
        const json& old = *found->second;
        if (old.value("status", std::string()) == deployment.state &&
            old.value("message", std::string()) == deployment.message && old.contains("lastUpdated") &&
            old["lastUpdated"].is_string()) {
          updated = old["lastUpdated"].get<std::string>();
        }
      }
      entry["lastUpdated"] = updated;
      out.push_back(std::move(entry));
    }
    return out;
  }

  json target_clusters_json() const {
    json out = json::array();
    for (const auto& cluster : m_clusters) {
      if (out.size() >= m_in.max_target_clusters) {
        break;
      }
      out.push_back(cluster);
    }
    return out;
  }

  const BundleView* policy_bundle() const {
    for (const auto& bundle : m_bundles) {
      if (bundle.policy) {
        return &bundle;
      }
    }
    return nullptr;
  }

  std::size_t security_rules() const {
    const BundleView* policy = policy_bundle();
    if (policy == nullptr) {
      return 0;
    }
    const json* resources = path(*policy->rendered, {"spec", "resources"});
    std::size_t rules = 0;
    if (resources != nullptr && resources->is_array()) {
      for (const auto& resource : *resources) {
        const json manifest = json::parse(resource.value("content", std::string()), nullptr, false);
        rules += manifest.is_object() && manifest.value("kind", std::string()) == "NvSecurityRule" ? 1 : 0;
      }
    }
    return rules;
  }

  json security_json() const {
    json out = {{"enabled", m_stack.security}};
    if (m_stack.security) {
      const std::size_t rules = security_rules();
      out["rules"] = rules;
      if (rules > 0) {
        out["policyBundle"] = policy_bundle()->name;
      }
    }
    return out;
  }

  const core::Policy& policy() const {
    return m_in.policy != nullptr ? *m_in.policy : core::default_policy();
  }

  // JSON pointers of every serviceMonitor "enabled: true" in a policy values overlay (a trusted file of
  // bounded depth).
  static void service_monitor_pointers(const json& overlay,
                                       const std::string& prefix,
                                       std::vector<json::json_pointer>& out) {
    if (!overlay.is_object()) {
      return;
    }
    for (const auto& [key, value] : overlay.items()) {
      std::string pointer = prefix;
      pointer += '/';
      pointer += key;
      if (key == "serviceMonitor" && value.is_object() && value.value("enabled", false)) {
        out.emplace_back(pointer + "/enabled");
      } else {
        service_monitor_pointers(value, pointer, out);
      }
    }
  }

  std::size_t service_monitors() const {
    const json& values = policy().observability.values;
    std::size_t count = 0;
    for (const auto& bundle : m_bundles) {
      if (bundle.policy || bundle.stack_chart == nullptr) {
        continue;
      }
      std::vector<json::json_pointer> pointers;
      for (const auto* key : {bundle.stack_chart->chart.c_str(), "*"}) {
        if (values.is_object() && values.contains(key)) {
          service_monitor_pointers(values[key], "", pointers);
        }
      }
      const json* helm_values = path(*bundle.rendered, {"spec", "helm", "values"});
      if (helm_values == nullptr) {
        continue;
      }
      count += std::any_of(pointers.begin(), pointers.end(),
                           [&](const json::json_pointer& pointer) {
                             return helm_values->contains(pointer) && (*helm_values)[pointer] == true;
                           })
                   ? 1
                   : 0;
    }
    return count;
  }

  bool observability_needs_policy_bundle() const {
    const json& resources = policy().observability.resources;
    return resources.is_array() && !resources.empty() && policy_bundle() != nullptr;
  }

  json observability_json() const {
    json out = {{"enabled", m_stack.observability}};
    if (m_stack.observability) {
      out["serviceMonitors"] = service_monitors();
      if (observability_needs_policy_bundle()) {
        out["policyBundle"] = policy_bundle()->name;
      }
    }
    return out;
  }

  json feature_condition(std::string_view type,
                         bool enabled,
                         bool needs_policy_bundle,
                         const std::string& configured) const {
    if (!enabled) {
      return condition(type, "False", "Disabled", "disabled in spec");
    }
    const BundleView* policy = policy_bundle();
    if (needs_policy_bundle && policy != nullptr && !policy->is_ready()) {
      return condition(type, "False", "PolicyBundleNotReady",
                       "policy Bundle " + policy->name + " is not ready yet; " + configured);
    }
    return condition(type, "True", "Configured", configured);
  }

  json conditions_json(const std::string& phase, const std::string& message) const {
    json out = json::array();
    out.push_back(condition("Validated", "True", "Valid", "the Stack is valid"));
    if (m_deleting) {
      out.push_back(condition("BundlesApplied", "False", "Deleting", "the Stack is being deleted"));
    } else if (!m_in.collisions.empty()) {
      std::string text;
      for (const auto& collision : m_in.collisions) {
        text += (text.empty() ? "" : "; ") + std::string("chart ") + collision.chart + ": Bundle " +
                collision.namespace_name + "/" + collision.bundle + " is held by " + collision.owner;
      }
      out.push_back(condition("BundlesApplied", "False", "NameCollision", text));
    } else if (!m_in.apply_errors.empty()) {
      std::string text;
      for (const auto& error : m_in.apply_errors) {
        text += (text.empty() ? "" : "; ") + std::string("chart ") + error.chart + ": Bundle " +
                error.bundle + ": " + error.message;
      }
      out.push_back(condition("BundlesApplied", "False", "ApplyFailed", text));
    } else {
      out.push_back(condition("BundlesApplied", "True", "Applied",
                              std::to_string(m_bundles.size()) + " Bundles applied"));
    }
    if (phase == "Deployed") {
      out.push_back(condition("Ready", "True", "Deployed", message));
    } else {
      out.push_back(condition("Ready", "False", phase, message));
    }
    const std::size_t rules = m_stack.security ? security_rules() : 0;
    out.push_back(feature_condition("SecurityConfigured", m_stack.security, rules > 0,
                                    std::to_string(rules) + " NvSecurityRules rendered" +
                                        (rules > 0 ? " in Bundle " + policy_bundle()->name : std::string())));
    out.push_back(feature_condition("ObservabilityConfigured", m_stack.observability,
                                    observability_needs_policy_bundle(),
                                    m_stack.observability ? "ServiceMonitors turned on for " +
                                                                std::to_string(service_monitors()) + " charts"
                                                          : std::string()));
    return out;
  }

  const StatusInput& m_in;
  core::Stack m_stack;
  long long m_generation = 0;
  json m_previous;
  bool m_deleting = false;
  std::vector<BundleView> m_bundles;
  std::unordered_map<std::string, std::size_t> m_bundle_index;   // "namespace/name" -> m_bundles index
  std::unordered_map<std::string, std::size_t> m_bundle_by_name; // name -> m_bundles index
  std::unordered_map<std::string, std::string> m_cluster_ids;    // Fleet "namespace/name" -> Rancher id
  std::string m_key;                                             // lookup buffer
  std::vector<DeploymentView> m_deployments;
  std::set<std::string> m_clusters;
};

} // namespace

json compute_stack_status(const StatusInput& input) {
  static const json k_empty = json::object();
  if (input.stack == nullptr) {
    StatusInput copy = input;
    copy.stack = &k_empty;
    return StatusBuilder(copy).build();
  }
  return StatusBuilder(input).build();
}

bool status_changed(const json& old_status, const json& next_status) {
  return old_status != next_status;
}

std::optional<StackEvent> phase_change_event(const json& old_status, const json& next_status) {
  const std::string old_phase =
      old_status.is_object() ? old_status.value("phase", std::string()) : std::string();
  const std::string next_phase =
      next_status.is_object() ? next_status.value("phase", std::string()) : std::string();
  if (next_phase.empty() || old_phase == next_phase) {
    return std::nullopt;
  }
  const bool warning = next_phase == "Failed" || next_phase == "Degraded" || next_phase == "NoTargets";
  std::string message = (old_phase.empty() ? std::string("(none)") : old_phase) + " -> " + next_phase;
  const std::string detail = next_status.value("message", std::string());
  if (!detail.empty()) {
    message += ": " + detail;
  }
  return StackEvent{warning ? "Warning" : "Normal", next_phase,
                    truncated(std::move(message), k_max_phase_message)};
}

StackEvent apply_error_event(const ApplyError& error) {
  return {
      "Warning", "ApplyFailed",
      truncated("chart " + error.chart + ": applying Bundle " + error.bundle + " failed: " + error.message,
                k_max_phase_message)};
}

} // namespace herd::controller
