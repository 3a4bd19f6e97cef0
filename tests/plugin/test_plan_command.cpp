// kubectl herd plan -f FILE [-o text|yaml|json|dot] [--values-from DIR] (DESIGN §7), run in-process.
//
// Golden files: tests/golden/plan-*.txt|yaml hold the exact output for the examples. After an intended change
// of the output, regenerate them and review the diff before committing:
//
//   HERD_UPDATE_GOLDEN=1 ./build/bin/herd-plugin-tests --gtest_filter='PlanGolden.*'
//
// With HERD_UPDATE_GOLDEN=1 the golden tests rewrite their files instead of comparing.

#include "../core/fleet_schema.hpp"
#include "../support/text_lines.hpp"
#include "cli_helpers.hpp"

#include <herd/core/yaml_loader.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

using herd::plugin::testing::CliResult;
using herd::plugin::testing::run_cli;
using herd::plugin::testing::source_path;
using herd::plugin::testing::TempDir;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

using herd::testing::lines_of;

namespace {

// A Stack whose only problem is a dependency on an unknown chart (HERD103).
const std::string k_invalid_stack = R"(apiVersion: herd.suse.com/v1
kind: Stack
metadata:
  name: broken
spec:
  targets:
    clusterIds: [c-m-a]
  charts:
    - name: app
      repo: https://charts.example.com
      version: "1.2.3"
      dependsOn: [databse]
    - name: database
      repo: https://charts.example.com
      version: "2.0.0"
)";

// `text` with the repository's absolute path removed, so outputs naming example files read as they do when
// kubectl herd runs from the repository root ("examples/minimal.yaml").
std::string relative_to_source(std::string text) {
  const std::string prefix = std::string(HERD_SOURCE_DIR) + "/";
  for (std::size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at)) {
    text.erase(at, prefix.size());
  }
  return text;
}

// Where `actual` first differs from `expected`, with two lines of context, for failure messages.
std::string first_difference(const std::string& expected, const std::string& actual) {
  const std::vector<std::string> want = lines_of(expected);
  const std::vector<std::string> got = lines_of(actual);
  std::size_t line = 0;
  while (line < want.size() && line < got.size() && want[line] == got[line]) {
    ++line;
  }
  std::ostringstream out;
  out << "first difference at line " << (line + 1) << " (expected " << want.size() << " lines, got "
      << got.size() << ")\n";
  const std::size_t from = line >= 2 ? line - 2 : 0;
  for (std::size_t i = from; i < line; ++i) {
    out << "    " << want[i] << "\n";
  }
  for (std::size_t i = line; i < std::min(line + 3, want.size()); ++i) {
    out << "  - " << want[i] << "\n";
  }
  for (std::size_t i = line; i < std::min(line + 3, got.size()); ++i) {
    out << "  + " << got[i] << "\n";
  }
  if (line == want.size() && line == got.size()) {
    out << "  (same lines; the final newline differs)\n";
  }
  return out.str();
}

// Compares `actual` byte for byte with tests/golden/`name`; with HERD_UPDATE_GOLDEN=1, rewrites the file
// instead.
void expect_golden(const std::string& name, const std::string& actual) {
  const std::string path = source_path("tests/golden/" + name);
  const char* update = std::getenv("HERD_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    std::cerr << "updated " << path << "\n";
    return;
  }
  std::ifstream file(path, std::ios::binary);
  ASSERT_TRUE(file) << "missing golden file " << path << " (create it with HERD_UPDATE_GOLDEN=1)";
  std::ostringstream expected;
  expected << file.rdbuf();
  EXPECT_TRUE(expected.str() == actual)
      << "output differs from " << path << ":\n"
      << first_difference(expected.str(), actual)
      << "(if the change is intended, regenerate with HERD_UPDATE_GOLDEN=1)";
}

// Every document of a YAML stream, as kubectl reads `plan -o yaml | kubectl apply -f -`.
std::vector<json> yaml_documents(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  herd::core::read_yaml_stream(in, "plan.yaml", [&](herd::core::YamlDocument& document) {
    EXPECT_TRUE(document.parsed) << "document " << document.index << " of the plan does not parse";
    out.push_back(document.value);
  });
  return out;
}

