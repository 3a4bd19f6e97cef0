#include "lint_helpers.hpp"

#include <herd/core/policy.hpp>
#include <herd/core/rule_catalog.hpp>
#include <herd/core/sha256.hpp>
#include <herd/schema/embedded.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace herd::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view k_small_policy = "apiVersion: herd.suse.com/v1\n"
                                            "kind: StackPolicy\n"
                                            "metadata:\n"
                                            "  name: small\n"
                                            "environments:\n"
                                            "  dev:\n"
                                            "    allowedRepoSchemes: [oci]\n"
                                            "    require: {security: true}\n"
                                            "    maxCharts: 2\n"
                                            "tenancy:\n"
                                            "  - namespaces: [team-a, team-b]\n"
                                            "    workspaces: [fleet-teams]\n"
                                            "  - namespaces: ['*']\n";

TEST(Policy, DefaultPolicyIsTheBuiltInFile) {
  const Policy& policy = default_policy();

  EXPECT_EQ(policy.name, "herd-default");
  EXPECT_EQ(policy.sha256, sha256_hex(embedded::default_policy_yaml()));
  ASSERT_EQ(policy.environments.count("prod"), 1U);
  const EnvironmentPolicy& prod = policy.environments.at("prod");
  EXPECT_TRUE(prod.require_security);
  EXPECT_TRUE(prod.require_observability);
  EXPECT_THAT(prod.allowed_repo_schemes, ElementsAre("https", "oci"));
  EXPECT_EQ(prod.max_charts, 100U);
  EXPECT_THAT(policy.environment("dev").allowed_repo_schemes, ElementsAre("https", "oci", "http"));
  EXPECT_FALSE(policy.environment("dev").require_security);
  EXPECT_EQ(policy.security.policy_mode, "Monitor");
  EXPECT_TRUE(policy.observability.values.contains("qdrant"));
  EXPECT_EQ(policy.security.resources.size(), 1U);
}

TEST(Policy, DefaultTenancyIsPermissive) {
  const Policy& policy = default_policy();

  const TenancyRule* rule = policy.tenancy_for("any-namespace");

  ASSERT_NE(rule, nullptr);
  EXPECT_THAT(rule->workspaces, ElementsAre("fleet-default", "fleet-local"));
}

TEST(Policy, UnnamedEnvironmentGetsTheStrictDefaults) {
  const Policy& policy = default_policy();

  const EnvironmentPolicy& qa = policy.environment("qa");

  EXPECT_THAT(qa.allowed_repo_schemes, ElementsAre("https", "oci"));
  EXPECT_EQ(qa.max_charts, 100U);
}

TEST(Policy, ParsesEnvironmentsAndTenancy) {
  const auto parsed = parse_policy(k_small_policy, "policy.yaml");

  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const Policy& policy = *parsed;
  EXPECT_EQ(policy.name, "small");
  EXPECT_EQ(policy.sha256, sha256_hex(k_small_policy));
  const EnvironmentPolicy& dev = policy.environment("dev");
  EXPECT_THAT(dev.allowed_repo_schemes, ElementsAre("oci"));
  EXPECT_TRUE(dev.require_security);
  EXPECT_FALSE(dev.require_observability);
  EXPECT_EQ(dev.max_charts, 2U);
  const TenancyRule* team = policy.tenancy_for("team-b");
  ASSERT_NE(team, nullptr);
  EXPECT_THAT(team->workspaces, ElementsAre("fleet-teams"));
  const TenancyRule* other = policy.tenancy_for("elsewhere");
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE(other->workspaces.empty());
}

TEST(Policy, NamespaceMatchingNoTenancyRuleGetsNone) {
  const auto parsed = parse_policy("apiVersion: herd.suse.com/v1\nkind: StackPolicy\nmetadata: {name: p}\n"
                                   "environments: {}\ntenancy:\n  - namespaces: [team-a]\n",
                                   "policy.yaml");

  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->tenancy_for("team-b"), nullptr);
  EXPECT_NE(parsed->tenancy_for("team-a"), nullptr);
}

TEST(Policy, BrokenYamlIsReportedWithItsPosition) {
  const auto parsed = parse_policy("apiVersion: herd.suse.com/v1\n"
                                   "kind: StackPolicy\n"
                                   "metadata:\n"
                                   "  name: broken\n"
                                   "environments:\n"
                                   "  dev: {maxCharts: 2: 3}\n",
                                   "policy.yaml");

  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().file, "policy.yaml");
  EXPECT_THAT(parsed.error().message, HasSubstr("invalid policy:"));
  // The second colon of `maxCharts: 2: 3` (column 21) has no place in a flow mapping.
  EXPECT_THAT(parsed.error().message,
              HasSubstr("policy.yaml:6:21: error: YAML syntax error: end of map flow not found"));
  EXPECT_THAT(parsed.error().message, HasSubstr("[HERD001]"));
}

TEST(Policy, SchemaViolationsAreReportedWithPositions) {
  const auto parsed = parse_policy("apiVersion: herd.suse.com/v1\n"
                                   "kind: StackPolicy\n"
                                   "metadata:\n"
                                   "  name: wrong\n"
                                   "environments:\n"
                                   "  qa: {}\n" // 6
                                   "  dev:\n"
                                   "    maxCharts: 0\n"               // 8
                                   "    allowedRepoSchemes: [ftp]\n", // 9
                                   "policy.yaml");

  ASSERT_FALSE(parsed.ok());
  const std::string& message = parsed.error().message;
  EXPECT_THAT(message, HasSubstr(R"(policy.yaml:6:3: error: unknown field "qa" in environments)"));
  EXPECT_THAT(message, HasSubstr("policy.yaml:8:16: error: environments.dev.maxCharts"));
  EXPECT_THAT(message,
              HasSubstr(R"(policy.yaml:9:26: error: environments.dev.allowedRepoSchemes[0] must be one of )"
                        R"(https, oci, http, not "ftp")"));
}

TEST(Policy, MissingMetadataIsReported) {
  const auto parsed =
      parse_policy("apiVersion: herd.suse.com/v1\nkind: StackPolicy\nenvironments: {}\n", "policy.yaml");

  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(
      parsed.error().message,
      HasSubstr(R"(policy.yaml:1:1: error: the document is missing required field "metadata" [HERD012])"));
}

TEST(Policy, MaxChartsLimitsTheStack) {
  const auto parsed = parse_policy(k_small_policy, "policy.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const auto linter = test::make_linter(*parsed);
  ASSERT_NE(linter, nullptr);

  const std::string three_charts =
      test::stack_yaml("    - {name: b, repo: oci://r.example/b, version: 1.0.0}\n"
                       "    - {name: c, repo: oci://r.example/c, version: 1.0.0}\n");

  const Diagnostics findings = test::lint_text(three_charts, "stack.yaml", linter.get());

  const Diagnostics too_many = test::with_rule(findings, rules::too_many_charts);
  ASSERT_EQ(too_many.size(), 1U) << test::describe(findings);
  EXPECT_EQ(too_many[0].line, 10);
  EXPECT_EQ(too_many[0].column, 5);
  EXPECT_EQ(too_many[0].path, "spec.charts");
  EXPECT_EQ(too_many[0].message, R"(the Stack has 3 charts; policy "small" allows at most 2 for env dev)");
}

} // namespace
} // namespace herd::core
