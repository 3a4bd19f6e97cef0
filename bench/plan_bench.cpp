// Plan cost on the in-memory model: dependency graph, waves and Bundle rendering for generated Stacks with
// random DAGs (fixed seed). Loading YAML is measured separately (lint_bench).
#include <herd/core/bundle_renderer.hpp>
#include <herd/core/dependency_graph.hpp>
#include <herd/core/policy.hpp>
#include <herd/core/stack.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>

namespace {

herd::core::Stack generated_stack(std::size_t charts) {
  herd::core::Stack stack;
  stack.name = "generated";
  stack.namespace_name = "team-a";
  stack.env = "prod";
  stack.security = true;
  stack.observability = true;
  stack.workspace = "fleet-default";
  stack.targets.has_selector = true;
  stack.targets.selector.match_labels = {{"env", "prod"}, {"gpu", "true"}};
  std::mt19937 random(42);
  for (std::size_t i = 0; i < charts; ++i) {
    herd::core::Chart chart;
    chart.index = i;
    chart.name = "chart-" + std::to_string(i);
    chart.chart = i % 3 == 0 ? "qdrant" : "app";
    chart.repo = "https://charts.example.com";
    chart.version = "1.2.3";
    chart.namespace_name = "ns-" + std::to_string(i % 50);
    chart.release_name = chart.name;
    chart.wait = i % 2 == 0;
    chart.timeout = chart.wait ? "10m" : "";
    chart.inline_values = {{"replicaCount", 2}, {"resources", {{"limits", {{"memory", "1Gi"}}}}}};
    // Up to three distinct dependencies on earlier charts (the schema forbids repeats): a random DAG.
    if (i > 0) {
      std::uniform_int_distribution<std::size_t> pick(0, i - 1);
      const std::size_t count = i < 3 ? i : 3;
      while (chart.depends_on.size() < count) {
        std::string dependency = "chart-" + std::to_string(pick(random));
        if (std::find(chart.depends_on.begin(), chart.depends_on.end(), dependency) ==
            chart.depends_on.end()) {
          chart.depends_on.push_back(std::move(dependency));
        }
      }
    }
    stack.charts.push_back(std::move(chart));
  }
  return stack;
}

void BM_Plan(benchmark::State& state) {
  const herd::core::Stack stack = generated_stack(static_cast<std::size_t>(state.range(0)));
  const herd::core::Policy& policy = herd::core::default_policy();
  for (auto _ : state) {
    const herd::core::DependencyGraph graph(stack.charts);
    auto waves = graph.waves();
    auto cycles = graph.cycles();
    auto rendered = herd::core::render_bundles(stack, policy);
    benchmark::DoNotOptimize(waves.size() + cycles.size() + rendered.bundles.size());
  }
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_Plan)->Arg(100)->Arg(1'000)->Arg(10'000)->Unit(benchmark::kMillisecond)->Complexity();

} // namespace

BENCHMARK_MAIN();
