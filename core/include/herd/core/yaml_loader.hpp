#pragma once

#include <herd/core/diagnostic.hpp>
#include <herd/core/source_map.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <istream>
#include <string_view>

namespace herd::core {

// Bounds that keep hostile YAML from exhausting the stack or memory.
struct YamlLimits {
  int max_depth = 128;                   // nesting of mappings and sequences
  std::size_t max_alias_nodes = 100'000; // nodes materialised by expanding aliases, per document
};

// One document of a YAML stream, typed as kubectl/the API server type it (YAML 1.1: yes/no/on/off are
// booleans, 1.10 is a float) and converted to JSON.
struct YamlDocument {
  nlohmann::json value;
  SourceMap source_map;
  int first_line = 1; // line of the document's first line in the file
  int index = 0;      // 0-based position in the stream
  // Findings of the loader (HERD001 syntax and encoding, HERD002 duplicate keys). When `parsed` is false,
  // `value` is unusable and the findings say why.
  Diagnostics diagnostics;
  bool parsed = false;
};

// Reads a multi-document YAML stream one document at a time (memory stays bounded by the largest document)
// and calls `on_document` for each non-empty document, including broken ones. A syntax error in one document
// does not affect the others: the stream is split at `---`/`...` lines before parsing.
void read_yaml_stream(std::istream& input,
                      std::string_view file,
                      const std::function<void(YamlDocument&)>& on_document,
                      const YamlLimits& limits = {});

// Parses a single document's text. `first_line` is the line the text starts at in `file`.
YamlDocument parse_yaml_document(std::string_view text,
                                 std::string_view file,
                                 int first_line = 1,
                                 const YamlLimits& limits = {});

} // namespace herd::core