// The ConfigMap gpu-operator-values (key values.yaml) that examples/rag-inference.yaml refers to, as a
// --values-from directory.
std::string gpu_operator_values(const TempDir& dir) {
  std::filesystem::create_directories(dir.path() / "gpu-operator-values");
  dir.file("gpu-operator-values/values.yaml",
           "driver:\n  enabled: false\n  version: \"535\"\ntoolkit:\n  enabled: true\n");
  return dir.path().string();
}

const json& item_for_chart(const json& list, const std::string& chart) {
  static const json none = json::object();
  for (const auto& item : list["items"]) {
    if (item["metadata"]["labels"].value("herd.suse.com/chart", "") == chart) {
      return item;
    }
  }
  ADD_FAILURE() << "no Bundle for chart " << chart;
  return none;
}

// ---------------------------------------------------------------------------------------------------------------
// Golden outputs of the examples.

TEST(PlanGolden, TextPlanOfTheRagInferencePlatform) {
  const CliResult result =
      run_cli({"plan", "-f", source_path("examples/rag-inference-platform.yaml"), "--color", "never"});

  ASSERT_EQ(result.code, 0) << result.err;
  expect_golden("plan-rag-inference-platform.txt", relative_to_source(result.out));
}

TEST(PlanGolden, TextPlanOfMultiModelServing) {
  const CliResult result =
      run_cli({"plan", "-f", source_path("examples/multi-model-serving.yaml"), "--color", "never"});

  ASSERT_EQ(result.code, 0) << result.err;
  expect_golden("plan-multi-model-serving.txt", relative_to_source(result.out));
}

TEST(PlanGolden, YamlBundlesOfTheRagInferencePlatform) {
  const CliResult result =
      run_cli({"plan", "-f", source_path("examples/rag-inference-platform.yaml"), "-o", "yaml"});

  ASSERT_EQ(result.code, 0) << result.err;
  expect_golden("plan-rag-inference-platform.yaml", result.out);
}

TEST(PlanGolden, YamlBundlesOfTheMinimalStack) {
  const CliResult result = run_cli({"plan", "-f", source_path("examples/minimal.yaml"), "-o", "yaml"});

  ASSERT_EQ(result.code, 0) << result.err;
  expect_golden("plan-minimal.yaml", result.out);
}

TEST(PlanGolden, YamlBundlesOfRagInference) {
  const CliResult result = run_cli({"plan", "-f", source_path("examples/rag-inference.yaml"), "-o", "yaml"});

  ASSERT_EQ(result.code, 0) << result.err;
  expect_golden("plan-rag-inference.yaml", result.out);
}

// ---------------------------------------------------------------------------------------------------------------
// The text plan.

TEST(PlanCommand, TextPlanShowsWavesBundlesAndWhatThePolicyInjected) {
  const CliResult result =
      run_cli({"plan", "-f", source_path("examples/rag-inference-platform.yaml"), "--color", "never"});

  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("Injected by policy \"herd-default\""));
  EXPECT_THAT(result.out, HasSubstr("+ spec.charts[1].values.inline.podLabels = "
                                    "{\"io.neuvector.service.name\":\"rag-inference-platform-qdrant\"}"));
  EXPECT_THAT(
      result.out,
      HasSubstr("Wave 0 (policy, before every chart)\n  default-rag-inference-platform-herd-policy\n"));
  EXPECT_THAT(result.out,
              HasSubstr("Wave 3\n  ollama\n    bundle      default-rag-inference-platform-ollama"));
  EXPECT_THAT(result.out, HasSubstr("3 charts in 3 waves, 4 Bundles in workspace fleet-default.\n"));
  EXPECT_THAT(result.out, Not(HasSubstr("\033["))) << "--color never";
  EXPECT_EQ(result.err, "");
}

TEST(PlanCommand, ColorAlwaysHighlightsTheHeadings) {
  const CliResult result = run_cli({"plan", "-f", source_path("examples/minimal.yaml"), "--color", "always"});

  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("\033[1mStack default/ollama-simple\033[0m"));
}

