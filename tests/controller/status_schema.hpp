#pragma once

// The Stack status schema (schema/stack.schema.json, properties.status): valijson validation (types, enums,
// required condition fields, date-time formats) plus a walk rejecting every field the schema does not
// declare, so the reconciler never writes a status the apiserver would prune.

#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace herd::test {

class StatusSchema {
public:
  static const StatusSchema& get() {
    static const StatusSchema instance;
    return instance;
  }

  // Every problem of `status`, one line each; empty = valid.
  [[nodiscard]] std::vector<std::string> problems(const nlohmann::json& status) const {
    std::vector<std::string> out;
    valijson::Validator validator;
    valijson::ValidationResults results;
    const valijson::adapters::NlohmannJsonAdapter target(status);
    if (!validator.validate(m_schema, target, &results)) {
      valijson::ValidationResults::Error error;
      while (results.popError(error)) {
        std::string where;
        for (const auto& part : error.context) {
          where += part;
        }
        out.push_back(where + ": " + error.description);
      }
    }
    undeclared(status, m_json, "status", out);
    return out;
  }

private:
  StatusSchema() {
    std::ifstream file(std::string(HERD_SOURCE_DIR) + "/schema/stack.schema.json");
    m_json = nlohmann::json::parse(file)["properties"]["status"];
    valijson::SchemaParser parser;
    const valijson::adapters::NlohmannJsonAdapter adapter(m_json);
    parser.populateSchema(adapter, m_schema);
  }

  // The schema is a trusted file of bounded depth; so is a status.
  static void undeclared(const nlohmann::json& value,
                         const nlohmann::json& schema,
                         const std::string& where,
                         std::vector<std::string>& out) {
    if (value.is_object() && schema.contains("properties")) {
      for (const auto& [key, member] : value.items()) {
        if (!schema["properties"].contains(key)) {
          out.push_back(where + "." + key + ": not declared in the schema");
        } else {
          undeclared(member, schema["properties"][key], where + "." + key, out);
        }
      }
    } else if (value.is_array() && schema.contains("items")) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        undeclared(value[i], schema["items"], where + "[" + std::to_string(i) + "]", out);
      }
    }
  }

  nlohmann::json m_json;
  valijson::Schema m_schema;
};

} // namespace herd::test
