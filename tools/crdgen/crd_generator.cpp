#include <herd/crdgen/crd_generator.hpp>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

namespace herd::crdgen {

namespace {

using core::Error;
using core::Result;
using nlohmann::json;
using nlohmann::ordered_json;

// Keywords that only annotate the JSON Schema document; a CRD has no place for them. `default` is dropped
// too: the mutating webhook is the one place defaults are applied, so it can tell what the user wrote from
// what it set (API-server defaulting would run first and hide that).
constexpr std::array<std::string_view, 8> k_dropped_keywords = {
    "$schema", "$id", "$comment", "title", "definitions", "$defs", "examples", "default"};

// Keywords that mean the same in JSON Schema draft 7 and in the OpenAPI v3 subset apiextensions.k8s.io/v1
// reads, so they are copied unchanged. Anything not listed (oneOf, const, patternProperties, ...) is an error
// rather than silently lost validation.
constexpr std::array<std::string_view, 12> k_copied_keywords = {
    "enum",          "minLength", "maxLength", "minItems",   "maxItems", "minProperties",
    "maxProperties", "minimum",   "maximum",   "multipleOf", "format",   "nullable"};

// Root fields the API server always sets and validates itself; listing them as required adds nothing but
// "-required-" noise in `kubectl explain`.
constexpr std::array<std::string_view, 3> k_server_owned_fields = {"apiVersion", "kind", "metadata"};

struct PrinterColumn {
  std::string_view name;
  std::string_view type;
  std::string_view json_path;
};

// `kubectl get stk` shows NAME (always first) and then these, in this order.
constexpr std::array<PrinterColumn, 5> k_printer_columns = {{
    {"Phase", "string", ".status.phase"},
    {"Clusters", "integer", ".status.summary.clusters"},
    {"Charts", "integer", ".status.summary.charts"},
    {"Ready", "integer", ".status.summary.readyBundles"},
    {"Age", "date", ".metadata.creationTimestamp"},
}};

bool contains(const auto& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string child_path(std::string_view parent, std::string_view child) {
  if (parent.empty()) {
    return std::string(child);
  }
  return std::string(parent) + "." + std::string(child);
}

Error make_error(std::string message, std::string file = {}) {
  return Error{.message = std::move(message), .file = std::move(file)};
}

Error error_at(std::string_view path, std::string_view message) {
  return make_error((path.empty() ? std::string("<root>") : std::string(path)) + ": " + std::string(message));
}

ordered_json to_ordered(const json& value) {
  // nlohmann::json keeps object keys sorted, so the copy is in a stable order too.
  return ordered_json::parse(value.dump());
}

bool is_primitive_type(const ordered_json& schema) {
  const auto type = schema.find("type");
  return type != schema.end() && *type != "object" && *type != "array";
}

using Keywords = std::map<std::string, ordered_json, std::less<>>;

bool is_true(const Keywords& keywords, std::string_view key) {
  const auto value = keywords.find(key);
  return value != keywords.end() && value->second.is_boolean() && value->second.get<bool>();
}

// Why `pattern` cannot compile with Go's regexp package (RE2 syntax), which the API server uses for CRD
// patterns, or nothing. JSON Schema patterns are ECMAScript, so this scans for the ECMAScript constructs RE2
// lacks; it is a guard against the usual mistakes, not a full regex parser.
std::optional<std::string> re2_incompatibility(std::string_view pattern) {
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      const char escaped = pattern[++i];
      const auto escape = "\"\\" + std::string(1, escaped) + "\"";
      if (escaped >= '1' && escaped <= '9') {
        return "the backreference " + escape;
      }
      if (escaped == 'k') {
        return "the named backreference " + escape;
      }
      if (escaped == 'u') {
        return "the escape " + escape + " (RE2 spells it \\x{...})";
      }
      if (escaped == 'c') {
        return "the control escape " + escape;
      }
      continue;
    }
    if (pattern[i] == '(') {
      const auto group = pattern.substr(i);
      for (std::string_view lookaround : {"(?=", "(?!", "(?<=", "(?<!"}) {
        if (group.starts_with(lookaround)) {
          return "the lookaround \"" + std::string(lookaround) + "\"";
        }
      }
      if (group.starts_with("(?>")) {
        return std::string("the atomic group \"(?>\"");
      }
    }
  }
  return std::nullopt;
}

// Builds the structural schema by walking the JSON Schema once; m_refs_in_progress detects $ref cycles,
// which a structural schema cannot express.
class StructuralSchemaBuilder {
public:
  explicit StructuralSchemaBuilder(const json& root) : m_root(root) {}

  Result<ordered_json> build() { return node(m_root, "", Role::root); }

private:
  enum class Role { root, property, items, map_values };

