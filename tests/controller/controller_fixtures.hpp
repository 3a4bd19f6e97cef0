#pragma once

// Stacks as the reconciler sees them (checked and defaulted by the one Linter, rendered by render_bundles)
// and Fleet objects in the shapes of Fleet's CRDs (../shared/reference/fleet/): Bundles with
// status.summary/display, BundleDeployments with Fleet's labels, display state and conditions, Clusters
// with Rancher's cluster-id label.

#include <herd/controller/stack_status.hpp>
#include <herd/core/bundle_renderer.hpp>
#include <herd/core/diagnostic_sink.hpp>
#include <herd/core/linter.hpp>
#include <herd/core/policy.hpp>
#include <herd/core/stack.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace herd::test {

using nlohmann::json;

// A Stack `name` in namespace team-a on two clusters: gpu-operator <- qdrant <- ollama.
inline json rag_stack(const std::string& name = "rag") {
  return json::parse(R"({
    "apiVersion": "herd.suse.com/v1", "kind": "Stack",
    "metadata": {"name": "", "namespace": "team-a", "generation": 3},
    "spec": {
      "targets": {"clusterIds": ["c-m-gpu01", "c-m-gpu02"]},
      "charts": [
        {"name": "gpu-operator", "repo": "https://helm.ngc.nvidia.com/nvidia", "version": "23.9.1"},
        {"name": "qdrant", "repo": "https://qdrant.github.io/qdrant-helm", "version": "0.9.1",
         "dependsOn": ["gpu-operator"]},
        {"name": "ollama", "repo": "https://otwld.github.io/ollama-helm", "version": "0.24.0",
         "dependsOn": ["qdrant"], "values": {"inline": {"ollama": {"gpu": {"enabled": true}}}}}
      ]
    }
  })")
      .patch(json::array({{{"op", "replace"}, {"path", "/metadata/name"}, {"value", name}}}));
}

// `stack` after defaults and policy injection (what the webhook stored); a test failure when it has errors.
inline json effective(const json& stack, const core::Policy& policy = core::default_policy()) {
  auto linter = core::Linter::create(policy);
  if (!linter) {
    ADD_FAILURE() << linter.error().message;
    return stack;
  }
  core::Diagnostics findings;
  core::DiagnosticSink sink(findings, "stack.json", nullptr);
  json out;
  (*linter)->check_stack(stack, sink, nullptr, &out);
  for (const auto& finding : findings) {
    if (finding.severity == core::Severity::error) {
      ADD_FAILURE() << "the test Stack has errors: " << finding.message;
    }
  }
  return out;
}

inline core::RenderedStack render(const json& effective_stack) {
  return core::render_bundles(core::stack_from_json(effective_stack), core::default_policy());
}

// The rendered Bundle of `chart` ("" = the policy Bundle).
inline const json& rendered_bundle(const core::RenderedStack& rendered, const std::string& chart) {
  for (const auto& bundle : rendered.bundles) {
    if (bundle.chart() == chart) {
      return bundle.object();
    }
  }
  ADD_FAILURE() << "no rendered Bundle for chart " << chart;
  static const json k_none = json::object();
  return k_none;
}

inline std::string name_of(const json& object) {
  return object["metadata"]["name"].get<std::string>();
}

// The Bundle as the API returns it once Fleet has processed it: generation, status.summary and display.
inline json fleet_bundle(const json& rendered, int desired, int ready, const std::string& state = "") {
  json bundle = rendered;
  bundle["metadata"]["generation"] = 1;
  bundle["metadata"]["uid"] = "uid-" + name_of(rendered);
  bundle["status"] = {
      {"observedGeneration", 1},
      {"summary",
       {{"desiredReady", desired}, {"ready", ready}, {"errApplied", 0}, {"waitApplied", 0}, {"modified", 0}}},
      {"display",
       {{"readyClusters", std::to_string(ready) + "/" + std::to_string(desired)}, {"state", state}}},
      {"conditions",
       json::array({{{"type", "Ready"}, {"status", ready == desired ? "True" : "False"}, {"message", ""}}})}};
  return bundle;
}

// A BundleDeployment of `bundle` on Fleet cluster `cluster` (namespace fleet-default) in `state`, with
// Fleet's message in the Deployed condition.
inline json bundle_deployment(const json& bundle,
                              const std::string& cluster,
                              const std::string& state,
                              const std::string& message = "") {
  const bool ready = state == "Ready";
  json labels = bundle["metadata"]["labels"];
  labels["fleet.cattle.io/bundle-name"] = name_of(bundle);
  labels["fleet.cattle.io/bundle-namespace"] = bundle["metadata"]["namespace"];
  labels["fleet.cattle.io/cluster"] = cluster;
  labels["fleet.cattle.io/cluster-namespace"] = "fleet-default";
  labels["fleet.cattle.io/managed"] = "true";
  json conditions = json::array(
      {{{"type", "Ready"}, {"status", ready ? "True" : "False"}, {"message", ""}},
       {{"type", "Deployed"}, {"status", state == "ErrApplied" ? "False" : "True"}, {"message", message}}});
  return {{"apiVersion", "fleet.cattle.io/v1alpha1"},
          {"kind", "BundleDeployment"},
          {"metadata",
           {{"name", name_of(bundle)},
            {"namespace", "cluster-fleet-default-" + cluster + "-1a2b3c4d5e6f"},
            {"labels", labels}}},
          {"spec", {{"deploymentID", "s-abc:1"}, {"stagedDeploymentID", "s-abc:1"}}},
          {"status",
           {{"appliedDeploymentID", state == "ErrApplied" || state == "WaitApplied" ? "s-old:1" : "s-abc:1"},
            {"ready", ready},
            {"nonModified", state != "Modified"},
            {"display", {{"deployed", ready ? "Yes" : "No"}, {"monitored", "Yes"}, {"state", state}}},
            {"conditions", conditions}}}};
}

// A Fleet Cluster `name` in fleet-default, which Rancher labels with its cluster id.
inline json fleet_cluster(const std::string& name, const std::string& rancher_id) {
  return {{"apiVersion", "fleet.cattle.io/v1alpha1"},
          {"kind", "Cluster"},
          {"metadata",
           {{"name", name},
            {"namespace", "fleet-default"},
            {"labels", {{"management.cattle.io/cluster-name", rancher_id}}}}}};
}

} // namespace herd::test