TEST(PlanCommand, WithoutValuesFromTheTextPlanSaysConfigMapValuesAreNotIncluded) {
  const CliResult result =
      run_cli({"plan", "-f", source_path("examples/rag-inference.yaml"), "--color", "never"});

  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out,
              HasSubstr("values from ConfigMaps gpu-operator-values/values.yaml (merged in order, under "
                        "inline)\n"));
  EXPECT_THAT(result.out,
              HasSubstr("Not included (ConfigMaps cannot be read offline; pass --values-from DIR with "
                        "DIR/<name>/<key>): gpu-operator-values/values.yaml\n"));
}

TEST(PlanCommand, WithValuesFromTheTextPlanHasNothingMissing) {
  const TempDir dir;
  const CliResult result = run_cli({"plan", "-f", source_path("examples/rag-inference.yaml"), "--color",
                                    "never", "--values-from", gpu_operator_values(dir)});

  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, Not(HasSubstr("Not included")));
}

// ---------------------------------------------------------------------------------------------------------------
// The Bundles as JSON and YAML.

TEST(PlanCommand, JsonIsAListOfTheBundlesFleetAccepts) {
  const CliResult result =
      run_cli({"plan", "-f", source_path("examples/rag-inference-platform.yaml"), "-o", "json"});

  ASSERT_EQ(result.code, 0) << result.err;
  const json list = json::parse(result.out);
  EXPECT_EQ(list["apiVersion"], "v1");
  EXPECT_EQ(list["kind"], "List");
  ASSERT_EQ(list["items"].size(), 4U);
  EXPECT_EQ(list["items"][0]["metadata"]["name"], "default-rag-inference-platform-herd-policy");
  EXPECT_EQ(list["items"][1]["metadata"]["name"], "default-rag-inference-platform-gpu-operator");
  EXPECT_EQ(list["items"][2]["metadata"]["name"], "default-rag-inference-platform-qdrant");
  EXPECT_EQ(list["items"][3]["metadata"]["name"], "default-rag-inference-platform-ollama");
  for (const auto& item : list["items"]) {
    EXPECT_THAT(herd::test::fleet_problems(item), IsEmpty())
        << herd::test::lines_text(herd::test::fleet_problems(item));
  }
}

TEST(PlanCommand, YamlPrintsTheSameBundlesAsJson) {
  for (const std::string example :
       {"rag-inference-platform", "multi-model-serving", "minimal", "rag-inference"}) {
    SCOPED_TRACE(example);
    const std::string file = source_path("examples/" + example + ".yaml");
    const CliResult yaml = run_cli({"plan", "-f", file, "-o", "yaml"});
    const CliResult as_json = run_cli({"plan", "-f", file, "-o", "json"});

    ASSERT_EQ(yaml.code, 0) << yaml.err;
    ASSERT_EQ(as_json.code, 0) << as_json.err;
    EXPECT_EQ(json(yaml_documents(yaml.out)), json::parse(as_json.out)["items"]);
  }
}

TEST(PlanCommand, EveryScaffoldTemplatePlansToBundlesFleetAccepts) {
  const TempDir dir;
  for (const std::string template_name : {"minimal", "rag", "multi-model", "dev"}) {
    for (const bool features : {false, true}) {
      SCOPED_TRACE(template_name + (features ? " with security and observability" : ""));
      std::vector<std::string> args = {"scaffold", "generated", "--template", template_name};
      if (features) {
        args.insert(args.end(), {"--security", "--observability"});
      }
      const CliResult scaffold = run_cli(args);
      ASSERT_EQ(scaffold.code, 0) << scaffold.err;

      const CliResult result =
          run_cli({"plan", "-f", dir.file("generated.yaml", scaffold.out), "-o", "json"});

      ASSERT_EQ(result.code, 0) << result.err;
      const json list = json::parse(result.out);
      ASSERT_FALSE(list["items"].empty());
      for (const auto& item : list["items"]) {
        EXPECT_THAT(herd::test::fleet_problems(item), IsEmpty())
            << herd::test::lines_text(herd::test::fleet_problems(item));
      }
    }
  }
}