  Result<ordered_json> node(const json& schema, const std::string& path, Role role);
  Result<ordered_json> inline_ref(const json& schema, const std::string& path, Role role);
  Result<ordered_json> properties(const json& value, const std::string& path, Role role);

  const json& m_root;
  std::vector<std::string> m_refs_in_progress;
};

Result<ordered_json>
StructuralSchemaBuilder::inline_ref(const json& schema, const std::string& path, Role role) {
  const auto& ref = schema["$ref"];
  if (!ref.is_string() || !ref.get_ref<const std::string&>().starts_with("#/")) {
    return error_at(path, "$ref " + ref.dump() + " is not local: only #/... references can be inlined");
  }
  const auto pointer = ref.get<std::string>().substr(1);
  if (contains(m_refs_in_progress, pointer)) {
    return error_at(path,
                    "$ref \"#" + pointer + "\" is recursive: a structural schema cannot express recursion");
  }
  const json* target = nullptr;
  try {
    target = &m_root.at(json::json_pointer(pointer));
  } catch (const json::exception&) {
    return error_at(path, "$ref \"#" + pointer + "\" points at nothing in the schema");
  }
  if (!target->is_object()) {
    return error_at(path, "$ref \"#" + pointer + "\" does not point at a schema object");
  }
  // Draft 7 ignores the siblings of a $ref, but a description next to a $ref is how a field documents a
  // shared type in place, so siblings override the target's keywords here.
  json merged = *target;
  for (const auto& [key, value] : schema.items()) {
    if (key != "$ref") {
      merged[key] = value;
    }
  }
  m_refs_in_progress.push_back(pointer);
  auto built = node(merged, path, role);
  m_refs_in_progress.pop_back();
  return built;
}

Result<ordered_json>
StructuralSchemaBuilder::properties(const json& value, const std::string& path, Role role) {
  if (!value.is_object()) {
    return error_at(path, "properties must be an object");
  }
  ordered_json built = ordered_json::object();
  for (const auto& [name, schema] : value.items()) {
    if (role == Role::root && name == "metadata") {
      // The API server validates ObjectMeta itself and allows a CRD to say nothing more than its type here.
      built[name] = ordered_json{{"type", "object"}};
      continue;
    }
    auto property = node(schema, child_path(path, name), Role::property);
    if (!property) {
      return property.error();
    }
    built[name] = std::move(*property);
  }
  return built;
}

Result<ordered_json> StructuralSchemaBuilder::node(const json& schema, const std::string& path, Role role) {
  if (!schema.is_object()) {
    return error_at(path, "a schema must be an object, not " + schema.dump());
  }
  if (schema.contains("$ref")) {
    return inline_ref(schema, path, role);
  }
  std::optional<std::string> type;
  bool unique_items = false;
  // Every keyword except type goes here, so the output lists them sorted after type and description.
  Keywords keywords;
  for (const auto& [key, value] : schema.items()) {
    if (contains(k_dropped_keywords, key)) {
      continue;
    }
    if (key == "type") {
      if (!value.is_string()) {
        return error_at(path, "type must be one type name: a structural schema has no type unions");
      }
      type = value.get<std::string>();
    } else if (key == "description") {
      if (!value.is_string()) {
        return error_at(path, "description must be a string");
      }
      keywords[key] = value.get<std::string>();
    } else if (key == "properties") {
      auto built = properties(value, path, role);
      if (!built) {
        return built.error();
      }
      keywords[key] = std::move(*built);
    } else if (key == "additionalProperties") {
      if (value.is_boolean() && !value.get<bool>()) {
        // apiextensions v1 forbids it next to properties; pruning and strict field validation reject unknown
        // fields instead.
        continue;
      }
      if (!value.is_object()) {
        return error_at(path, "additionalProperties: true has no CRD equivalent: use "
                              "x-kubernetes-preserve-unknown-fields");
      }
      auto built = node(value, path + "{}", Role::map_values);
      if (!built) {
        return built.error();
      }
      keywords[key] = std::move(*built);
    } else if (key == "items") {
      if (!value.is_object()) {
        return error_at(path, "items must be one schema: a structural schema has no tuples");
      }
      auto built = node(value, path + "[]", Role::items);
      if (!built) {
        return built.error();
      }
      keywords[key] = std::move(*built);
    } else if (key == "required") {
      if (!value.is_array()) {
        return error_at(path, "required must be an array");
      }
      ordered_json names = ordered_json::array();
      for (const auto& name : value) {
        if (!name.is_string()) {
          return error_at(path, "required must list field names");
        }
        if (role != Role::root || !contains(k_server_owned_fields, name.get<std::string>())) {
          names.push_back(name.get<std::string>());
        }
      }
      if (!names.empty()) {
        keywords[key] = std::move(names);
      }
    } else if (key == "uniqueItems") {
      if (!value.is_boolean()) {
        return error_at(path, "uniqueItems must be a boolean");
      }
      unique_items = value.get<bool>();
    } else if (key == "pattern") {
      if (!value.is_string()) {
        return error_at(path, "pattern must be a string");
      }
      if (auto why = re2_incompatibility(value.get_ref<const std::string&>())) {
        return error_at(path, "pattern uses " + *why + ", which the API server's RE2 regexp cannot compile");
      }
      keywords[key] = value.get<std::string>();
    } else if (contains(k_copied_keywords, key) || key.starts_with("x-kubernetes-")) {
      keywords[key] = to_ordered(value);
    } else {
      return error_at(path, "keyword \"" + key + "\" has no equivalent in a CRD structural schema");
    }
  }

  if (unique_items) {
    // uniqueItems is forbidden in CRDs; a set list type makes the API server reject duplicates instead.
    const auto list_type = keywords.find("x-kubernetes-list-type");
    if (list_type == keywords.end()) {
      const auto items = keywords.find("items");
      if (items == keywords.end() || !is_primitive_type(items->second)) {
        return error_at(path, "uniqueItems needs scalar items: use x-kubernetes-list-type: map for objects");
      }
      keywords["x-kubernetes-list-type"] = "set";
    } else if (list_type->second == "atomic") {
      return error_at(path, "uniqueItems contradicts x-kubernetes-list-type: atomic");
    }
  }
  if (keywords.contains("properties") && keywords.contains("additionalProperties")) {
    return error_at(path, "properties and a schema in additionalProperties exclude each other in a CRD");
  }
  if (const auto required = keywords.find("required"); required != keywords.end()) {
    const auto props = keywords.find("properties");
    for (const auto& name : required->second) {
      if (props == keywords.end() || !props->second.contains(name.get<std::string>())) {
        return error_at(path,
                        "required field \"" + name.get<std::string>() + "\" is not among the properties");
      }
    }
  }

  ordered_json built = ordered_json::object();
  if (type) {
    built["type"] = *type;
  } else if (!is_true(keywords, "x-kubernetes-preserve-unknown-fields") &&
             !is_true(keywords, "x-kubernetes-int-or-string")) {
    return error_at(path, "has no type: a structural schema needs one on every field");
  }
  if ((keywords.contains("properties") || keywords.contains("additionalProperties")) && type != "object") {
    return error_at(path, "has properties, so its type must be object");
  }
  if (keywords.contains("items") && type != "array") {
    return error_at(path, "has items, so its type must be array");
  }
  const bool documented =
      keywords.contains("description") && !keywords["description"].get<std::string>().empty();
  // Every field needs a description for `kubectl explain`; the items and values of primitive lists and maps
  // are explained by their parent.
  const bool explained_by_parent =
      (role == Role::items || role == Role::map_values) && is_primitive_type(built);
  if (!documented && !explained_by_parent) {
    return error_at(path, "has no description: kubectl explain must print one for every field");
  }
  if (auto description = keywords.extract(std::string("description"))) {
    built["description"] = std::move(description.mapped());
  }
  for (auto& [key, value] : keywords) {
    built[key] = std::move(value);
  }
  return built;
}

// The schema node at `json_path` (".status.phase"), following properties, or nullptr.
const ordered_json* schema_at(const ordered_json& schema, std::string_view json_path) {
  const ordered_json* current = &schema;
  while (!json_path.empty()) {
    json_path.remove_prefix(1); // the leading '.'
    const auto end = json_path.find('.');
    const auto name = std::string(json_path.substr(0, end));
    json_path = end == std::string_view::npos ? std::string_view() : json_path.substr(end);
    const auto props = current->find("properties");
    if (props == current->end() || !props->contains(name)) {
      return nullptr;
    }
    current = &(*props)[name];
  }
  return current;
}

Result<ordered_json> printer_columns(const ordered_json& schema) {
  ordered_json columns = ordered_json::array();
  for (const auto& column : k_printer_columns) {
    ordered_json built = {{"name", column.name}, {"type", column.type}, {"jsonPath", column.json_path}};
    if (!column.json_path.starts_with(".metadata.")) {
      // A column on a field the schema lacks would silently show <none>: fail instead.
      const auto* field = schema_at(schema, column.json_path);
      if (field == nullptr) {
        return make_error("printer column " + std::string(column.name) + ": " +
                          std::string(column.json_path) + " is not in the schema");
      }
      if (field->value("type", "") != column.type) {
        return make_error("printer column " + std::string(column.name) + ": " +
                          std::string(column.json_path) + " is not of type " + std::string(column.type));
      }
      built["description"] = field->value("description", "");
    }
    columns.push_back(std::move(built));
  }
  return columns;
}

// go-yaml, which kubectl and the API server read YAML with, follows YAML 1.1: a plain `yes`, `on` or `y` is a
// boolean there, and yaml-cpp writes such strings plain. Quote every string a YAML 1.1 or 1.2 reader could
// take for a boolean, null or number.
bool resolves_to_non_string(std::string_view text) {
  if (text.empty()) {
    return true;
  }
  std::string lower;
  std::transform(text.begin(), text.end(), std::back_inserter(lower),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  constexpr std::array<std::string_view, 12> k_special = {"y",  "yes", "n", "no", "true", "false",
                                                          "on", "off", "~", "=",  "<<",   "null"};
  if (contains(k_special, lower)) {
    return true;
  }
  const auto first = static_cast<unsigned char>(text[0]);
  if (std::isdigit(first) != 0) {
    return true;
  }
  if ((first == '+' || first == '-' || first == '.') && text.size() > 1) {
    const auto second = static_cast<unsigned char>(text[1]);
    return std::isdigit(second) != 0 || second == '.' || lower.ends_with("inf") || lower.ends_with("nan");
  }
  return false;
}

void emit_string(YAML::Emitter& out, const std::string& text) {
  if (resolves_to_non_string(text)) {
    out << YAML::DoubleQuoted;
  }
  out << text;
}

void emit(YAML::Emitter& out, const ordered_json& value) {
  switch (value.type()) {
  case ordered_json::value_t::object:
    if (value.empty()) {
      out << YAML::Flow;
    }
    out << YAML::BeginMap;
    for (const auto& [key, child] : value.items()) {
      out << YAML::Key;
      emit_string(out, key);
      out << YAML::Value;
      emit(out, child);
    }
    out << YAML::EndMap;
    break;
  case ordered_json::value_t::array:
    if (value.empty()) {
      out << YAML::Flow;
    }
    out << YAML::BeginSeq;
    for (const auto& child : value) {
      emit(out, child);
    }
    out << YAML::EndSeq;
    break;
  case ordered_json::value_t::string:
    emit_string(out, value.get_ref<const std::string&>());
    break;
  case ordered_json::value_t::boolean:
    out << value.get<bool>();
    break;
  case ordered_json::value_t::number_integer:
    out << value.get<std::int64_t>();
    break;
  case ordered_json::value_t::number_unsigned:
    out << value.get<std::uint64_t>();
    break;
  case ordered_json::value_t::number_float:
    // nlohmann prints the shortest text that reads back as the same double; yaml-cpp would print 17 digits.
    out << value.dump();
    break;
  default:
    out << YAML::Null;
    break;
  }
}

} // namespace

Result<ordered_json> to_structural_schema(const json& schema) {
  return StructuralSchemaBuilder(schema).build();
}

Result<std::string> render_stack_crd(const json& schema) {
  auto structural = to_structural_schema(schema);
  if (!structural) {
    return structural.error();
  }
  auto columns = printer_columns(*structural);
  if (!columns) {
    return columns.error();
  }

  ordered_json version = ordered_json::object();
  version["name"] = "v1";
  version["served"] = true;
  version["storage"] = true;
  version["subresources"] = {{"status", ordered_json::object()}};
  version["additionalPrinterColumns"] = std::move(*columns);
  version["schema"] = {{"openAPIV3Schema", std::move(*structural)}};

  ordered_json crd = ordered_json::object();
  crd["apiVersion"] = "apiextensions.k8s.io/v1";
  crd["kind"] = "CustomResourceDefinition";
  crd["metadata"] = {{"name", "stacks.herd.suse.com"}};
  crd["spec"]["group"] = "herd.suse.com";
  crd["spec"]["names"] = {
      {"kind", "Stack"},
      {"listKind", "StackList"},
      {"plural", "stacks"},
      {"singular", "stack"},
      {"shortNames", ordered_json::array({"stk"})},
      {"categories", ordered_json::array({"herd"})},
  };
  crd["spec"]["scope"] = "Namespaced";
  crd["spec"]["versions"] = ordered_json::array({std::move(version)});

  YAML::Emitter out;
  out.SetIndent(2);
  emit(out, crd);
  if (!out.good()) {
    return make_error("cannot emit YAML: " + out.GetLastError());
  }
  return std::string(k_generated_header) + "\n" + out.c_str() + "\n";
}

Result<std::string> render_stack_crd_file(const std::filesystem::path& schema_path) {
  std::ifstream in(schema_path, std::ios::binary);
  if (!in) {
    return make_error("cannot open the schema", schema_path.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  json schema;
  try {
    schema = json::parse(text.str());
  } catch (const json::parse_error& e) {
    return make_error(e.what(), schema_path.string());
  }
  auto crd = render_stack_crd(schema);
  if (!crd) {
    auto error = crd.error();
    error.file = schema_path.string();
    return error;
  }
  return crd;
}

} // namespace herd::crdgen
