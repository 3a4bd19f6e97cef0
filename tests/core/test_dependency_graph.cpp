#include <herd/core/dependency_graph.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace herd::core {
namespace {

using Nodes = std::vector<std::size_t>;

// Charts named and wired as given: {"app", {"db"}} is chart "app" depending on "db".
std::vector<Chart> charts(const std::vector<std::pair<std::string, std::vector<std::string>>>& spec) {
  std::vector<Chart> out;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    Chart chart;
    chart.index = i;
    chart.name = spec[i].first;
    chart.depends_on = spec[i].second;
    out.push_back(std::move(chart));
  }
  return out;
}

// c0 <- c1 <- ... <- c{n-1}: each chart depends on the one before; with `closed`, c0 also depends on the
// last.
std::vector<Chart> chain(std::size_t n, bool closed) {
  std::vector<Chart> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    out[i].index = i;
    out[i].name = "c" + std::to_string(i);
    if (i > 0) {
      out[i].depends_on.push_back("c" + std::to_string(i - 1));
    }
  }
  if (closed && n > 0) {
    out[0].depends_on.push_back("c" + std::to_string(n - 1));
  }
  return out;
}

TEST(DependencyGraph, EdgesPointAtDependencies) {
  const DependencyGraph graph(charts({{"app", {"cache", "db"}}, {"db", {}}, {"cache", {}}}));

  ASSERT_EQ(graph.size(), 3U);
  ASSERT_EQ(graph.dependencies(0).size(), 2U);
  EXPECT_EQ(graph.dependencies(0)[0].to, 2U);
  EXPECT_EQ(graph.dependencies(0)[0].entry, 0U);
  EXPECT_EQ(graph.dependencies(0)[1].to, 1U);
  EXPECT_EQ(graph.dependencies(0)[1].entry, 1U);
  EXPECT_TRUE(graph.dependencies(1).empty());
}

TEST(DependencyGraph, FindsChartsByName) {
  const DependencyGraph graph(charts({{"app", {}}, {"db", {}}}));

  EXPECT_EQ(graph.find("db"), 1U);
  EXPECT_EQ(graph.find("nope"), SIZE_MAX);
}

TEST(DependencyGraph, UnknownSelfAndRepeatedDependenciesGiveNoEdge) {
  const DependencyGraph graph(charts({{"app", {"databse", "app", "db", "db"}}, {"db", {}}}));

  ASSERT_EQ(graph.dependencies(0).size(), 1U);
  EXPECT_EQ(graph.dependencies(0)[0].to, 1U);
  EXPECT_EQ(graph.dependencies(0)[0].entry, 2U);
  EXPECT_TRUE(graph.cycles().empty());
}

TEST(DependencyGraph, DuplicateNameGivesTheSecondChartNoEdges) {
  const DependencyGraph graph(charts({{"app", {"db"}}, {"db", {}}, {"app", {"db"}}}));

  EXPECT_EQ(graph.find("app"), 0U);
  EXPECT_EQ(graph.dependencies(0).size(), 1U);
  EXPECT_TRUE(graph.dependencies(2).empty());
}

TEST(DependencyGraph, WavesOrderTheRollout) {
  const DependencyGraph graph(charts({{"ollama", {"gpu-operator", "qdrant"}},
                                      {"qdrant", {"gpu-operator"}},
                                      {"gpu-operator", {}},
                                      {"notebook", {}}}));

  const auto waves = graph.waves();

  const std::vector<Nodes> expected = {{2, 3}, {1}, {0}};
  EXPECT_EQ(waves, expected);
}

TEST(DependencyGraph, NoChartsNoWaves) {
  const DependencyGraph graph(std::vector<Chart>{});

  EXPECT_EQ(graph.size(), 0U);
  EXPECT_TRUE(graph.waves().empty());
  EXPECT_TRUE(graph.cycles().empty());
}

TEST(DependencyGraph, AcyclicGraphHasNoCycles) {
  const DependencyGraph graph(charts({{"a", {"b", "c"}}, {"b", {"c"}}, {"c", {}}}));

  EXPECT_TRUE(graph.cycles().empty());
}

TEST(DependencyGraph, CycleIsReportedWholeInDependencyOrder) {
  // alpha -> gamma -> beta -> alpha
  const DependencyGraph graph(charts({{"alpha", {"gamma"}}, {"beta", {"alpha"}}, {"gamma", {"beta"}}}));

  const auto cycles = graph.cycles();

  ASSERT_EQ(cycles.size(), 1U);
  const Nodes expected = {0, 2, 1};
  EXPECT_EQ(cycles[0], expected);
}

TEST(DependencyGraph, CycleStartsAtItsLowestNode) {
  const DependencyGraph graph(charts({{"entry", {"y"}}, {"x", {"z"}}, {"y", {"x"}}, {"z", {"y"}}}));

  const auto cycles = graph.cycles();

  ASSERT_EQ(cycles.size(), 1U);
  const Nodes expected = {1, 3, 2}; // x -> z -> y -> x; entry only leads into it
  EXPECT_EQ(cycles[0], expected);
}

TEST(DependencyGraph, ChartsOnOrBehindACycleAreInNoWave) {
  const DependencyGraph graph(charts({{"base", {}}, {"a", {"base", "b"}}, {"b", {"a"}}, {"top", {"a"}}}));

  const auto waves = graph.waves();

  const std::vector<Nodes> expected = {{0}};
  EXPECT_EQ(waves, expected);
}

TEST(DependencyGraph, TwoSeparateCyclesAreBothFound) {
  const DependencyGraph graph(charts({{"a", {"b"}}, {"b", {"a"}}, {"c", {"d"}}, {"d", {"c"}}}));

  const auto cycles = graph.cycles();

  ASSERT_EQ(cycles.size(), 2U);
  EXPECT_EQ(cycles[0], (Nodes{0, 1}));
  EXPECT_EQ(cycles[1], (Nodes{2, 3}));
}

TEST(DependencyGraph, HundredThousandChartChainIsOneWavePerChart) {
  const DependencyGraph graph(chain(100'000, false));

  const auto waves = graph.waves();

  ASSERT_EQ(waves.size(), 100'000U);
  EXPECT_EQ(waves.front(), Nodes{0});
  EXPECT_EQ(waves[50'000], Nodes{50'000});
  EXPECT_EQ(waves.back(), Nodes{99'999});
  EXPECT_TRUE(graph.cycles().empty());
}

TEST(DependencyGraph, HundredThousandChartCycleIsOneCycle) {
  const DependencyGraph graph(chain(100'000, true));

  const auto cycles = graph.cycles();

  ASSERT_EQ(cycles.size(), 1U);
  ASSERT_EQ(cycles[0].size(), 100'000U);
  // c0 depends on c99999, which depends on c99998, ...
  EXPECT_EQ(cycles[0][0], 0U);
  EXPECT_EQ(cycles[0][1], 99'999U);
  EXPECT_EQ(cycles[0].back(), 1U);
  EXPECT_TRUE(graph.waves().empty());
}

} // namespace
} // namespace herd::core
