#pragma once

#include <herd/core/stack.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace herd::core {

// The dependsOn graph of a Stack's charts. Every algorithm here is iterative and linear in charts + edges, so
// a 100,000-chart chain or cycle neither overflows the stack nor takes long.
class DependencyGraph {
public:
  // An edge from a chart to a chart it depends on; `entry` is the index in the dependent's dependsOn list.
  struct Edge {
    std::size_t to = 0;
    std::size_t entry = 0;
  };

  // Node i is charts[i]. A dependsOn name that is unknown, the chart itself, or a second chart with a name
  // already taken gives no edge (the rules report those).
  explicit DependencyGraph(const std::vector<Chart>& charts);

  [[nodiscard]] std::size_t size() const { return m_first_edge.size() - 1; }
  [[nodiscard]] std::span<const Edge> dependencies(std::size_t node) const {
    return {m_edges.data() + m_first_edge[node], m_edges.data() + m_first_edge[node + 1]};
  }
  // The node of chart `name`, or SIZE_MAX.
  [[nodiscard]] std::size_t find(const std::string& name) const;

  // One cycle per back edge found by a depth-first walk, each as its nodes in dependency order starting at
  // its lowest-numbered node (a -> b means a depends on b; the closing edge back to the first is implied).
  [[nodiscard]] std::vector<std::vector<std::size_t>> cycles() const;

  // Deployment waves: wave 0 holds charts without dependencies, wave k charts whose dependencies are all in
  // earlier waves. Charts on or behind a cycle are in no wave. Nodes within a wave are in chart order.
  [[nodiscard]] std::vector<std::vector<std::size_t>> waves() const;

private:
  // Compressed rows: node i's edges are m_edges[m_first_edge[i], m_first_edge[i + 1]). One allocation instead
  // of one per chart keeps a 10,000-chart graph in a few contiguous blocks.
  std::vector<Edge> m_edges;
  std::vector<std::size_t> m_first_edge;
  std::unordered_map<std::string, std::size_t> m_index;
};

} // namespace herd::core
