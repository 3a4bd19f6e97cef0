#include <herd/crdgen/crd_generator.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using herd::crdgen::render_stack_crd;
using herd::crdgen::to_structural_schema;
using nlohmann::json;

const std::filesystem::path k_source_dir = HERD_SOURCE_DIR;
const std::filesystem::path k_schema_file = k_source_dir / "schema" / "stack.schema.json";
const std::filesystem::path k_crd_file = k_source_dir / "manifests" / "crds" / "herd.suse.com_stacks.yaml";

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

json stack_schema() {
  return json::parse(read_text(k_schema_file));
}

YAML::Node committed_crd() {
  return YAML::Load(read_text(k_crd_file));
}

YAML::Node version_of(const YAML::Node& crd) {
  return crd["spec"]["versions"][0];
}

YAML::Node open_api_schema(const YAML::Node& crd) {
  return version_of(crd)["schema"]["openAPIV3Schema"];
}

std::string scalar(const YAML::Node& node) {
  return node && node.IsScalar() ? node.Scalar() : std::string();
}

std::vector<std::string> scalars(const YAML::Node& node) {
  std::vector<std::string> values;
  for (const auto& item : node) {
    values.push_back(scalar(item));
  }
  return values;
}

// Where two texts first differ, so a drift failure points at the line to look at.
std::string first_difference(const std::string& committed, const std::string& generated) {
  std::istringstream left(committed);
  std::istringstream right(generated);
  std::string left_line;
  std::string right_line;
  for (int line = 1;; ++line) {
    const bool has_left = static_cast<bool>(std::getline(left, left_line));
    const bool has_right = static_cast<bool>(std::getline(right, right_line));
    if (!has_left && !has_right) {
      return "the files differ only in their final newline";
    }
    if (!has_left || !has_right || left_line != right_line) {
      return "line " + std::to_string(line) + "\n  committed: " + (has_left ? left_line : "<end of file>") +
             "\n  generated: " + (has_right ? right_line : "<end of file>");
    }
  }
}

// Types a YAML node as go-yaml (which kubectl and the API server read YAML with) does: YAML 1.1 booleans,
// null and numbers for plain scalars, strings for quoted ones. A string the generator failed to quote reads
// back as another type here, as it would on the cluster.
json as_go_yaml_json(const YAML::Node& node) {
  if (node.IsMap()) {
    json object = json::object();
    for (const auto& entry : node) {
      object[entry.first.Scalar()] = as_go_yaml_json(entry.second);
    }
    return object;
  }
  if (node.IsSequence()) {
    json array = json::array();
    for (const auto& item : node) {
      array.push_back(as_go_yaml_json(item));
    }
    return array;
  }
  if (!node.IsScalar()) {
    return nullptr;
  }
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") {
    return text;
  }
  static const std::regex k_true("y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON");
  static const std::regex k_false("n|N|no|No|NO|false|False|FALSE|off|Off|OFF");
  static const std::regex k_null("~|null|Null|NULL|");
  static const std::regex k_integer("[-+]?[0-9]+");
  static const std::regex k_float("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (std::regex_match(text, k_true)) {
    return true;
  }
  if (std::regex_match(text, k_false)) {
    return false;
  }
  if (std::regex_match(text, k_null)) {
    return nullptr;
  }
  if (std::regex_match(text, k_integer)) {
    return std::stoll(text);
  }
  if (std::regex_match(text, k_float)) {
    return std::stod(text);
  }
  return text;
}

bool is_primitive(const YAML::Node& schema) {
  const auto type = scalar(schema["type"]);
  return !type.empty() && type != "object" && type != "array";
}

// Checks the rules apiextensions.k8s.io/v1 applies to a structural schema, plus Herd's own: every field under
// spec has a type and a description (kubectl explain prints it), except the items of primitive lists.
void expect_structural(const YAML::Node& node,
                       const std::string& path,
                       bool under_spec,
                       bool explained_by_parent) {
  ASSERT_TRUE(node.IsMap()) << path << ": a schema must be a map";
  EXPECT_FALSE(node["$ref"]) << path << ": $ref is forbidden in a CRD";
  EXPECT_FALSE(node["uniqueItems"]) << path << ": uniqueItems is forbidden in a CRD";
  EXPECT_FALSE(node["definitions"]) << path << ": definitions have no place in a CRD";
  if (const auto extra = node["additionalProperties"]) {
    EXPECT_TRUE(extra.IsMap()) << path << ": additionalProperties must be a schema, never " << scalar(extra);
    EXPECT_FALSE(node["properties"]) << path << ": properties and additionalProperties exclude each other";
  }
  if (node["properties"]) {
    EXPECT_EQ(scalar(node["type"]), "object") << path << ": a node with properties must have type object";
  }
  if (under_spec) {
    EXPECT_FALSE(scalar(node["type"]).empty()) << path << ": has no type";
    if (!explained_by_parent) {
      EXPECT_FALSE(scalar(node["description"]).empty()) << path << ": has no description";
    }
  }
  if (const auto properties = node["properties"]) {
    for (const auto& property : properties) {
      const auto name = property.first.Scalar();
      const std::string child = path.empty() ? name : std::string(path).append(".").append(name);
      expect_structural(property.second, child, under_spec || child == "spec", false);
    }
  }
  if (const auto items = node["items"]) {
    expect_structural(items, path + "[]", under_spec, is_primitive(items));
  }
  if (const auto values = node["additionalProperties"]; values && values.IsMap()) {
    expect_structural(values, path + "{}", under_spec, false);
  }
}

