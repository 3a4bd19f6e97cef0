// libFuzzer target: any bytes as a YAML stream through the full lint (loader, mutation, schema, graph,
// policy). Lint must answer with findings, never crash, hang or leak.
#include <herd/core/linter.hpp>
#include <herd/core/policy.hpp>

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto linter = herd::core::Linter::create(herd::core::default_policy()).value();
  std::istringstream input(std::string(reinterpret_cast<const char*>(data), size));
  herd::core::Diagnostics findings;
  linter->lint_stream(input, "fuzz.yaml", findings);
  return 0;
}