TEST(PlanCommand, ValuesFromMergesTheConfigMapUnderInline) {
  const TempDir dir;
  const CliResult result = run_cli({"plan", "-f", source_path("examples/rag-inference.yaml"), "-o", "json",
                                    "--values-from", gpu_operator_values(dir)});

  ASSERT_EQ(result.code, 0) << result.err;
  const json list = json::parse(result.out);
  const json& values = item_for_chart(list, "gpu-operator")["spec"]["helm"]["values"];
  EXPECT_EQ(values["driver"], json::parse(R"({"enabled": true, "version": "535"})")) << "inline wins";
  EXPECT_EQ(values["toolkit"], json::parse(R"({"enabled": true})"));
  EXPECT_THAT(result.err, Not(HasSubstr("not included")));
}

TEST(PlanCommand, WithoutValuesFromBundleOutputWarnsOnStderr) {
  const CliResult result = run_cli({"plan", "-f", source_path("examples/rag-inference.yaml"), "-o", "json"});

  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("warning: rag-inference: values of ConfigMaps not included (offline): "
                                    "gpu-operator-values/values.yaml; pass --values-from DIR\n"));
  const json list = json::parse(result.out);
  const json& values = item_for_chart(list, "gpu-operator")["spec"]["helm"]["values"];
  EXPECT_EQ(values["driver"], json::parse(R"({"enabled": true})"));
}

TEST(PlanCommand, ValuesFromWithoutTheConfigMapsFileStillReportsItMissing) {
  const TempDir dir;
  const CliResult result = run_cli({"plan", "-f", source_path("examples/rag-inference.yaml"), "--color",
                                    "never", "--values-from", dir.path().string()});

  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("): gpu-operator-values/values.yaml\n"));
}

TEST(PlanCommand, EveryStackOfAStreamIsPlanned) {
  const TempDir dir;
  const std::string stream = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: skipped\n---\n" +
                             run_cli({"scaffold", "first"}).out + "---\n" +
                             run_cli({"scaffold", "second"}).out;
  const std::string file = dir.file("two.yaml", stream);

  const CliResult as_json = run_cli({"plan", "-f", file, "-o", "json"});
  const CliResult yaml = run_cli({"plan", "-f", file, "-o", "yaml"});
  const CliResult text = run_cli({"plan", "-f", file, "--color", "never"});

  ASSERT_EQ(as_json.code, 0) << as_json.err;
  const json list = json::parse(as_json.out);
  ASSERT_GE(list["items"].size(), 2U);
  EXPECT_EQ(list["items"].front()["metadata"]["labels"]["herd.suse.com/stack"], "first");
  EXPECT_EQ(list["items"].back()["metadata"]["labels"]["herd.suse.com/stack"], "second");
  ASSERT_EQ(yaml.code, 0) << yaml.err;
  EXPECT_EQ(json(yaml_documents(yaml.out)), list["items"]);
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("Stack default/first ("));
  EXPECT_THAT(text.out, HasSubstr(".\n\nStack default/second ("));
}

TEST(PlanCommand, ReadsTheStackFromStandardInput) {
  std::ifstream file(source_path("examples/minimal.yaml"), std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();

  const CliResult result = run_cli({"plan", "-f", "-", "--color", "never"}, text.str());

  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("Stack default/ollama-simple (<stdin>)\n"));
  EXPECT_THAT(result.out, HasSubstr("Fleet workspace fleet-local, targets: clusters local\n"));
}

// ---------------------------------------------------------------------------------------------------------------
// The dependency graph for Graphviz.

TEST(PlanCommand, DotHasOneRankPerWaveAndAnEdgePerDependency) {
  const CliResult result =
      run_cli({"plan", "-f", source_path("examples/rag-inference-platform.yaml"), "-o", "dot"});

  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "digraph \"rag-inference-platform\" {\n"
                        "  rankdir=LR;\n"
                        "  node [shape=box];\n"
                        "  { rank=same; \"gpu-operator\"; }  // wave 1\n"
                        "  { rank=same; \"qdrant\"; }  // wave 2\n"
                        "  { rank=same; \"ollama\"; }  // wave 3\n"
                        "  \"gpu-operator\" -> \"qdrant\";\n"
                        "  \"gpu-operator\" -> \"ollama\";\n"
                        "  \"qdrant\" -> \"ollama\";\n"
                        "}\n");
}

