#include <herd/controller/bundle_sync.hpp>
#include <herd/controller/stack_reconciler.hpp>
#include <herd/core/bundle_renderer.hpp>
#include <herd/core/diagnostic_sink.hpp>
#include <herd/core/linter.hpp>
#include <herd/core/stack.hpp>
#include <herd/core/yaml_loader.hpp>
#include <herd/kube/object_meta.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <set>
#include <utility>

namespace herd::controller {

namespace {

using kube::label;
using kube::metadata_string;
using nlohmann::json;

std::vector<std::string> finalizers_of(const json& object) {
  std::vector<std::string> finalizers;
  const auto metadata = object.find("metadata");
  if (metadata != object.end() && metadata->is_object()) {
    if (const auto found = metadata->find("finalizers"); found != metadata->end() && found->is_array()) {
      for (const auto& item : *found) {
        if (item.is_string()) {
          finalizers.push_back(item.get<std::string>());
        }
      }
    }
  }
  return finalizers;
}

bool has_finalizer(const json& object) {
  const auto finalizers = finalizers_of(object);
  return std::ranges::find(finalizers, k_bundles_finalizer) != finalizers.end();
}

// The Stack without its status: what lint and the webhook judge (copied without the status, which may be
// large).
json without_status(const json& stack) {
  json document = json::object();
  for (const auto& [field, value] : stack.items()) {
    if (field != "status") {
      document[field] = value;
    }
  }
  return document;
}

std::vector<json> values_of(const std::vector<ObjectPtr>& objects) {
  std::vector<json> values;
  values.reserve(objects.size());
  for (const auto& object : objects) {
    values.push_back(*object);
  }
  return values;
}

} // namespace

std::string bundle_index_key(const json& bundle) {
  if (label(bundle, k_managed_by_label) != k_managed_by_herd) {
    return {};
  }
  const std::string name = label(bundle, k_stack_label);
  return name.empty() ? std::string() : label(bundle, k_stack_namespace_label) + "/" + name;
}

std::string stack_index_key(const std::string& name_space, const std::string& name) {
  return stack_label_value(name_space) + "/" + stack_label_value(name);
}

std::string deployment_index_key(const json& deployment) {
  return label(deployment, k_bd_bundle_namespace_label) + "/" + label(deployment, k_bd_bundle_name_label);
}

std::string namespace_index_key(const json& object) {
  return metadata_string(object, "namespace");
}

ReconcilerMetrics::ReconcilerMetrics(runtime::MetricsRegistry& registry)
    : reconciles(registry.counter("herd_reconcile_total", "Stack reconciles by result.", {"result"})),
      bundle_writes(
          registry.counter("herd_bundle_writes_total", "Bundle writes by verb (apply, delete).", {"verb"})),
      duration(registry.histogram("herd_reconcile_duration_seconds",
                                  "Time to reconcile one Stack.",
                                  {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30})) {}

std::string format_time(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 32> text{};
  const std::size_t written = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return {text.data(), written};
}

StackReconciler::StackReconciler(kube::ApiClient& client,
                                 ReconcilerCaches caches,
                                 PolicySource policy,
                                 runtime::Logger& logger,
                                 ReconcilerMetrics& metrics,
                                 std::string identity,
                                 Clock clock)
    : m_client(client), m_caches(caches), m_policy(std::move(policy)), m_logger(logger), m_metrics(metrics),
      m_identity(std::move(identity)), m_clock(std::move(clock)) {}

StackReconciler::~StackReconciler() = default;

core::Linter* StackReconciler::linter(const std::shared_ptr<const core::Policy>& policy) {
  if (!m_linter || m_linter_policy != policy) {
    auto created = core::Linter::create(*policy);
    if (!created) {
      return nullptr;
    }
    m_linter = std::move(created.value());
    m_linter_policy = policy;
  }
  return m_linter.get();
}

void StackReconciler::emit_event(const json& stack, const StackEvent& event) {
  const auto now = m_clock();
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  std::array<char, 24> suffix{}; // 16 hex digits at most, then the terminator left by {}
  std::to_chars(suffix.data(), suffix.data() + suffix.size() - 1, static_cast<unsigned long long>(nanos), 16);
  const std::string stamp = format_time(now);
  std::string message = event.message;
  if (message.size() > 1024) { // the API refuses longer Event messages
    message.resize(1021);
    message += "...";
  }
  const std::string name_space = metadata_string(stack, "namespace");
  json object = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata",
       {{"name", metadata_string(stack, "name") + "." + suffix.data()}, {"namespace", name_space}}},
      {"involvedObject",
       {{"apiVersion", "herd.suse.com/v1"},
        {"kind", "Stack"},
        {"name", metadata_string(stack, "name")},
        {"namespace", name_space},
        {"uid", metadata_string(stack, "uid")},
        {"resourceVersion", metadata_string(stack, "resourceVersion")}}},
      {"reason", event.reason},
      {"message", message},
      {"type", event.type},
      {"source", {{"component", "herd-controller"}}},
      {"reportingComponent", "herd-controller"},
      {"reportingInstance", m_identity},
      {"firstTimestamp", stamp},
      {"lastTimestamp", stamp},
      {"count", 1},
  };
  if (auto created = m_client.create(kube::resources::events, name_space, object); !created) {
    m_logger.warn("could not record an event", {{"stack", name_space + "/" + metadata_string(stack, "name")},
                                                {"reason", event.reason},
                                                {"error", created.error().to_string()}});
  }
}

