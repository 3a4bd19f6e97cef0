#include <herd/core/dependency_graph.hpp>

#include <algorithm>
#include <cstdint>

namespace herd::core {

DependencyGraph::DependencyGraph(const std::vector<Chart>& charts) : m_edges(charts.size()) {
  m_index.reserve(charts.size());
  for (std::size_t i = 0; i < charts.size(); ++i) {
    m_index.emplace(charts[i].name, i);
  }
  for (std::size_t i = 0; i < charts.size(); ++i) {
    if (m_index.at(charts[i].name) != i) {
      continue; // a duplicate name: its edges would be ambiguous
    }
    const auto& deps = charts[i].depends_on;
    for (std::size_t entry = 0; entry < deps.size(); ++entry) {
      const auto it = m_index.find(deps[entry]);
      if (it == m_index.end() || it->second == i) {
        continue;
      }
      const bool repeated = std::any_of(m_edges[i].begin(), m_edges[i].end(),
                                        [&](const Edge& edge) { return edge.to == it->second; });
      if (!repeated) {
        m_edges[i].push_back({it->second, entry});
      }
    }
  }
}

std::size_t DependencyGraph::find(const std::string& name) const {
  const auto it = m_index.find(name);
  return it == m_index.end() ? SIZE_MAX : it->second;
}

std::vector<std::vector<std::size_t>> DependencyGraph::cycles() const {
  enum : std::uint8_t { white, grey, black };
  const std::size_t n = m_edges.size();
  std::vector<std::uint8_t> colour(n, white);
  std::vector<std::size_t> stack_position(n, SIZE_MAX);
  std::vector<std::vector<std::size_t>> found;
  struct Frame {
    std::size_t node;
    std::size_t next_edge;
  };
  std::vector<Frame> stack;
  for (std::size_t root = 0; root < n; ++root) {
    if (colour[root] != white) {
      continue;
    }
    stack.push_back({root, 0});
    colour[root] = grey;
    stack_position[root] = 0;
    while (!stack.empty()) {
      Frame& frame = stack.back();
      if (frame.next_edge == m_edges[frame.node].size()) {
        colour[frame.node] = black;
        stack_position[frame.node] = SIZE_MAX;
        stack.pop_back();
        continue;
      }
      const std::size_t to = m_edges[frame.node][frame.next_edge++].to;
      if (colour[to] == white) {
        colour[to] = grey;
        stack_position[to] = stack.size();
        stack.push_back({to, 0});
      } else if (colour[to] == grey) {
        std::vector<std::size_t> cycle;
        cycle.reserve(stack.size() - stack_position[to]);
        for (std::size_t i = stack_position[to]; i < stack.size(); ++i) {
          cycle.push_back(stack[i].node);
        }
        std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
        found.push_back(std::move(cycle));
      }
    }
  }
  return found;
}

std::vector<std::vector<std::size_t>> DependencyGraph::waves() const {
  const std::size_t n = m_edges.size();
  std::vector<std::size_t> pending(n, 0);
  std::vector<std::vector<std::size_t>> dependents(n);
  for (std::size_t i = 0; i < n; ++i) {
    pending[i] = m_edges[i].size();
    for (const Edge& edge : m_edges[i]) {
      dependents[edge.to].push_back(i);
    }
  }
  std::vector<std::vector<std::size_t>> result;
  std::vector<std::size_t> current;
  for (std::size_t i = 0; i < n; ++i) {
    if (pending[i] == 0) {
      current.push_back(i);
    }
  }
  while (!current.empty()) {
    std::vector<std::size_t> next;
    for (std::size_t node : current) {
      for (std::size_t dependent : dependents[node]) {
        if (--pending[dependent] == 0) {
          next.push_back(dependent);
        }
      }
    }
    std::sort(next.begin(), next.end());
    result.push_back(std::move(current));
    current = std::move(next);
  }
  return result;
}

} // namespace herd::core
