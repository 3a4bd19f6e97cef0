#pragma once

#include <herd/core/diagnostic_sink.hpp>
#include <herd/core/policy.hpp>
#include <herd/core/result.hpp>
#include <herd/core/stack_mutator.hpp>
#include <herd/core/yaml_loader.hpp>

#include <nlohmann/json.hpp>

#include <istream>
#include <memory>
#include <string_view>
#include <utility>

namespace herd::core {

class SchemaValidator;

struct StreamSummary {
  std::size_t documents = 0;
  std::size_t stacks = 0;
};

// The one judge of a Stack: kubectl herd lint, plan and the admission webhook all call it, so they give the
// same verdict on the same input. Not thread-safe (it owns a schema validator): one per thread.
class Linter {
public:
  // Fails only if the embedded Stack schema is broken (a build defect).
  static Result<std::shared_ptr<Linter>> create(Policy policy);

  // Judges one Stack as the API server will store it: applies defaults and policy injection to a copy, then
  // checks the schema, the graph and the policy. Findings go to `sink`; `mutation` (optional) receives what
  // the mutating webhook would change; `effective` (optional) the mutated Stack.
  void check_stack(nlohmann::json document,
                   DiagnosticSink& sink,
                   MutationResult* mutation = nullptr,
                   nlohmann::json* effective = nullptr);

  // Judges an UPDATE: `document` as check_stack does, plus what may not change from `old_document` (the
  // stored Stack), e.g. a chart's namespace.
  void check_update(const nlohmann::json& old_document,
                    nlohmann::json document,
                    DiagnosticSink& sink,
                    MutationResult* mutation = nullptr,
                    nlohmann::json* effective = nullptr);

  // Lints every document of a YAML stream, one at a time. Syntax errors, duplicate keys and every finding of
  // every Stack go to `out`; documents that are not Stacks are skipped.
  StreamSummary lint_stream(std::istream& input, std::string_view file, Diagnostics& out);

  [[nodiscard]] const Policy& policy() const { return m_policy; }
  // Judges by `policy` from now on. The compiled schema does not depend on the policy, so a reload re-aims a
  // Linter instead of building a new one (about 2 MiB of small allocations each time).
  void adopt_policy(Policy policy) { m_policy = std::move(policy); }

private:
  Linter(Policy policy, std::shared_ptr<SchemaValidator> validator);
  Policy m_policy;
  std::shared_ptr<SchemaValidator> m_validator;
};

} // namespace herd::core
