#include "lint_helpers.hpp"

#include <herd/core/rule_catalog.hpp>
#include <herd/core/schema_validator.hpp>
#include <herd/core/yaml_loader.hpp>
#include <herd/schema/embedded.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace herd::core {
namespace {

using test::replaced;
using test::stack_yaml;
using ::testing::HasSubstr;

SchemaValidator& stack_validator() {
  static const std::shared_ptr<SchemaValidator> validator = [] {
    auto created = SchemaValidator::create(embedded::stack_schema_json());
    if (!created) {
      ADD_FAILURE() << created.error().message;
      return std::shared_ptr<SchemaValidator>();
    }
    return std::move(created).value();
  }();
  return *validator;
}

struct Validation {
  bool valid = false;
  Diagnostics findings;
};

// Parses `yaml` and checks it against the Stack schema as written (no defaults, no policy).
Validation validate(const std::string& yaml) {
  YamlDocument document = parse_yaml_document(yaml, "stack.yaml");
  Validation result;
  if (!document.parsed) {
    ADD_FAILURE() << "test input does not parse: " << document.diagnostics.at(0).message;
    return result;
  }
  DiagnosticSink sink(result.findings, "stack.yaml", &document.source_map);
  result.valid = stack_validator().validate(document.value, sink);
  return result;
}

void expect_single(const Validation& result,
                   std::string_view rule,
                   int line,
                   int column,
                   const std::string& message,
                   const std::string& path) {
  EXPECT_FALSE(result.valid);
  ASSERT_EQ(result.findings.size(), 1U) << [&] {
    std::string all;
    for (const auto& d : result.findings) {
      all += format_diagnostic(d) + "\n";
    }
    return all;
  }();
  const Diagnostic& d = result.findings[0];
  EXPECT_EQ(d.rule, rule);
  EXPECT_EQ(d.severity, Severity::error);
  EXPECT_EQ(d.line, line);
  EXPECT_EQ(d.column, column);
  EXPECT_EQ(d.message, message);
  EXPECT_EQ(d.path, path);
  EXPECT_EQ(d.file, "stack.yaml");
}

TEST(SchemaValidator, ValidStackHasNoFindings) {
  const Validation result = validate(stack_yaml());

  EXPECT_TRUE(result.valid);
  EXPECT_TRUE(result.findings.empty());
}

TEST(SchemaValidator, FullChartWithEveryFieldIsValid) {
  const Validation result =
      validate(stack_yaml("      chart: app-chart\n"
                          "      namespace: apps\n"
                          "      releaseName: app-release\n"
                          "      values:\n"
                          "        inline: {anything: {goes: [1, 2]}}\n"
                          "        configMapRefs: [{name: app-values}]\n"
                          "        secretRefs: [{name: app-secret, key: override.yaml}]\n"
                          "      dependsOn: []\n"
                          "      wait: true\n"
                          "      timeout: 1h30m\n"
                          "      overrides:\n"
                          "        - clusterIds: [c-m-gpu01]\n"
                          "          values: {inline: {replicas: 2}}\n",
                          "  env: staging\n"
                          "  security: enabled\n"
                          "  observability: disabled\n"
                          "  paused: true\n"
                          "  workspace: fleet-default\n"));

  EXPECT_TRUE(result.valid);
  EXPECT_TRUE(result.findings.empty()) << format_diagnostic(result.findings.at(0));
}

// --- Unknown fields: at the key, with a hint. ---

TEST(SchemaValidator, UnknownChartFieldPointsAtTheKeyWithSuggestion) {
  const Validation result = validate(stack_yaml("      dependson: [db]\n"));

  expect_single(result, rules::unknown_field, 13, 7,
                R"(unknown field "dependson" in spec.charts[0] (did you mean "dependsOn"?))",
                "spec.charts[0].dependson");
}

TEST(SchemaValidator, UnknownSpecFieldIsReported) {
  const Validation result = validate(stack_yaml("", "  replicas: 3\n"));

  expect_single(result, rules::unknown_field, 13, 3, R"(unknown field "replicas" in spec)", "spec.replicas");
}

TEST(SchemaValidator, MisspelledSpecFieldGetsASuggestion) {
  const Validation result = validate(stack_yaml("", "  pasued: true\n"));

  expect_single(result, rules::unknown_field, 13, 3,
                R"(unknown field "pasued" in spec (did you mean "paused"?))", "spec.pasued");
}

TEST(SchemaValidator, UnknownTopLevelFieldIsReported) {
  const Validation result = validate(stack_yaml() + "stauts: {}\n");

  expect_single(result, rules::unknown_field, 13, 1, R"(unknown field "stauts" (did you mean "status"?))",
                "stauts");
}

TEST(SchemaValidator, HelmValueOutsideInlineGetsTheValuesHint) {
  const Validation result = validate(stack_yaml("      values:\n        replicaCount: 3\n"));

  expect_single(
      result, rules::unknown_field, 14, 9,
      R"(unknown field "replicaCount" in spec.charts[0].values; Helm values go under values.inline)",
      "spec.charts[0].values.replicaCount");
}

TEST(SchemaValidator, InlineValuesAreFreeForm) {
  const Validation result = validate(stack_yaml("      values:\n        inline:\n          dependson: 1\n"));

  EXPECT_TRUE(result.valid);
  EXPECT_TRUE(result.findings.empty());
}

// --- Types. ---

TEST(SchemaValidator, UnquotedVersionIsAFloatToQuote) {
  const Validation result = validate(replaced(stack_yaml(), "\"1.2.3\"", "1.10"));

  expect_single(
      result, rules::schema_type, 12, 16,
      R"(spec.charts[0].version must be a string, not a number: YAML reads 1.10 as a number; quote it ("1.10"))",
      "spec.charts[0].version");
}

TEST(SchemaValidator, YesWhereAStringBelongsIsABoolean) {
  const Validation result = validate(stack_yaml("", "  env: yes\n"));

  expect_single(
      result, rules::schema_type, 13, 8,
      R"(spec.env must be a string, not a boolean: YAML reads yes as a boolean; use one of dev, staging, prod)",
      "spec.env");
}

TEST(SchemaValidator, QuotedStringWhereABooleanBelongs) {
  const Validation result = validate(stack_yaml("      wait: \"true\"\n"));

  expect_single(result, rules::schema_type, 13, 13, "spec.charts[0].wait must be a boolean, not a string",
                "spec.charts[0].wait");
}

TEST(SchemaValidator, MappingWhereAListBelongs) {
  const Validation result = validate(stack_yaml("      dependsOn: {db: true}\n"));

  expect_single(result, rules::schema_type, 13, 18, "spec.charts[0].dependsOn must be a list, not a mapping",
                "spec.charts[0].dependsOn");
}

// --- Enums, required fields, patterns. ---

TEST(SchemaValidator, EnvOutsideTheEnumListsTheAllowedValues) {
  const Validation result = validate(stack_yaml("", "  env: production\n"));

  expect_single(result, rules::schema_enum, 13, 8,
                R"(spec.env must be one of dev, staging, prod, not "production")", "spec.env");
}

TEST(SchemaValidator, MisspelledEnumValueGetsASuggestion) {
  const Validation result = validate(stack_yaml("", "  security: enabeld\n"));

  expect_single(result, rules::schema_enum, 13, 13,
                R"(spec.security must be one of enabled, disabled, not "enabeld" (did you mean "enabled"?))",
                "spec.security");
}

TEST(SchemaValidator, MissingRepoIsReportedAtTheChart) {
  const std::string yaml = "apiVersion: herd.suse.com/v1\nkind: Stack\nmetadata:\n  name: demo\nspec:\n"
                           "  targets:\n    clusterGroup: gpus\n"
                           "  charts:\n"
                           "    - name: app\n"       // 9
                           "      version: 1.2.3\n"; // 10

  const Validation result = validate(yaml);

  expect_single(result, rules::schema_required, 9, 7, R"(spec.charts[0] is missing required field "repo")",
                "spec.charts[0]");
}

TEST(SchemaValidator, MissingSpecIsReportedAtTheDocument) {
  const Validation result = validate("apiVersion: herd.suse.com/v1\nkind: Stack\nmetadata:\n  name: demo\n");

  expect_single(result, rules::schema_required, 1, 1, R"(the document is missing required field "spec")", "");
}

TEST(SchemaValidator, ChartNameMustBeADnsLabel) {
  const Validation result = validate(replaced(stack_yaml(), "name: app", "name: My_Chart"));

  expect_single(
      result, rules::schema_pattern, 10, 13,
      R"(spec.charts[0].name "My_Chart" must be a lower-case DNS name: letters a-z, digits and '-', )"
      "starting and ending with a letter or digit",
      "spec.charts[0].name");
}

TEST(SchemaValidator, RepoMustBeAnUrl) {
  const Validation result =
      validate(replaced(stack_yaml(), "https://charts.example.com", "charts.example.com"));

  expect_single(result, rules::schema_pattern, 11, 13,
                R"(spec.charts[0].repo "charts.example.com" must be an https://, oci:// or http:// URL)",
                "spec.charts[0].repo");
}

TEST(SchemaValidator, VersionRangeIsNotExact) {
  const Validation result = validate(replaced(stack_yaml(), "1.2.3", "^1.2.0"));

  expect_single(
      result, rules::version_not_exact, 12, 16,
      R"(version "^1.2.0" is not an exact semver version (Fleet refuses ranges for repository charts); )"
      R"(pin one such as "1.2.3")",
      "spec.charts[0].version");
}

TEST(SchemaValidator, VersionWithLeadingVAndPrereleaseIsExact) {
  const Validation result = validate(replaced(stack_yaml(), "1.2.3", "v1.2.3-rc.1+build.5"));

  EXPECT_TRUE(result.valid);
  EXPECT_TRUE(result.findings.empty());
}

TEST(SchemaValidator, TimeoutMustBeAGoDuration) {
  const Validation result = validate(stack_yaml("      wait: true\n      timeout: 15 minutes\n"));

  expect_single(result, rules::timeout_not_duration, 14, 16,
                R"(timeout "15 minutes" is not a Go duration (write it like 90s, 15m or 1h30m))",
                "spec.charts[0].timeout");
}

TEST(SchemaValidator, ReleaseNameLongerThanHelmAllowsIsTooLong) {
  const std::string release(54, 'r');

  const Validation result = validate(stack_yaml("      releaseName: " + release + "\n"));

  expect_single(result, rules::name_too_long, 13, 20,
                "spec.charts[0].releaseName \"" + release +
                    "\" is 54 characters long; at most 53 are allowed (Helm's limit for release names)",
                "spec.charts[0].releaseName");
}

TEST(SchemaValidator, ReleaseNameOfExactly53CharactersIsAllowed) {
  const Validation result = validate(stack_yaml("      releaseName: " + std::string(53, 'r') + "\n"));

  EXPECT_TRUE(result.valid);
  EXPECT_TRUE(result.findings.empty());
}

TEST(SchemaValidator, HundredThousandCharacterNameIsClippedNotMatched) {
  // valijson's std::regex would overflow the stack matching this: the length is checked first.
  const std::string name(100'000, 'a');

  const Validation result = validate(replaced(stack_yaml(), "name: app", "name: " + name));

  expect_single(result, rules::schema_bounds, 10, 13,
                "spec.charts[0].name is 100000 characters long; at most 63 are allowed",
                "spec.charts[0].name");
}

TEST(SchemaValidator, HundredThousandCharacterValueWithoutPatternIsBounded) {
  const Validation result = validate(stack_yaml("      dependsOn: [" + std::string(100'000, 'd') + "]\n"));

  ASSERT_EQ(result.findings.size(), 1U);
  EXPECT_EQ(result.findings[0].rule, rules::schema_bounds);
  EXPECT_EQ(result.findings[0].line, 13);
  EXPECT_EQ(result.findings[0].column, 19);
  EXPECT_EQ(result.findings[0].path, "spec.charts[0].dependsOn[0]");
  EXPECT_THAT(result.findings[0].message, HasSubstr("is 100000 characters long; at most 63 are allowed"));
  EXPECT_LT(result.findings[0].message.size(), 300U); // the value is quoted shortened
}

TEST(SchemaValidator, EmptyTargetsNeedAtLeastOneKind) {
  const std::string yaml =
      replaced(stack_yaml(), "  targets:\n    clusterIds: [c-m-gpu01]\n", "  targets: {}\n");

  const Validation result = validate(yaml);

  expect_single(result, rules::schema_required, 7, 12,
                "targets needs at least one of selector, clusterIds or clusterGroup", "spec.targets");
}

TEST(SchemaValidator, DuplicateDependsOnEntriesAreRefused) {
  const Validation result = validate(stack_yaml("      dependsOn: [db, db]\n"));

  ASSERT_EQ(result.findings.size(), 1U);
  EXPECT_EQ(result.findings[0].rule, rules::schema_bounds);
  EXPECT_EQ(result.findings[0].line, 13);
  EXPECT_EQ(result.findings[0].column, 18);
  EXPECT_EQ(result.findings[0].path, "spec.charts[0].dependsOn");
}

TEST(SchemaValidator, EveryProblemOfADocumentIsReported) {
  const std::string yaml = "apiVersion: herd.suse.com/v1\nkind: Stack\nmetadata:\n  name: demo\nspec:\n"
                           "  env: qa\n" // 6
                           "  targets:\n    clusterGroup: gpus\n"
                           "  charts:\n"
                           "    - name: app\n"       // 10
                           "      repo: ftp://x\n"   // 11
                           "      version: latest\n" // 12
                           "      wiat: true\n";     // 13

  const Validation result = validate(yaml);

  EXPECT_FALSE(result.valid);
  ASSERT_EQ(result.findings.size(), 4U);
  std::vector<std::string> seen;
  for (const auto& d : result.findings) {
    seen.push_back(d.rule + "@" + std::to_string(d.line) + ":" + std::to_string(d.column));
  }
  EXPECT_THAT(
      seen, ::testing::UnorderedElementsAre("HERD011@6:8", "HERD013@11:13", "HERD106@12:16", "HERD014@13:7"));
}

// --- The schema itself. ---

TEST(SchemaValidator, SubschemaAtFollowsPropertiesAndItems) {
  const nlohmann::json& schema = stack_validator().schema();

  const nlohmann::json* depends_on = subschema_at(schema, "spec.charts[3].dependsOn[0]");
  const nlohmann::json* label =
      subschema_at(schema, R"(spec.targets.selector.matchLabels["gpu.example.com/x"])");

  ASSERT_NE(depends_on, nullptr);
  EXPECT_EQ((*depends_on)["description"], "Name of another chart of this Stack.");
  ASSERT_NE(label, nullptr);
  EXPECT_EQ((*label)["type"], "string");
  EXPECT_EQ(subschema_at(schema, "spec.nosuchfield"), nullptr);
  EXPECT_EQ(subschema_at(schema, "spec.charts[0].values.inline.anything"), nullptr);
}

TEST(SchemaValidator, BrokenSchemaIsRefusedAtCreation) {
  const auto created = SchemaValidator::create("{\"type\": ");

  ASSERT_FALSE(created.ok());
  EXPECT_THAT(created.error().message, HasSubstr("invalid JSON schema"));
}

} // namespace
} // namespace herd::core