// A small Stack-shaped schema around `spec_properties` (a JSON object text) for the transformation tests.
json schema_with_spec(std::string_view spec_properties) {
  auto schema = json::parse(R"({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Stack",
    "description": "A Stack.",
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": false,
    "properties": {
      "apiVersion": {"description": "The API version.", "type": "string"},
      "kind": {"description": "The kind.", "type": "string"},
      "metadata": {"description": "Metadata.", "type": "object", "properties": {"name": {"type": "string"}}},
      "spec": {"description": "The spec.", "type": "object", "additionalProperties": false}
    }
  })");
  schema["properties"]["spec"]["properties"] = json::parse(spec_properties);
  return schema;
}

std::string structural_error(const json& schema) {
  const auto result = to_structural_schema(schema);
  return result ? std::string("<no error>") : result.error().message;
}

} // namespace

TEST(CrdGenerator, CommittedCrdMatchesSchema) {
  const auto generated = render_stack_crd(stack_schema());
  ASSERT_TRUE(generated) << generated.error().message;
  const auto committed = read_text(k_crd_file);
  EXPECT_TRUE(committed == *generated)
      << "manifests/crds/herd.suse.com_stacks.yaml is not what schema/stack.schema.json generates; first "
         "difference at "
      << first_difference(committed, *generated)
      << "\nRegenerate it with `cmake --build build --target crds` and commit the result.";
}

TEST(CrdGenerator, StartsWithGeneratedHeader) {
  const auto committed = read_text(k_crd_file);
  EXPECT_TRUE(
      committed.starts_with("# Generated by herd-crdgen from schema/stack.schema.json. DO NOT EDIT.\n"));
}

TEST(CrdGenerator, RenderingIsDeterministic) {
  const auto first = render_stack_crd(stack_schema());
  const auto second = render_stack_crd(json::parse(stack_schema().dump(2)));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, *second);
}

TEST(CrdGenerator, SchemaIsStructural) {
  const auto schema = open_api_schema(committed_crd());
  ASSERT_TRUE(schema.IsMap());
  expect_structural(schema, "", false, false);
}

TEST(CrdGenerator, YamlReadsBackAsTheStructuralSchema) {
  // Catches strings that a YAML 1.1 reader would take for booleans or numbers (enum True/False, for one) and
  // any escaping mistake in patterns with backslashes, quotes or non-ASCII characters.
  const auto structural = to_structural_schema(stack_schema());
  ASSERT_TRUE(structural) << structural.error().message;
  EXPECT_EQ(as_go_yaml_json(open_api_schema(committed_crd())), json::parse(structural->dump()));
}

TEST(CrdGenerator, InlineValuesPreserveUnknownFields) {
  const auto chart = open_api_schema(committed_crd())["properties"]["spec"]["properties"]["charts"]["items"];
  const auto inline_values = chart["properties"]["values"]["properties"]["inline"];
  EXPECT_EQ(scalar(inline_values["type"]), "object");
  EXPECT_EQ(scalar(inline_values["x-kubernetes-preserve-unknown-fields"]), "true");
  const auto override_values =
      chart["properties"]["overrides"]["items"]["properties"]["values"]["properties"]["inline"];
  EXPECT_EQ(scalar(override_values["x-kubernetes-preserve-unknown-fields"]), "true");
}

