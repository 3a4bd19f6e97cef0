// Rules about what a Stack becomes in Fleet: GPU requests without GPU targets, Bundle name collisions.
#include "lint_helpers.hpp"

#include <herd/core/rule_catalog.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using herd::core::Diagnostics;
using herd::core::Severity;
namespace rules = herd::core::rules;
using herd::test::describe;
using herd::test::lint_text;
using herd::test::with_rule;

namespace {

std::string gpu_stack(const std::string& targets) {
  return "apiVersion: herd.suse.com/v1\n"
         "kind: Stack\n"
         "metadata:\n"
         "  name: llm\n"
         "spec:\n"
         "  targets:\n" +
         targets +
         "  charts:\n"
         "    - name: ollama\n"
         "      repo: https://otwld.github.io/ollama-helm/\n"
         "      version: \"0.59.0\"\n"
         "      values:\n"
         "        inline:\n"
         "          resources:\n"
         "            limits:\n"
         "              nvidia.com/gpu: 1\n";
}

} // namespace

TEST(FleetMappingRules, GpuRequestWithoutGpuTargetsIsAWarningAtTheRequest) {
  const Diagnostics findings = lint_text(gpu_stack("    selector:\n      matchLabels: {env: dev}\n"));

  const Diagnostics gpu = with_rule(findings, rules::gpu_without_gpu_targets);
  ASSERT_EQ(gpu.size(), 1U) << describe(findings);
  EXPECT_EQ(gpu[0].severity, Severity::warning);
  EXPECT_EQ(gpu[0].line, 17);
  EXPECT_EQ(gpu[0].column, 31);
  EXPECT_EQ(gpu[0].path, "spec.charts[0].values.inline.resources.limits[\"nvidia.com/gpu\"]");
  EXPECT_THAT(gpu[0].message,
              ::testing::HasSubstr("chart \"ollama\" requests nvidia.com/gpu, but no target"));
}

TEST(FleetMappingRules, GpuRequestIsFineWhenTargetsNameGpuClusters) {
  for (const std::string targets :
       {"    selector:\n      matchLabels: {gpu: \"true\"}\n", "    clusterIds: [c-m-gpu01]\n",
        "    clusterGroup: gpu-fleet\n",
        "    selector:\n      matchExpressions:\n        - {key: nvidia.com/gpu.present, "
        "operator: Exists}\n"}) {
    const Diagnostics findings = lint_text(gpu_stack(targets));
    EXPECT_TRUE(with_rule(findings, rules::gpu_without_gpu_targets).empty()) << targets << describe(findings);
  }
}

TEST(FleetMappingRules, ChartNamedLikeThePolicyBundleCollides) {
  const Diagnostics findings = lint_text("apiVersion: herd.suse.com/v1\n"
                                         "kind: Stack\n"
                                         "metadata:\n"
                                         "  name: s\n"
                                         "spec:\n"
                                         "  targets:\n"
                                         "    clusterIds: [local]\n"
                                         "  charts:\n"
                                         "    - name: herd-policy\n"
                                         "      repo: https://charts.example.com\n"
                                         "      version: \"1.0.0\"\n");

  const Diagnostics collisions = with_rule(findings, rules::bundle_name_collision);
  ASSERT_EQ(collisions.size(), 1U) << describe(findings);
  EXPECT_EQ(collisions[0].line, 9);
  EXPECT_EQ(collisions[0].column, 13);
  EXPECT_EQ(collisions[0].message,
            "chart \"herd-policy\" would get the Fleet Bundle name \"default-s-herd-policy\", "
            "already used by the policy Bundle");
}
