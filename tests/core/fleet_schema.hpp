#pragma once

// Fleet's own Bundle schema, read at test time from the shared reference copy of the Fleet CRD chart
// (../shared/reference/fleet/bundles.fleet.cattle.io.yaml, never copied into this repository), and the checks
// every rendered Bundle must pass (DESIGN §5): valijson validation against the CRD's openAPIV3Schema, a walk
// that rejects every field the schema does not declare (what the API server's strict field validation,
// kubectl's default, rejects), and the metadata limits the API server and Fleet enforce.

#include <herd/core/yaml_loader.hpp>

#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <algorithm>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace herd::test {

// The path of `file` in the shared Fleet reference folder, which sits next to the repository.
inline std::string fleet_reference_path(const std::string& file) {
  return std::string(HERD_SOURCE_DIR) + "/../shared/reference/fleet/" + file;
}

// Kubernetes' OpenAPI v3 dialect as JSON Schema: `nullable: true` becomes a "null" alternative of `type`.
// Every other keyword stays; valijson ignores the ones it does not know (x-kubernetes-*, nullable). The CRD
// is a trusted file of bounded depth, so the recursion is bounded.
inline nlohmann::json openapi_to_json_schema(const nlohmann::json& schema) {
  if (schema.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : schema) {
      out.push_back(openapi_to_json_schema(item));
    }
    return out;
  }
  if (!schema.is_object()) {
    return schema;
  }
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : schema.items()) {
    // `properties` holds names, `enum`, `required` and `default` hold data: only schemas are converted.
    if (key == "enum" || key == "required" || key == "default" || key == "example") {
      out[key] = value;
    } else if (key == "properties" && value.is_object()) {
      out[key] = nlohmann::json::object();
      for (const auto& [name, property] : value.items()) {
        out[key][name] = openapi_to_json_schema(property);
      }
    } else {
      out[key] = openapi_to_json_schema(value);
    }
  }
  if (schema.value("nullable", false) && schema.contains("type") && schema["type"].is_string()) {
    out["type"] = nlohmann::json::array({schema["type"], "null"});
  }
  return out;
}

// Fleet's Bundle CRD schema (spec.versions[0].schema.openAPIV3Schema), loaded once per test program.
class FleetBundleSchema {
public:
  static const FleetBundleSchema& get() {
    static const FleetBundleSchema instance(fleet_reference_path("bundles.fleet.cattle.io.yaml"));
    return instance;
  }

  // Why the schema could not be loaded; empty when it was.
  [[nodiscard]] const std::string& load_error() const { return m_error; }
  // The openAPIV3Schema as the CRD states it.
  [[nodiscard]] const nlohmann::json& openapi() const { return m_openapi; }

  // valijson's findings for `bundle`, one line each ("<root> [spec] [helm] [releaseName]: text"), without the
  // errors valijson adds for every parent of a failing node. Empty = valid.
  [[nodiscard]] std::vector<std::string> validation_errors(const nlohmann::json& bundle) const {
    if (!m_error.empty()) {
      return {"Fleet's Bundle schema is not loaded: " + m_error};
    }
    valijson::Validator validator;
    valijson::ValidationResults results;
    const valijson::adapters::NlohmannJsonAdapter target(bundle);
    if (validator.validate(*m_schema, target, &results)) {
      return {};
    }
    std::vector<std::pair<std::string, std::string>> errors; // context, description
    valijson::ValidationResults::Error error;
    while (results.popError(error)) {
      std::string where;
      for (const auto& part : error.context) {
        where += (where.empty() ? "" : " ") + part;
      }
      errors.emplace_back(where, error.description);
    }
    std::vector<std::string> out;
    for (const auto& entry : errors) {
      const std::string& where = entry.first;
      // A parent's error only repeats that a child failed: keep the innermost errors.
      const bool repeats_a_child = std::any_of(errors.begin(), errors.end(), [&](const auto& other) {
        return other.first.size() > where.size() &&
               other.first.compare(0, where.size() + 1, where + " ") == 0;
      });
      const std::string line = where + ": " + entry.second;
      if (!repeats_a_child && std::find(out.begin(), out.end(), line) == out.end()) {
        out.push_back(line);
      }
    }
    return out;
  }

