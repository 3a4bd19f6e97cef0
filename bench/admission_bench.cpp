// The admission handler alone (no TLS, no HTTP): CPU per AdmissionReview on each endpoint, the part of the
// webhook's cost that is Herd's own. The body is tests/fixtures/admission/request-create.json (the RAG
// Stack).
#include <herd/webhook/admission_handler.hpp>
#include <herd/webhook/policy_store.hpp>

#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace {

std::string review_body() {
  std::ifstream file(HERD_SOURCE_DIR "/tests/fixtures/admission/request-create.json");
  std::ostringstream text;
  text << file.rdbuf();
  if (text.str().empty()) {
    throw std::runtime_error("fixture missing");
  }
  return text.str();
}

void admit(benchmark::State& state, herd::webhook::AdmissionEndpoint endpoint) {
  const herd::webhook::PolicyStore policies;
  const herd::webhook::AdmissionHandler handler(policies);
  const std::string body = review_body();
  for (auto _ : state) {
    auto outcome = handler.handle(endpoint, body);
    benchmark::DoNotOptimize(outcome);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}

void BM_ValidateStack(benchmark::State& state) {
  admit(state, herd::webhook::AdmissionEndpoint::validate);
}
void BM_MutateStack(benchmark::State& state) {
  admit(state, herd::webhook::AdmissionEndpoint::mutate);
}

} // namespace

BENCHMARK(BM_ValidateStack)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MutateStack)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