TEST(PlanCommand, DotPutsIndependentChartsInOneRank) {
  const CliResult result =
      run_cli({"plan", "-f", source_path("examples/multi-model-serving.yaml"), "-o", "dot"});

  ASSERT_EQ(result.code, 0) << result.err;
  const std::vector<std::string> lines = lines_of(result.out);
  std::vector<std::string> ranks;
  std::vector<std::string> edges;
  for (const auto& line : lines) {
    if (line.find("rank=same") != std::string::npos) {
      ranks.push_back(line);
    } else if (line.find("->") != std::string::npos) {
      edges.push_back(line);
    }
  }
  EXPECT_THAT(ranks, ElementsAre("  { rank=same; \"kserve\"; \"gpu-operator\"; }  // wave 1",
                                 "  { rank=same; \"mlflow\"; }  // wave 2"));
  EXPECT_THAT(edges, ElementsAre("  \"kserve\" -> \"mlflow\";"));
}

// ---------------------------------------------------------------------------------------------------------------
// Refusals.

TEST(PlanCommand, InvalidStackExitsOneWithFindingsOnStderrAndNothingOnStdout) {
  const TempDir dir;
  const std::string file = dir.file("broken.yaml", k_invalid_stack);

  for (const std::string output : {"text", "yaml", "dot"}) {
    SCOPED_TRACE(output);
    const CliResult result = run_cli({"plan", "-f", file, "-o", output});

    EXPECT_EQ(result.code, 1);
    EXPECT_EQ(result.out, "");
    EXPECT_THAT(result.err, HasSubstr(file + ":12:19: error: "));
    EXPECT_THAT(result.err, HasSubstr("[HERD103]"));
    EXPECT_THAT(result.err, HasSubstr("not planning the invalid Stack in " + file));
  }
}

// DISABLED: plugin/src/plan_command.cpp prints the -o json List after the loop even when no Stack could be
// planned: an invalid Stack (exit 1) or a file without a Stack (exit 1) still writes
// {"apiVersion": "v1", "items": [], "kind": "List"} to stdout, unlike text, yaml and dot, which print
// nothing.
TEST(PlanCommand, InvalidStackPrintsNoJsonEither) {
  const TempDir dir;

  const CliResult result = run_cli({"plan", "-f", dir.file("broken.yaml", k_invalid_stack), "-o", "json"});

  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.out, "");
}

TEST(PlanCommand, ValidStacksAreStillPlannedNextToAnInvalidOne) {
  const TempDir dir;
  std::ifstream minimal(source_path("examples/minimal.yaml"), std::ios::binary);
  std::ostringstream text;
  text << minimal.rdbuf();

  const CliResult result =
      run_cli({"plan", "-f", dir.file("mixed.yaml", k_invalid_stack + "---\n" + text.str()), "-o", "json"});

  EXPECT_EQ(result.code, 1);
  const json list = json::parse(result.out);
  ASSERT_EQ(list["items"].size(), 1U);
  EXPECT_EQ(list["items"][0]["metadata"]["name"], "default-ollama-simple-ollama");
}

TEST(PlanCommand, FileWithoutAStackExitsOne) {
  const TempDir dir;

  const CliResult result =
      run_cli({"plan", "-f", dir.file("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")});

  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "kubectl herd: error: no Stack found in the inputs [HERD003]\n");
}

TEST(PlanCommand, UnreadableFileIsAToolError) {
  const TempDir dir;

  const CliResult result = run_cli({"plan", "-f", (dir.path() / "absent.yaml").string()});

  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(result.err, HasSubstr("absent.yaml"));
}

TEST(PlanCommand, UnknownOutputFormatIsAUsageError) {
  const CliResult result = run_cli({"plan", "-f", source_path("examples/minimal.yaml"), "-o", "sarif"});

  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.out, "");
}

TEST(PlanCommand, FileIsRequired) {
  const CliResult result = run_cli({"plan"});

  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(result.err, HasSubstr("--filename"));
}

} // namespace
