#include <herd/core/source_map.hpp>

namespace herd::core {

SourceMap::NodeId
SourceMap::add(NodeId parent, std::string key, SourcePosition key_position, SourcePosition value_position) {
  m_nodes.push_back(Node{std::move(key), {}, key_position, value_position, parent});
  m_indexed = false;
  return static_cast<NodeId>(m_nodes.size() - 1);
}

void SourceMap::set_raw(NodeId node, std::string raw) {
  m_nodes[node].raw = std::move(raw);
}

void SourceMap::clear() {
  m_nodes.clear();
  m_child_begin.clear();
  m_children.clear();
  m_indexed = false;
}

void SourceMap::build_index() const {
  // Counting sort of the nodes by parent keeps each node's children in document order.
  const std::size_t n = m_nodes.size();
  m_child_begin.assign(n + 1, 0);
  for (const auto& node : m_nodes) {
    if (node.parent != k_none) {
      ++m_child_begin[node.parent + 1];
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    m_child_begin[i + 1] += m_child_begin[i];
  }
  m_children.assign(m_child_begin[n], 0);
  std::vector<std::uint32_t> fill(m_child_begin.begin(), m_child_begin.end() - 1);
  for (std::size_t i = 0; i < n; ++i) {
    const NodeId parent = m_nodes[i].parent;
    if (parent != k_none) {
      m_children[fill[parent]++] = static_cast<NodeId>(i);
    }
  }
  m_indexed = true;
}

SourceMap::NodeId SourceMap::find(std::string_view path, bool& exact) const {
  exact = false;
  if (m_nodes.empty()) {
    return k_none;
  }
  if (!m_indexed) {
    build_index();
  }
  NodeId current = 0;
  for (const auto& segment : split_path(path)) {
    const std::uint32_t begin = m_child_begin[current];
    const std::uint32_t end = m_child_begin[current + 1];
    NodeId next = k_none;
    if (const auto* key = std::get_if<std::string>(&segment)) {
      // Later duplicates win, as in the parsed value.
      for (std::uint32_t i = begin; i < end; ++i) {
        if (m_nodes[m_children[i]].key == *key) {
          next = m_children[i];
        }
      }
    } else {
      const std::size_t index = std::get<std::size_t>(segment);
      if (index < end - begin && m_nodes[m_children[begin + index]].key.empty()) {
        next = m_children[begin + index];
      }
    }
    if (next == k_none) {
      return current;
    }
    current = next;
  }
  exact = true;
  return current;
}

SourcePosition SourceMap::locate(std::string_view path, bool want_key) const {
  bool exact = false;
  const NodeId node = find(path, exact);
  if (node == k_none) {
    return {};
  }
  const Node& found = m_nodes[node];
  if (want_key && exact && found.key_position.line > 0) {
    return found.key_position;
  }
  return found.value_position;
}

std::string SourceMap::raw_scalar(std::string_view path) const {
  bool exact = false;
  const NodeId node = find(path, exact);
  if (node == k_none || !exact) {
    return {};
  }
  return m_nodes[node].raw;
}

} // namespace herd::core