TEST(CrdGenerator, ListTypesReplaceUniqueItems) {
  const auto spec = open_api_schema(committed_crd())["properties"]["spec"]["properties"];
  EXPECT_EQ(scalar(spec["targets"]["properties"]["clusterIds"]["x-kubernetes-list-type"]), "set");
  const auto charts = spec["charts"];
  EXPECT_EQ(scalar(charts["x-kubernetes-list-type"]), "map");
  EXPECT_EQ(scalars(charts["x-kubernetes-list-map-keys"]), std::vector<std::string>{"name"});
  EXPECT_EQ(scalar(charts["items"]["properties"]["dependsOn"]["x-kubernetes-list-type"]), "set");
  const auto conditions =
      open_api_schema(committed_crd())["properties"]["status"]["properties"]["conditions"];
  EXPECT_EQ(scalar(conditions["x-kubernetes-list-type"]), "map");
  EXPECT_EQ(scalars(conditions["x-kubernetes-list-map-keys"]), std::vector<std::string>{"type"});
}

TEST(CrdGenerator, NamesGroupAndScope) {
  const auto crd = committed_crd();
  EXPECT_EQ(scalar(crd["apiVersion"]), "apiextensions.k8s.io/v1");
  EXPECT_EQ(scalar(crd["kind"]), "CustomResourceDefinition");
  EXPECT_EQ(scalar(crd["metadata"]["name"]), "stacks.herd.suse.com");
  EXPECT_EQ(scalar(crd["spec"]["group"]), "herd.suse.com");
  EXPECT_EQ(scalar(crd["spec"]["scope"]), "Namespaced");
  const auto names = crd["spec"]["names"];
  EXPECT_EQ(scalar(names["kind"]), "Stack");
  EXPECT_EQ(scalar(names["listKind"]), "StackList");
  EXPECT_EQ(scalar(names["plural"]), "stacks");
  EXPECT_EQ(scalar(names["singular"]), "stack");
  EXPECT_EQ(scalars(names["shortNames"]), std::vector<std::string>{"stk"});
  EXPECT_EQ(scalars(names["categories"]), std::vector<std::string>{"herd"});
  ASSERT_EQ(crd["spec"]["versions"].size(), 1U);
  const auto version = version_of(crd);
  EXPECT_EQ(scalar(version["name"]), "v1");
  EXPECT_EQ(scalar(version["served"]), "true");
  EXPECT_EQ(scalar(version["storage"]), "true");
}

TEST(CrdGenerator, PrinterColumnsMatchKubectlGetStk) {
  struct Column {
    std::string name, type, json_path;
  };
  const std::array<Column, 5> expected = {{
      {"Phase", "string", ".status.phase"},
      {"Clusters", "integer", ".status.summary.clusters"},
      {"Charts", "integer", ".status.summary.charts"},
      {"Ready", "integer", ".status.summary.readyBundles"},
      {"Age", "date", ".metadata.creationTimestamp"},
  }};
  const auto columns = version_of(committed_crd())["additionalPrinterColumns"];
  ASSERT_EQ(columns.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(scalar(columns[i]["name"]), expected[i].name);
    EXPECT_EQ(scalar(columns[i]["type"]), expected[i].type) << expected[i].name;
    EXPECT_EQ(scalar(columns[i]["jsonPath"]), expected[i].json_path) << expected[i].name;
  }
}

TEST(CrdGenerator, StatusSubresourceIsEnabled) {
  const auto status = version_of(committed_crd())["subresources"]["status"];
  ASSERT_TRUE(status);
  EXPECT_TRUE(status.IsMap());
  EXPECT_EQ(status.size(), 0U);
}

TEST(CrdGenerator, AmbiguousStringsAreQuoted) {
  const auto status_enum =
      open_api_schema(committed_crd())["properties"]["status"]["properties"]["conditions"]["items"]
                                      ["properties"]["status"]["enum"];
  ASSERT_EQ(status_enum.size(), 3U);
  EXPECT_EQ(status_enum[0].Tag(), "!") << "True must be quoted, or YAML 1.1 reads a boolean";
  EXPECT_EQ(status_enum[1].Tag(), "!") << "False must be quoted, or YAML 1.1 reads a boolean";
}

TEST(CrdGenerator, MetadataIsLeftToTheApiServer) {
  const auto structural = to_structural_schema(schema_with_spec(R"({})"));
  ASSERT_TRUE(structural) << structural.error().message;
  EXPECT_EQ((*structural)["properties"]["metadata"], nlohmann::ordered_json({{"type", "object"}}));
  EXPECT_EQ((*structural)["required"], nlohmann::ordered_json({"spec"}));
  EXPECT_FALSE(structural->contains("$schema"));
  EXPECT_FALSE(structural->contains("title"));
  EXPECT_FALSE(structural->contains("additionalProperties"));
}

