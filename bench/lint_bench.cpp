// Lint throughput against its floor: reading the same YAML stream with yaml-cpp's event parser, building
// nothing. The fixture is examples/rag-inference-platform.yaml repeated as a multi-document stream.
#include <herd/core/diagnostic_sink.hpp>
#include <herd/core/linter.hpp>
#include <herd/core/policy.hpp>
#include <herd/core/schema_validator.hpp>
#include <herd/core/yaml_loader.hpp>
#include <herd/schema/embedded.hpp>

#include <benchmark/benchmark.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace {

constexpr int k_documents = 1000;

std::string fixture_stream() {
  std::ifstream file(HERD_SOURCE_DIR "/examples/rag-inference-platform.yaml");
  std::ostringstream text;
  text << file.rdbuf();
  if (text.str().empty()) {
    throw std::runtime_error("fixture missing");
  }
  std::string stream;
  for (int i = 0; i < k_documents; ++i) {
    stream += "---\n" + text.str();
  }
  return stream;
}

const std::string& stream_text() {
  static const std::string text = fixture_stream();
  return text;
}

class NullHandler : public YAML::EventHandler {
public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void
  OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
  }
  void OnMapEnd() override {}
};

// The floor: yaml-cpp's event parser over the stream, no model built.
void BM_EventParserFloor(benchmark::State& state) {
  for (auto _ : state) {
    std::istringstream input(stream_text());
    YAML::Parser parser(input);
    NullHandler handler;
    int documents = 0;
    while (parser.HandleNextDocument(handler)) {
      ++documents;
    }
    benchmark::DoNotOptimize(documents);
  }
  state.SetItemsProcessed(state.iterations() * k_documents);
}
BENCHMARK(BM_EventParserFloor)->Unit(benchmark::kMillisecond);

// For reference: the YAML::Node API (what Herd avoids).
void BM_NodeApiLoadAll(benchmark::State& state) {
  for (auto _ : state) {
    auto nodes = YAML::LoadAll(stream_text());
    benchmark::DoNotOptimize(nodes.size());
  }
  state.SetItemsProcessed(state.iterations() * k_documents);
}
BENCHMARK(BM_NodeApiLoadAll)->Unit(benchmark::kMillisecond);

// kubectl herd lint's work: load with positions, default + inject policy, schema, graph and policy rules.
void BM_LintStream(benchmark::State& state) {
  auto linter = herd::core::Linter::create(herd::core::default_policy());
  if (!linter) {
    state.SkipWithError("linter");
    return;
  }
  for (auto _ : state) {
    std::istringstream input(stream_text());
    herd::core::Diagnostics findings;
    const auto summary = (*linter)->lint_stream(input, "bench.yaml", findings);
    if (summary.stacks != k_documents || !findings.empty()) {
      state.SkipWithError("unexpected findings");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * k_documents);
}
BENCHMARK(BM_LintStream)->Unit(benchmark::kMillisecond);

// The parts of lint that the required libraries fix: their sum is the least any lint built on them can cost,
// whatever Herd's own code does.

// Loading: the same event parser, building the json that valijson reads and the source map of positions.
void BM_LoadStream(benchmark::State& state) {
  for (auto _ : state) {
    std::istringstream input(stream_text());
    int documents = 0;
    herd::core::read_yaml_stream(input, "bench.yaml", [&](herd::core::YamlDocument& document) {
      documents += document.parsed ? 1 : 0;
    });
    if (documents != k_documents) {
      state.SkipWithError("load failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * k_documents);
}
BENCHMARK(BM_LoadStream)->Unit(benchmark::kMillisecond);

// Schema validation alone (valijson, plus the pattern walk that stands in for its std::regex), on the
// document lint validates: the fixture after defaults and policy injection, built once outside the loop.
void BM_SchemaValidateOnly(benchmark::State& state) {
  auto linter = herd::core::Linter::create(herd::core::default_policy());
  auto validator = herd::core::SchemaValidator::create(herd::embedded::stack_schema_json());
  if (!linter || !validator) {
    state.SkipWithError("linter or validator");
    return;
  }
  std::istringstream input(stream_text().substr(0, stream_text().size() / k_documents));
  nlohmann::json effective;
  herd::core::read_yaml_stream(input, "bench.yaml", [&](herd::core::YamlDocument& document) {
    herd::core::Diagnostics findings;
    herd::core::DiagnosticSink sink(findings, "bench.yaml", &document.source_map);
    (*linter)->check_stack(std::move(document.value), sink, nullptr, &effective);
  });
  if (!effective.is_object()) {
    state.SkipWithError("fixture did not load");
    return;
  }
  for (auto _ : state) {
    herd::core::Diagnostics findings;
    herd::core::DiagnosticSink sink(findings, "bench.yaml", nullptr);
    for (int i = 0; i < k_documents; ++i) {
      if (!(*validator)->validate(effective, sink)) {
        state.SkipWithError("the fixture should be valid");
        return;
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * k_documents);
}
BENCHMARK(BM_SchemaValidateOnly)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
