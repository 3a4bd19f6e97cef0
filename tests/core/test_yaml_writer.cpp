// to_yaml writes what the API server reads back unchanged (YAML 1.1 typing, as kubectl converts YAML to
// JSON): every test reads the output with the project's own loader, which types scalars the same way.

#include <herd/core/yaml_loader.hpp>
#include <herd/core/yaml_writer.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace herd::core {
namespace {

using nlohmann::json;

// `value` written by to_yaml and read back by the project's loader; a test failure (and null) when the output
// does not parse.
json round_trip(const json& value) {
  const std::string text = to_yaml(value);
  const YamlDocument document = parse_yaml_document(text, "written.yaml");
  EXPECT_TRUE(document.parsed) << text;
  EXPECT_TRUE(document.diagnostics.empty()) << text;
  return document.parsed ? document.value : json();
}

// Type-exact comparison (json's == treats 1 and 1.0 as equal; kubectl does not).
void expect_round_trip(const json& value) {
  EXPECT_EQ(round_trip(value).dump(), value.dump()) << "written as:\n" << to_yaml(value);
}

TEST(YamlWriter, StringsYaml11WouldMistypeStayStrings) {
  const std::vector<std::string> strings = {
      "true",       "false", "yes",      "no",         "on",        "off",        "y",    "n",
      "Yes",        "TRUE",  "Off",      "1.10",       "1.0",       "0777",       "0x1F", "0o17",
      "1e3",        "1_000", "12:30",    "+1",         "-1",        ".5",         "1.",   ".inf",
      "-.inf",      ".nan",  "null",     "Null",       "~",         "",           "=",    "<<",
      "2001-12-14", "0b101", "1,000",    "a: b",       "- a",       "# note",     "key:", "x #comment",
      "@at",        "`tick", "'single'", "\"double\"", "*alias",    "&anchor",    "!tag", "%directive",
      "{flow}",     "[seq]", ",",        "?",          ":",         "|",          ">",    "-",
      "---",        "...",   " leading", "trailing ",  "tab\there", "caf\xC3\xA9"};
  for (const auto& text : strings) {
    SCOPED_TRACE('"' + text + '"');
    expect_round_trip({{"v", text}});
  }
}

TEST(YamlWriter, MultiLineStringsEndingInOneNewline) {
  const std::vector<std::string> strings = {
      "ends with a newline\n", "a\n\nb\n",
      "a: b\nc: d\n",          "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n",
      "\nleading newline\n",   "trailing spaces  \nx\n",
      "tab\tand\nnewline\n",   "# not a comment\n- not a list\n"};
  for (const auto& text : strings) {
    SCOPED_TRACE(json(text).dump());
    expect_round_trip({{"v", text}});
  }
}

// A `|` literal block reads back with exactly one final newline ("clip"): other multi-line strings must not
// be written as one (a PEM certificate or a script without a final newline would change).
TEST(YamlWriter, MultiLineStringsWithoutAFinalNewlineKeepTheirEnd) {
  for (const std::string text :
       {"line one\nline two", "a\n\nb", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"}) {
    SCOPED_TRACE(json(text).dump());
    expect_round_trip({{"v", text}});
  }
}

TEST(YamlWriter, MultiLineStringsKeepSeveralFinalNewlines) {
  expect_round_trip({{"v", "two final newlines\n\n"}});
}

// A literal block whose first line starts with a space needs an indentation indicator; without one the output
// is not YAML at all (`kubectl herd plan -o yaml` would print a document kubectl cannot read).
TEST(YamlWriter, MultiLineStringsWithAnIndentedFirstLineStayValidYaml) {
  expect_round_trip({{"v", "  indented first line\nsecond\n"}});
}

TEST(YamlWriter, KeysYaml11WouldMistypeStayStrings) {
  expect_round_trip({{"yes", 1}, {"on", 2}, {"null", 3}, {"1.10", 4}, {"", 5}, {"a: b", 6}, {"~", 7}});
}

TEST(YamlWriter, ScalarsKeepTheirTypes) {
  expect_round_trip({{"int", 42},
                     {"negative", -7},
                     {"zero", 0},
                     {"float", 1.5},
                     {"whole float", 2.0},
                     {"big", 9007199254740993LL},
                     {"true", true},
                     {"false", false},
                     {"null", nullptr}});
}

TEST(YamlWriter, NestedObjectsAndArrays) {
  expect_round_trip(json::parse(R"({
      "metadata": {"name": "nv.rag-ollama.llm", "labels": {"app.kubernetes.io/name": "x"}},
      "spec": {"criteria": [{"key": "service", "op": "=", "value": "rag-ollama.llm"}, {"key": "domain"}],
               "matrix": [[1, 2], [], [{"a": []}]],
               "deep": {"a": {"b": {"c": {"d": ["e"]}}}}}})"));
}

TEST(YamlWriter, EmptyObjectsAndArrays) {
  expect_round_trip(
      {{"object", json::object()}, {"array", json::array()}, {"list", {json::object(), json::array()}}});
}

TEST(YamlWriter, TopLevelEmptyObjectIsAnEmptyMapping) {
  EXPECT_EQ(round_trip(json::object()), json::object());
}

TEST(YamlWriter, OutputIsBlockStyleAndEndsWithANewline) {
  const std::string text = to_yaml({{"kind", "Namespace"}, {"metadata", {{"name", "ai"}}}});

  EXPECT_EQ(text, "kind: Namespace\nmetadata:\n  name: ai\n");
}

TEST(YamlWriter, KeysComeInOrderSoTheOutputIsDeterministic) {
  const json value = json::parse(R"({"b": 1, "a": {"z": 1, "w": 2}})");

  EXPECT_EQ(to_yaml(value), to_yaml(json::parse(R"({"a": {"w": 2, "z": 1}, "b": 1})")));
  EXPECT_EQ(to_yaml(value), "a:\n  w: 2\n  z: 1\nb: 1\n");
}

} // namespace
} // namespace herd::core
