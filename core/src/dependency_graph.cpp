#include <herd/core/dependency_graph.hpp>

#include <algorithm>
#include <cstdint>

namespace herd::core {

DependencyGraph::DependencyGraph(const std::vector<Chart>& charts) {
  m_index.reserve(charts.size());
  m_first_edge.reserve(charts.size() + 1);
  std::vector<bool> duplicate(charts.size(), false);
  for (std::size_t i = 0; i < charts.size(); ++i) {
    duplicate[i] = !m_index.emplace(charts[i].name, i).second;
  }
  for (std::size_t i = 0; i < charts.size(); ++i) {
    const std::size_t first = m_edges.size();
    m_first_edge.push_back(first);
    if (duplicate[i]) {
      continue; // a duplicate name: its edges would be ambiguous
    }
    const auto& deps = charts[i].depends_on;
    for (std::size_t entry = 0; entry < deps.size(); ++entry) {
      const auto it = m_index.find(deps[entry]);
      if (it == m_index.end() || it->second == i) {
        continue;
      }
      const bool repeated = std::any_of(m_edges.begin() + static_cast<std::ptrdiff_t>(first), m_edges.end(),
                                        [&](const Edge& edge) { return edge.to == it->second; });
      if (!repeated) {
        m_edges.push_back({it->second, entry});
      }
    }
  }
  m_first_edge.push_back(m_edges.size());
}

std::size_t DependencyGraph::find(const std::string& name) const {
  const auto it = m_index.find(name);
  return it == m_index.end() ? SIZE_MAX : it->second;
}

std::vector<std::vector<std::size_t>> DependencyGraph::cycles() const {
  enum : std::uint8_t { white, grey, black };
  const std::size_t n = size();
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
      const std::span<const Edge> edges = dependencies(frame.node);
      if (frame.next_edge == edges.size()) {
        colour[frame.node] = black;
        stack_position[frame.node] = SIZE_MAX;
        stack.pop_back();
        continue;
      }
      const std::size_t to = edges[frame.next_edge++].to;
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
  const std::size_t n = size();
  // The reverse edges (who depends on each node), as compressed rows like the edges.
  std::vector<std::size_t> pending(n, 0);
  std::vector<std::size_t> first_dependent(n + 1, 0);
  for (const Edge& edge : m_edges) {
    ++first_dependent[edge.to + 1];
  }
  for (std::size_t i = 0; i < n; ++i) {
    first_dependent[i + 1] += first_dependent[i];
  }
  std::vector<std::size_t> dependents(m_edges.size());
  std::vector<std::size_t> filled(first_dependent.begin(), first_dependent.end() - 1);
  for (std::size_t i = 0; i < n; ++i) {
    const std::span<const Edge> edges = dependencies(i);
    pending[i] = edges.size();
    for (const Edge& edge : edges) {
      dependents[filled[edge.to]++] = i;
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
      for (std::size_t d = first_dependent[node]; d < first_dependent[node + 1]; ++d) {
        if (--pending[dependents[d]] == 0) {
          next.push_back(dependents[d]);
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