  // The JSON paths (spec.helm.valuesFromm) of every field of `bundle` the schema does not declare: object
  // members are looked up in `properties`, then in an `additionalProperties` schema (maps such as
  // namespaceLabels); array elements in `items`; below `x-kubernetes-preserve-unknown-fields: true`
  // (helm.values) anything goes. `metadata` is Kubernetes' ObjectMeta, which the CRD leaves to the API
  // server: only the members Herd may render (name, namespace, labels, annotations) are accepted there.
  [[nodiscard]] std::vector<std::string> undeclared_fields(const nlohmann::json& bundle) const {
    if (!m_error.empty()) {
      return {"Fleet's Bundle schema is not loaded: " + m_error};
    }
    if (!bundle.is_object()) {
      return {"<root>: not an object"};
    }
    std::vector<std::string> out;
    const nlohmann::json& properties = m_openapi.at("properties");
    for (const auto& [key, value] : bundle.items()) {
      if (key == "metadata") {
        if (!value.is_object()) {
          continue;
        }
        for (const auto& [member, ignored] : value.items()) {
          if (member != "name" && member != "namespace" && member != "labels" && member != "annotations") {
            out.push_back("metadata." + member);
          }
        }
      } else if (const auto property = properties.find(key); property != properties.end()) {
        walk(value, *property, key, out);
      } else {
        out.push_back(key);
      }
    }
    return out;
  }

  // The JSON paths of the nulls in `bundle` outside free-form values. Herd never renders null (it omits what
  // it does not set), even where Fleet's schema is nullable.
  [[nodiscard]] std::vector<std::string> null_fields(const nlohmann::json& bundle) const {
    std::vector<std::string> out;
    find_nulls(bundle, m_openapi, "", out);
    return out;
  }

private:
  explicit FleetBundleSchema(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      m_error = "cannot read " + path;
      return;
    }
    std::ostringstream text;
    text << file.rdbuf();
    const core::YamlDocument crd = core::parse_yaml_document(text.str(), path);
    try {
      if (!crd.parsed) {
        throw std::runtime_error("not parsable YAML");
      }
      if (crd.value.at("kind") != "CustomResourceDefinition" ||
          crd.value.at("spec").at("names").at("kind") != "Bundle") {
        throw std::runtime_error("not the CustomResourceDefinition of Bundle");
      }
      m_openapi = crd.value.at("spec").at("versions").at(0).at("schema").at("openAPIV3Schema");
      m_json_schema = openapi_to_json_schema(m_openapi);
      m_schema = std::make_unique<valijson::Schema>();
      valijson::SchemaParser parser(valijson::SchemaParser::kDraft4);
      const valijson::adapters::NlohmannJsonAdapter adapter(m_json_schema);
      parser.populateSchema(adapter, *m_schema);
    } catch (const std::exception& e) {
      m_error = path + ": " + e.what();
      m_schema.reset();
    }
  }

  static void walk(const nlohmann::json& value,
                   const nlohmann::json& schema,
                   const std::string& path,
                   std::vector<std::string>& out) {
    const bool preserve = schema.value("x-kubernetes-preserve-unknown-fields", false);
    if (value.is_object()) {
      const auto properties = schema.find("properties");
      const auto additional = schema.find("additionalProperties");
      for (const auto& [key, child] : value.items()) {
        std::string child_path = path;
        child_path.append(".").append(key);
        if (properties != schema.end() && properties->contains(key)) {
          walk(child, (*properties)[key], child_path, out);
        } else if (additional != schema.end() && additional->is_object()) {
          walk(child, *additional, child_path, out);
        } else if (!preserve &&
                   !(additional != schema.end() && additional->is_boolean() && additional->get<bool>())) {
          out.push_back(child_path);
        }
      }
    } else if (value.is_array()) {
      const auto items = schema.find("items");
      for (std::size_t i = 0; i < value.size(); ++i) {
        const std::string child_path = path + "[" + std::to_string(i) + "]";
        if (items != schema.end() && items->is_object()) {
          walk(value[i], *items, child_path, out);
        } else if (!preserve && (value[i].is_object() || value[i].is_array())) {
          out.push_back(child_path);
        }
      }
    }
  }

  static void find_nulls(const nlohmann::json& value,
                         const nlohmann::json& schema,
                         const std::string& path,
                         std::vector<std::string>& out) {
    if (value.is_null()) {
      out.push_back(path.empty() ? "<root>" : path);
      return;
    }
    if (schema.value("x-kubernetes-preserve-unknown-fields", false)) {
      return; // free-form values: a null there is a user's value (Helm deletes the key)
    }
    static const nlohmann::json no_schema = nlohmann::json::object();
    if (value.is_object()) {
      for (const auto& [key, child] : value.items()) {
        const nlohmann::json* child_schema = &no_schema;
        if (schema.contains("properties") && schema["properties"].contains(key)) {
          child_schema = &schema["properties"][key];
        } else if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object()) {
          child_schema = &schema["additionalProperties"];
        }
        std::string child_path = path;
        child_path.append(path.empty() ? "" : ".").append(key);
        find_nulls(child, *child_schema, child_path, out);
      }
    } else if (value.is_array()) {
      const nlohmann::json& items = schema.contains("items") ? schema["items"] : no_schema;
      for (std::size_t i = 0; i < value.size(); ++i) {
        find_nulls(value[i], items, path + "[" + std::to_string(i) + "]", out);
      }
    }
  }

  std::string m_error;
  nlohmann::json m_openapi = nlohmann::json::object();
  nlohmann::json m_json_schema;
  std::unique_ptr<valijson::Schema> m_schema;
};

