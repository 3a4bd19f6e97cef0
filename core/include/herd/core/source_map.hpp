#pragma once

#include <herd/core/json_path.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herd::core {

struct SourcePosition {
  int line = 0;   // 1-based; 0 = unknown
  int column = 0; // 1-based
};

// Where each node of a parsed YAML document came from. Built while the document is parsed (one node per
// YAML node, in document order) and queried only when a finding needs a position, so lookups index lazily.
class SourceMap {
public:
  using NodeId = std::uint32_t;
  static constexpr NodeId k_none = UINT32_MAX;

  // Adds a node. `parent` is k_none for the root; `key` is the mapping key (empty for sequence items);
  // `raw` is the scalar's source text when YAML typed it as something other than a string.
  NodeId add(NodeId parent, std::string key, SourcePosition key_position, SourcePosition value_position);
  void set_raw(NodeId node, std::string raw);
  void reserve(std::size_t nodes) { m_nodes.reserve(nodes); }

  // Position of the node at `path`; when the path leads past what the source holds (a defaulted or injected
  // field), the position of the deepest existing ancestor. `want_key` returns the key's position for a
  // mapping entry (where an unknown field should point).
  [[nodiscard]] SourcePosition locate(std::string_view path, bool want_key = false) const;
  // The source text of a non-string scalar at exactly `path` ("1.10" for a float), or empty.
  [[nodiscard]] std::string raw_scalar(std::string_view path) const;

  [[nodiscard]] bool empty() const { return m_nodes.empty(); }
  void clear();

private:
  struct Node {
    std::string key;
    std::string raw;
    SourcePosition key_position;
    SourcePosition value_position;
    NodeId parent = k_none;
  };
  // Resolves a path to the deepest node on it; `exact` reports whether the whole path matched.
  NodeId find(std::string_view path, bool& exact) const;
  void build_index() const;

  std::vector<Node> m_nodes;
  // Children of each node in document order (CSR form), built on the first lookup.
  mutable std::vector<std::uint32_t> m_child_begin;
  mutable std::vector<NodeId> m_children;
  mutable bool m_indexed = false;
};

} // namespace herd::core