bool StackReconciler::write_status(const json& stack, const json& next) {
  static const json no_status = json::object();
  const auto stored = stack.find("status");
  const json& old = stored != stack.end() && stored->is_object() ? *stored : no_status;
  if (!status_changed(old, next)) {
    return true;
  }
  json body = stack;
  body["status"] = next;
  // A PUT carrying the resourceVersion read: a concurrent change of the Stack makes it fail with 409 and the
  // Stack is reconciled again from the newer object.
  auto written =
      m_client.replace(kube::resources::stacks, metadata_string(stack, "namespace"), body, "status");
  if (!written) {
    if (!written.error().not_found() && !written.error().conflict()) {
      m_logger.warn("could not write the Stack status",
                    {{"stack", object_key(stack)}, {"error", written.error().to_string()}});
    }
    return written.error().not_found();
  }
  if (auto event = phase_change_event(old, next)) {
    emit_event(stack, *event);
  }
  return true;
}

ReconcileResult StackReconciler::finalize(const json& stack) {
  if (!has_finalizer(stack)) {
    return ReconcileResult::done;
  }
  const StackRef ref = stack_ref(stack);
  const std::vector<json> bundles =
      values_of(m_caches.bundles.indexed(stack_index_key(ref.namespace_name, ref.name)));
  const auto doomed = bundles_to_finalize(ref, bundles);
  StatusInput input;
  input.stack = &stack;
  input.bundles = bundles;
  const auto previous = stack.find("status");
  input.previous = previous != stack.end() ? &*previous : nullptr;
  input.now = format_time(m_clock());
  (void)write_status(stack, compute_stack_status(input));
  if (!doomed.empty()) {
    for (const auto& bundle : doomed) {
      auto removed = m_client.remove(kube::resources::bundles, bundle.namespace_name, bundle.name);
      if (removed || removed.error().not_found()) {
        m_metrics.bundle_writes.increment({"delete"});
      } else {
        m_logger.warn("could not delete a Bundle of a deleted Stack",
                      {{"stack", object_key(stack)},
                       {"bundle", bundle.namespace_name + "/" + bundle.name},
                       {"error", removed.error().to_string()}});
      }
    }
    // The finalizer goes only once the cache shows every Bundle gone (Fleet's own finalizers may hold them).
    return ReconcileResult::requeue;
  }
  std::vector<std::string> remaining = finalizers_of(stack);
  std::erase(remaining, std::string(k_bundles_finalizer));
  const json patch = {
      {"metadata",
       {{"finalizers", remaining}, {"resourceVersion", metadata_string(stack, "resourceVersion")}}}};
  auto patched = m_client.merge_patch(kube::resources::stacks, ref.namespace_name, ref.name, patch);
  if (!patched && !patched.error().not_found()) {
    return ReconcileResult::requeue;
  }
  m_logger.info("deleted the Bundles of a deleted Stack and released it", {{"stack", object_key(stack)}});
  return ReconcileResult::done;
}