// Whether `text` is a DNS-1123 label (Kubernetes' rule for most names): at most `max` lower-case
// alphanumerics or '-', starting and ending with an alphanumeric.
inline bool is_dns_label(const std::string& text, std::size_t max = 63) {
  static const std::regex pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
  return !text.empty() && text.size() <= max && std::regex_match(text, pattern);
}

// Whether `text` is a DNS-1123 subdomain: dot-separated labels, at most 253 characters.
inline bool is_dns_subdomain(const std::string& text) {
  static const std::regex pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
  return !text.empty() && text.size() <= 253 && std::regex_match(text, pattern);
}

// Whether `key` is a valid label or annotation key: an optional DNS-subdomain prefix and '/', then a name of
// at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric.
inline bool is_qualified_name(const std::string& key) {
  static const std::regex name("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$");
  const std::size_t slash = key.find('/');
  const std::string local = slash == std::string::npos ? key : key.substr(slash + 1);
  if (slash != std::string::npos && !is_dns_subdomain(key.substr(0, slash))) {
    return false;
  }
  return !local.empty() && local.size() <= 63 && std::regex_match(local, name);
}

// Whether `value` is a valid label value: empty, or at most 63 alphanumerics, '-', '_' or '.', starting and
// ending with an alphanumeric.
inline bool is_label_value(const std::string& value) {
  static const std::regex pattern("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$");
  return value.size() <= 63 && std::regex_match(value, pattern);
}

// What the API server and Fleet refuse in a Bundle's identity and metadata: apiVersion/kind, the name (a
// DNS-1123 label of at most 53 characters: Fleet derives Helm release and BundleDeployment names from it),
// the namespace, label keys and values (≤ 63), annotation keys and string values.
inline std::vector<std::string> metadata_problems(const nlohmann::json& bundle) {
  std::vector<std::string> out;
  if (bundle.value("apiVersion", "") != "fleet.cattle.io/v1alpha1" || bundle.value("kind", "") != "Bundle") {
    out.push_back("not a fleet.cattle.io/v1alpha1 Bundle: " + bundle.value("apiVersion", "?") + " " +
                  bundle.value("kind", "?"));
  }
  const nlohmann::json metadata = bundle.value("metadata", nlohmann::json::object());
  const std::string name = metadata.value("name", "");
  if (!is_dns_label(name, 53)) {
    out.push_back("metadata.name \"" + name + "\" is not a DNS-1123 label of at most 53 characters");
  }
  const std::string namespace_name = metadata.value("namespace", "");
  if (!is_dns_label(namespace_name)) {
    out.push_back("metadata.namespace \"" + namespace_name + "\" is not a DNS-1123 label");
  }
  const nlohmann::json labels = metadata.value("labels", nlohmann::json::object());
  for (const auto& [key, value] : labels.items()) {
    if (!is_qualified_name(key)) {
      out.push_back("label key \"" + key + "\" is not a qualified name");
    }
    if (!value.is_string() || !is_label_value(value.get<std::string>())) {
      out.push_back("label " + key + "=" + value.dump() +
                    " is not a valid label value (at most 63 characters)");
    }
  }
  const nlohmann::json annotations = metadata.value("annotations", nlohmann::json::object());
  for (const auto& [key, value] : annotations.items()) {
    if (!is_qualified_name(key)) {
      out.push_back("annotation key \"" + key + "\" is not a qualified name");
    }
    if (!value.is_string()) {
      out.push_back("annotation " + key + " is not a string");
    }
  }
  return out;
}

// Everything Fleet (or the API server in front of it) would refuse in `bundle`, one line each: schema
// violations, undeclared fields, nulls and metadata problems. Empty = Fleet accepts it.
inline std::vector<std::string> fleet_problems(const nlohmann::json& bundle) {
  const FleetBundleSchema& schema = FleetBundleSchema::get();
  std::vector<std::string> out = schema.validation_errors(bundle);
  for (const auto& path : schema.undeclared_fields(bundle)) {
    out.push_back(path + ": field not declared by Fleet's Bundle schema");
  }
  for (const auto& path : schema.null_fields(bundle)) {
    out.push_back(path + ": null");
  }
  for (auto& problem : metadata_problems(bundle)) {
    out.push_back(std::move(problem));
  }
  return out;
}

// `lines` one per line, for failure messages.
inline std::string lines_text(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    out += "  " + line + "\n";
  }
  return out.empty() ? std::string("  (none)\n") : out;
}

} // namespace herd::test
