#pragma once

#include <herd/core/diagnostic.hpp>
#include <herd/core/linter.hpp>
#include <herd/core/policy.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

namespace herd::test {

// Size tests run at full size, and at a tenth under the sanitizers, whose 10-20x slowdown would otherwise
// dominate CI; the code paths are the same.
#if defined(HERD_SANITIZE)
inline constexpr std::size_t k_big_stream_bytes = 5'000'000;
inline constexpr std::size_t k_big_chart_count = 10'000;
#else
inline constexpr std::size_t k_big_stream_bytes = 50'000'000;
inline constexpr std::size_t k_big_chart_count = 100'000;
#endif

// A Linter with `policy` (the built-in one by default); null, with a test failure, when it cannot be created.
inline std::shared_ptr<core::Linter> make_linter(const core::Policy& policy = core::default_policy()) {
  auto linter = core::Linter::create(policy);
  if (!linter) {
    ADD_FAILURE() << "Linter::create failed: " << linter.error().message;
    return nullptr;
  }
  return std::move(linter).value();
}

// The "Complete RAG platform" Stack of the product description (seeds/000), verbatim: prod, security and
// observability enabled, three charts (gpu-operator <- qdrant <- ollama); trailing blanks trimmed. It must
// lint clean.
inline constexpr std::string_view k_rag_inference_platform = R"(apiVersion: herd.suse.com/v1
kind: Stack
metadata:
  name: rag-inference-platform
  namespace: default
spec:
  env: prod
  security: enabled      # NeuVector scanning for all AI components
  observability: enabled # Full observability stack
  targets:
    selector:
      matchLabels:
        env: prod
        workload: ai-ml
        gpu: "true"
  charts:
    # GPU Infrastructure
    - name: gpu-operator
      repo: https://helm.ngc.nvidia.com/nvidia
      version: "23.9.1"
      namespace: gpu-operator
      releaseName: gpu-operator
      values:
        inline:
          driver:
            enabled: true
          toolkit:
            enabled: true
      wait: true
      timeout: "15m"

    # Vector Database for Embeddings
    - name: qdrant
      repo: https://qdrant.github.io/qdrant-helm
      version: "0.7.4"
      namespace: vector-db
      releaseName: qdrant
      values:
        inline:
          persistence:
            size: "500Gi"
            storageClass: "fast-ssd"
          resources:
            requests:
              memory: "8Gi"
              cpu: "2"
            limits:
              memory: "16Gi"
              cpu: "4"
      dependsOn:
        - gpu-operator
      wait: true

    # LLM Inference Engine
    - name: ollama
      repo: https://otwld.github.io/ollama-helm/
      version: "0.59.0"
      namespace: llm-serving
      releaseName: ollama
      values:
        inline:
          replicaCount: 3
          resources:
            requests:
              nvidia.com/gpu: 1
              memory: "16Gi"
            limits:
              nvidia.com/gpu: 1
              memory: "32Gi"
          persistence:
            enabled: true
            size: "100Gi"
      dependsOn:
        - gpu-operator
        - qdrant
      wait: true
)";

// A small valid Stack. Its lines are numbered so tests can name positions; `chart_fields` are appended to the
// one chart "app" (from line 13, indented 6 spaces) and `spec_fields` after them (indented 2 spaces).
inline std::string stack_yaml(std::string_view chart_fields = "", std::string_view spec_fields = "") {
  std::string text = "apiVersion: herd.suse.com/v1\n"           // 1
                     "kind: Stack\n"                            // 2
                     "metadata:\n"                              // 3
                     "  name: demo\n"                           // 4
                     "  namespace: default\n"                   // 5
                     "spec:\n"                                  // 6
                     "  targets:\n"                             // 7
                     "    clusterIds: [c-m-gpu01]\n"            // 8
                     "  charts:\n"                              // 9
                     "    - name: app\n"                        // 10
                     "      repo: https://charts.example.com\n" // 11
                     "      version: \"1.2.3\"\n";              // 12
  text += chart_fields;
  text += spec_fields;
  return text;
}

// `text` with the first `from` replaced by `to` (a test failure when `from` is absent).
inline std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const std::size_t at = text.find(from);
  if (at == std::string::npos) {
    ADD_FAILURE() << "\"" << from << "\" not in the test input";
    return text;
  }
  return text.replace(at, from.size(), to);
}

// Every finding of linting `yaml` as the file `file` with `linter` (null: one shared Linter with the built-in
// policy). `summary` (optional) receives the stream summary.
inline core::Diagnostics lint_text(std::string_view yaml,
                                   std::string_view file = "stack.yaml",
                                   core::Linter* linter = nullptr,
                                   core::StreamSummary* summary = nullptr) {
  static const std::shared_ptr<core::Linter> default_linter = make_linter();
  core::Linter* use = linter != nullptr ? linter : default_linter.get();
  core::Diagnostics out;
  std::istringstream input{std::string(yaml)};
  const core::StreamSummary result = use->lint_stream(input, file, out);
  if (summary != nullptr) {
    *summary = result;
  }
  return out;
}

// The findings with rule `rule`.
inline core::Diagnostics with_rule(const core::Diagnostics& diagnostics, std::string_view rule) {
  core::Diagnostics out;
  std::copy_if(diagnostics.begin(), diagnostics.end(), std::back_inserter(out),
               [&](const core::Diagnostic& d) { return d.rule == rule; });
  return out;
}

// All findings as compiler-style lines, for failure messages.
inline std::string describe(const core::Diagnostics& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) {
    out += core::format_diagnostic(d) + " {" + d.path + "}\n";
  }
  return out.empty() ? std::string("(no findings)\n") : out;
}

} // namespace herd::test