ReconcileResult StackReconciler::reconcile(const std::string& key) {
  const auto started = std::chrono::steady_clock::now();
  const auto slash = key.find('/');
  const std::string name_space = slash == std::string::npos ? std::string() : key.substr(0, slash);
  const std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
  // The cached object is shared and immutable: it is read in place, never copied whole.
  ObjectPtr current = m_caches.stacks.get(name_space, name);
  if (!current) {
    return ReconcileResult::done; // deleted: its finalizer already removed its Bundles
  }
  const auto finish = [&](ReconcileResult result, const char* outcome) {
    m_metrics.reconciles.increment({outcome});
    m_metrics.duration.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return result;
  };
  if (!metadata_string(*current, "deletionTimestamp").empty()) {
    const auto result = finalize(*current);
    return finish(result, result == ReconcileResult::done ? "success" : "requeue");
  }
  const StackRef ref = stack_ref(*current);

  if (!has_finalizer(*current)) {
    auto finalizers = finalizers_of(*current);
    finalizers.emplace_back(k_bundles_finalizer);
    const json patch = {
        {"metadata",
         {{"finalizers", finalizers}, {"resourceVersion", metadata_string(*current, "resourceVersion")}}}};
    auto patched = m_client.merge_patch(kube::resources::stacks, ref.namespace_name, ref.name, patch);
    if (!patched) {
      return finish(patched.error().not_found() ? ReconcileResult::done : ReconcileResult::requeue,
                    patched.error().not_found() ? "success" : "requeue");
    }
    current = std::make_shared<const json>(std::move(patched.value()));
  }
  const json& stack = *current;

  const auto previous_status = stack.find("status");
  StatusInput input;
  input.stack = &stack;
  input.previous = previous_status != stack.end() ? &*previous_status : nullptr;
  input.now = format_time(m_clock());

  // Re-validate exactly as lint and the webhook do: a Stack stored while the webhook was down, or valid
  // under an older policy, is never rendered when it is invalid now.
  const auto policy = m_policy();
  core::Linter* judge = linter(policy);
  if (judge == nullptr) {
    m_logger.error("the embedded Stack schema does not load (a build defect)");
    return finish(ReconcileResult::requeue, "error");
  }
  core::Diagnostics findings;
  core::DiagnosticSink sink(findings, "", nullptr);
  json effective;
  judge->check_stack(without_status(stack), sink, nullptr, &effective);
  for (const auto& finding : findings) {
    if (finding.severity == core::Severity::error) {
      input.validation_errors.push_back(finding.path + ": " + finding.message + " [" + finding.rule + "]");
    }
  }

  // ConfigMap values come from the cache; a missing ConfigMap or key is an error, never silently dropped
  // values (the Stack is rendered again when the ConfigMap appears).
  const core::Stack model = core::stack_from_json(effective);
  core::RenderedStack rendered;
  if (input.validation_errors.empty()) {
    std::vector<std::string> missing;
    const core::ConfigMapValues config_maps = [&](const std::string& map_name,
                                                  const std::string& map_key) -> std::optional<json> {
      const auto config_map = m_caches.config_maps.get(ref.namespace_name, map_name);
      core::Result<json> values =
          core::config_map_values(config_map.get(), ref.namespace_name, map_name, map_key);
      if (!values) {
        missing.push_back(values.error().message);
        return std::nullopt;
      }
      return std::move(values.value());
    };
    rendered = core::render_bundles(model, *policy, config_maps);
    for (auto& problem : missing) {
      input.validation_errors.push_back(std::move(problem));
    }
  }
  if (!input.validation_errors.empty()) {
    const bool written = write_status(stack, compute_stack_status(input));
    return finish(written ? ReconcileResult::done : ReconcileResult::requeue,
                  written ? "success" : "requeue");
  }
  input.rendered = &rendered;
  input.policy = policy.get();

  // The Bundles that exist: this Stack's (by label) and whatever holds a rendered name. A rendered name
  // missing from the cache of Herd-labelled Bundles may still be taken by a foreign Bundle: ask the API.
  std::set<std::string> rendered_keys;
  std::set<std::string> workspaces;
  for (const auto& bundle : rendered.bundles) {
    rendered_keys.insert(object_key(bundle.object()));
    workspaces.insert(metadata_string(bundle.object(), "namespace"));
  }
  std::vector<json> existing =
      values_of(m_caches.bundles.indexed(stack_index_key(ref.namespace_name, ref.name)));
  std::set<std::string> seen;
  for (const auto& bundle : existing) {
    seen.insert(object_key(bundle));
  }
  for (const auto& bundle : rendered.bundles) {
    if (seen.contains(object_key(bundle.object()))) {
      continue;
    }
    const std::string bundle_namespace = metadata_string(bundle.object(), "namespace");
    const std::string bundle_name = metadata_string(bundle.object(), "name");
    if (auto other = m_caches.bundles.get(bundle_namespace, bundle_name)) { // Herd's, of another Stack
      existing.push_back(*other);
      continue;
    }
    auto found = m_client.get(kube::resources::bundles, metadata_string(bundle.object(), "namespace"),
                              metadata_string(bundle.object(), "name"));
    if (found) {
      existing.push_back(std::move(found.value()));
    } else if (!found.error().not_found()) {
      m_logger.warn(
          "cannot tell whether a Bundle name is free",
          {{"stack", key}, {"bundle", object_key(bundle.object())}, {"error", found.error().to_string()}});
      return finish(ReconcileResult::requeue, "requeue");
    }
  }

  const SyncPlan plan = plan_bundle_sync(ref, rendered, existing);
  bool retry = false;
  std::map<std::string, json> written;
  for (const auto& bundle : plan.apply) {
    const std::string bundle_name = metadata_string(bundle.object(), "name");
    auto applied = m_client.apply(kube::resources::bundles, metadata_string(bundle.object(), "namespace"),
                                  bundle_name, bundle.object());
    if (applied) {
      m_metrics.bundle_writes.increment({"apply"});
      written[object_key(*applied)] = std::move(applied.value());
    } else {
      ApplyError error{bundle.chart().empty() ? std::string(k_policy_chart) : bundle.chart(), bundle_name,
                       applied.error().to_string()};
      emit_event(stack, apply_error_event(error));
      input.apply_errors.push_back(std::move(error));
      retry = true;
    }
  }
  for (const auto& bundle : plan.remove) {
    auto removed = m_client.remove(kube::resources::bundles, bundle.namespace_name, bundle.name);
    if (removed || removed.error().not_found()) {
      m_metrics.bundle_writes.increment({"delete"});
    } else {
      m_logger.warn("could not delete the Bundle of a removed chart",
                    {{"stack", key},
                     {"bundle", bundle.namespace_name + "/" + bundle.name},
                     {"error", removed.error().to_string()}});
      retry = true;
    }
  }
  input.collisions = plan.collisions;

  // Status from what exists now: the cached Bundles, with the ones just written as the API answered.
  std::vector<json> bundles;
  for (auto& bundle : existing) {
    if (!written.contains(object_key(bundle))) {
      bundles.push_back(std::move(bundle));
    }
  }
  for (auto& [bundle_name, bundle] : written) {
    bundles.push_back(std::move(bundle));
  }
  std::vector<json> deployments;
  for (const auto& rendered_key : rendered_keys) {
    for (const auto& deployment : m_caches.bundle_deployments.indexed(rendered_key)) {
      deployments.push_back(*deployment);
    }
  }
  std::vector<json> clusters;
  for (const auto& workspace : workspaces) {
    for (const auto& cluster : m_caches.clusters.indexed(workspace)) {
      clusters.push_back(*cluster);
    }
  }
  input.bundles = bundles;
  input.bundle_deployments = deployments;
  input.clusters = clusters;
  if (!write_status(stack, compute_stack_status(input))) {
    retry = true;
  }
  return retry ? finish(ReconcileResult::requeue, "requeue") : finish(ReconcileResult::done, "success");
}

} // namespace herd::controller
