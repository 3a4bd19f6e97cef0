#pragma once

#include <herd/core/diagnostic_sink.hpp>
#include <herd/core/result.hpp>

#include <nlohmann/json.hpp>

#include <memory>
#include <string_view>

namespace herd::core {

// Validates JSON documents against a JSON Schema (draft 7) with valijson and turns its errors into located
// Diagnostics with stable rule ids and "did you mean" hints.
//
// Not thread-safe (valijson caches compiled regexes in the validator): use one instance per thread. The
// schema is parsed once, in create().
class SchemaValidator {
public:
  // Fails when `schema_json` is not a valid schema.
  static Result<std::shared_ptr<SchemaValidator>> create(std::string_view schema_json);
  ~SchemaValidator();
  SchemaValidator(const SchemaValidator&) = delete;
  SchemaValidator& operator=(const SchemaValidator&) = delete;
  SchemaValidator(SchemaValidator&&) = delete;
  SchemaValidator& operator=(SchemaValidator&&) = delete;

  // Reports every schema violation of `document` to `sink`. Returns whether the document is valid.
  bool validate(const nlohmann::json& document, DiagnosticSink& sink);

  // The schema itself (for descriptions, defaults and suggestions).
  [[nodiscard]] const nlohmann::json& schema() const;

private:
  struct Impl;
  explicit SchemaValidator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

// The subschema describing the value at `path` of a document (following properties, items,
// additionalProperties and local $refs), or nullptr when the schema says nothing about it.
const nlohmann::json* subschema_at(const nlohmann::json& schema, std::string_view path);

} // namespace herd::core