TEST(CrdGenerator, KeysAreTypeDescriptionThenSorted) {
  const auto structural = to_structural_schema(schema_with_spec(
      R"({"name": {"pattern": "^[a-z]+$", "maxLength": 9, "description": "A name.", "type": "string"}})"));
  ASSERT_TRUE(structural) << structural.error().message;
  std::vector<std::string> keys;
  for (const auto& [key, value] : (*structural)["properties"]["spec"]["properties"]["name"].items()) {
    keys.push_back(key);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"type", "description", "maxLength", "pattern"}));
}

TEST(CrdGenerator, MapSchemaIsKeptAndFalseDropped) {
  const auto structural = to_structural_schema(schema_with_spec(R"({"labels": {
      "description": "Labels.", "type": "object", "additionalProperties": {"type": "string"}}})"));
  ASSERT_TRUE(structural) << structural.error().message;
  EXPECT_EQ((*structural)["properties"]["spec"]["properties"]["labels"]["additionalProperties"],
            nlohmann::ordered_json({{"type", "string"}}));
  EXPECT_FALSE((*structural)["properties"]["spec"].contains("additionalProperties"));
}

TEST(CrdGenerator, LocalRefIsInlinedWithItsSiblings) {
  auto schema =
      schema_with_spec(R"({"target": {"$ref": "#/definitions/name", "description": "The target."}})");
  schema["definitions"] =
      json::parse(R"({"name": {"type": "string", "description": "A name.", "maxLength": 5}})");
  const auto structural = to_structural_schema(schema);
  ASSERT_TRUE(structural) << structural.error().message;
  EXPECT_FALSE(structural->contains("definitions"));
  EXPECT_EQ(
      (*structural)["properties"]["spec"]["properties"]["target"],
      nlohmann::ordered_json::parse(R"({"type": "string", "description": "The target.", "maxLength": 5})"));
}

TEST(CrdGenerator, RecursiveRefIsRejected) {
  auto schema = schema_with_spec(R"({"tree": {"$ref": "#/definitions/tree"}})");
  schema["definitions"] = json::parse(R"({"tree": {"type": "object", "description": "A tree.",
      "properties": {"child": {"$ref": "#/definitions/tree"}}}})");
  EXPECT_EQ(structural_error(schema),
            "spec.tree.child: $ref \"#/definitions/tree\" is recursive: a structural schema cannot express "
            "recursion");
}

TEST(CrdGenerator, MissingDescriptionIsLocated) {
  EXPECT_EQ(structural_error(schema_with_spec(R"({"charts": {"description": "Charts.", "type": "array",
      "items": {"description": "A chart.", "type": "object", "properties": {"name": {"type": "string"}}}}})")),
            "spec.charts[].name: has no description: kubectl explain must print one for every field");
}

TEST(CrdGenerator, UnsupportedKeywordIsLocated) {
  EXPECT_EQ(structural_error(schema_with_spec(R"({"mode": {"description": "A mode.", "type": "string",
      "const": "on"}})")),
            "spec.mode: keyword \"const\" has no equivalent in a CRD structural schema");
}

TEST(CrdGenerator, UniqueItemsOfObjectsIsRejected) {
  EXPECT_EQ(structural_error(schema_with_spec(R"({"refs": {"description": "Refs.", "type": "array",
      "uniqueItems": true, "items": {"description": "A ref.", "type": "object"}}})")),
            "spec.refs: uniqueItems needs scalar items: use x-kubernetes-list-type: map for objects");
}

TEST(CrdGenerator, Re2IncompatiblePatternIsRejected) {
  EXPECT_EQ(
      structural_error(schema_with_spec(R"({"name": {"description": "A name.", "type": "string",
      "pattern": "^(?!kube-)[a-z]+$"}})")),
      "spec.name: pattern uses the lookaround \"(?!\", which the API server's RE2 regexp cannot compile");
  EXPECT_EQ(
      structural_error(schema_with_spec(R"({"name": {"description": "A name.", "type": "string",
      "pattern": "^(a)\\1$"}})")),
      "spec.name: pattern uses the backreference \"\\1\", which the API server's RE2 regexp cannot compile");
}

TEST(CrdGenerator, EscapedBackslashIsNotABackreference) {
  EXPECT_TRUE(to_structural_schema(schema_with_spec(R"({"path": {"description": "A path.", "type": "string",
      "pattern": "^[a-z\\\\]\\\\1$"}})")));
}

TEST(CrdGenerator, PrinterColumnOnMissingFieldIsRejected) {
  const auto crd = render_stack_crd(schema_with_spec(R"({})"));
  ASSERT_FALSE(crd);
  EXPECT_EQ(crd.error().message, "printer column Phase: .status.phase is not in the schema");
}
