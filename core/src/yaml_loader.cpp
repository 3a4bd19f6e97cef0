#include <herd/core/yaml_loader.hpp>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <deque>
#include <limits>
#include <regex>
#include <set>
#include <streambuf>
#include <string>
#include <unordered_map>
#include <vector>

namespace herd::core {

namespace {

using nlohmann::json;

constexpr std::string_view k_rule_syntax = "HERD001";
constexpr std::string_view k_rule_duplicate_key = "HERD002";

// Reads a string_view as an istream without copying it.
class ViewBuffer : public std::streambuf {
public:
  explicit ViewBuffer(std::string_view text) {
    char* begin =
        const_cast<char*>(text.data()); // NOLINT(cppcoreguidelines-pro-type-const-cast): read-only get area
    setg(begin, begin, begin + text.size());
  }
};

// Thrown inside the event handler to abandon a document; caught in parse_yaml_document.
struct AbortDocument {
  Diagnostic diagnostic;
};

bool is_null_literal(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// YAML 1.1 booleans as go-yaml v2 (and so kubectl and the API server) resolve them.
int bool_literal(std::string_view s) {
  // Every literal starts with one of yYnNtTfFoO: most scalars are rejected on their first byte.
  if (s.empty() || s.size() > 5 || std::string_view("yYnNtTfFoO").find(s[0]) == std::string_view::npos) {
    return -1;
  }
  static constexpr std::array<std::string_view, 11> truthy = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                                              "True", "TRUE", "on",  "On",  "ON"};
  static constexpr std::array<std::string_view, 11> falsy = {"n",     "N",     "no",  "No",  "NO", "false",
                                                             "False", "FALSE", "off", "Off", "OFF"};
  if (std::find(truthy.begin(), truthy.end(), s) != truthy.end()) {
    return 1;
  }
  if (std::find(falsy.begin(), falsy.end(), s) != falsy.end()) {
    return 0;
  }
  return -1;
}

bool is_yaml_float(std::string_view s) {
  // go-yaml v2's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
    ++i;
  }
  auto digits = [&] {
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ++i;
    }
    return i - start;
  };
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) {
      return false;
    }
  } else {
    if (digits() == 0) {
      return false;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
      ++i;
    }
    if (digits() == 0) {
      return false;
    }
  }
  return i == s.size();
}

// Whether a scalar with this tag is typed by its text: a plain scalar ("?") or one tagged int, float, bool or
// null. Quoted scalars ("!") and other tags are strings.
bool is_resolvable_tag(const std::string& tag) {
  if (tag.size() == 1) {
    return tag[0] == '?';
  }
  constexpr std::string_view core_schema = "tag:yaml.org,2002:";
  if (!tag.starts_with(core_schema)) {
    return false;
  }
  const std::string_view type = std::string_view(tag).substr(core_schema.size());
  return type == "int" || type == "float" || type == "bool" || type == "null";
}

// Types a plain (unquoted, untagged) scalar the way go-yaml v2 does. Returns false for strings.
bool resolve_plain_scalar(const std::string& text, json& out) {
  if (is_null_literal(text)) {
    out = nullptr;
    return true;
  }
  const char first = text[0];
  if (const int b = bool_literal(text); b >= 0) {
    out = b == 1;
    return true;
  }
  if (!((first >= '0' && first <= '9') || first == '-' || first == '+' || first == '.')) {
    return false;
  }
  if (text == ".inf" || text == ".Inf" || text == ".INF" || text == "+.inf" || text == "-.inf" ||
      text == ".nan" || text == ".NaN" || text == ".NAN") {
    return false; // JSON has no infinities: the API server rejects them; keep the text
  }
  std::string plain;
  plain.reserve(text.size());
  for (char c : text) {
    if (c != '_') {
      plain += c;
    }
  }
  // strconv.ParseInt(plain, 0, 64): optional sign, 0x/0o/0b prefixes, a leading 0 means octal.
  {
    std::size_t i = 0;
    bool negative = false;
    if (plain[i] == '+' || plain[i] == '-') {
      negative = plain[i] == '-';
      ++i;
    }
    int base = 10;
    if (i + 1 < plain.size() && plain[i] == '0' && (plain[i + 1] == 'x' || plain[i + 1] == 'X')) {
      base = 16;
      i += 2;
    } else if (i + 1 < plain.size() && plain[i] == '0' && (plain[i + 1] == 'o' || plain[i + 1] == 'O')) {
      base = 8;
      i += 2;
    } else if (i + 1 < plain.size() && plain[i] == '0' && (plain[i + 1] == 'b' || plain[i + 1] == 'B')) {
      base = 2;
      i += 2;
    } else if (i + 1 < plain.size() && plain[i] == '0') {
      base = 8;
      i += 1;
    }
    bool valid = i < plain.size();
    unsigned long long magnitude = 0;
    for (std::size_t j = i; j < plain.size() && valid; ++j) {
      const char c = plain[j];
      int digit = -1;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      }
      if (digit < 0 || digit >= base) {
        valid = false;
        break;
      }
      if (magnitude > (std::numeric_limits<unsigned long long>::max() - static_cast<unsigned>(digit)) /
                          static_cast<unsigned>(base)) {
        valid = false; // overflow: go-yaml falls back to float parsing
        break;
      }
      magnitude = magnitude * static_cast<unsigned>(base) + static_cast<unsigned>(digit);
    }
    if (valid) {
      if (!negative) {
        if (magnitude <= static_cast<unsigned long long>(std::numeric_limits<std::int64_t>::max())) {
          out = static_cast<std::int64_t>(magnitude);
        } else {
          out = static_cast<std::uint64_t>(magnitude);
        }
        return true;
      }
      if (magnitude <= static_cast<unsigned long long>(std::numeric_limits<std::int64_t>::max()) + 1ULL) {
        out = magnitude == static_cast<unsigned long long>(std::numeric_limits<std::int64_t>::max()) + 1ULL
                  ? std::numeric_limits<std::int64_t>::min()
                  : -static_cast<std::int64_t>(magnitude);
        return true;
      }
    }
  }
  if (is_yaml_float(plain)) {
    errno = 0;
    char* end = nullptr;
    const double value = std::strtod(plain.c_str(), &end);
    if (errno == 0 && end == plain.c_str() + plain.size()) {
      out = value;
      return true;
    }
  }
  return false;
}

// Builds the JSON value and the source map straight from parser events: no YAML::Node tree.
class DocumentBuilder : public YAML::EventHandler {
public:
  DocumentBuilder(YamlDocument& document, std::string_view file, int line_offset, const YamlLimits& limits)
      : m_document(document), m_file(file), m_line_offset(line_offset), m_limits(limits) {}

  void OnDocumentStart(const YAML::Mark& /*mark*/) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const auto node = begin_node(mark);
    if (node.is_key) {
      fail(mark, "a mapping key must not be empty");
    }
    if (node.merge) {
      fail(mark, "the merge key << needs a mapping or a list of mappings");
    }
    *node.target = nullptr;
    finish_leaf(anchor, *node.target, 1);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const auto found = m_anchors.find(anchor);
    if (found == m_anchors.end()) {
      fail(mark, "unknown alias");
    }
    m_alias_nodes += found->second.nodes;
    if (m_alias_nodes > m_limits.max_alias_nodes) {
      fail(mark, "aliases expand to more than " + std::to_string(m_limits.max_alias_nodes) +
                     " nodes (an alias bomb?); refusing to expand them");
    }
    const auto node = begin_node(mark);
    if (node.is_key) {
      fail(mark, "an alias cannot be a mapping key here");
    }
    if (node.merge) {
      merge_into_current(found->second.value, mark);
      return;
    }
    *node.target = found->second.value;
    finish_leaf(0, *node.target, found->second.nodes);
  }

  void OnScalar(const YAML::Mark& mark,
                const std::string& tag,
                YAML::anchor_t anchor,
                const std::string& value) override {
    const auto node = begin_node(mark);
    if (node.is_key) {
      take_key(mark, tag, value);
      return;
    }
    json typed;
    bool non_string = false;
    if (is_resolvable_tag(tag)) {
      non_string = resolve_plain_scalar(value, typed);
    }
    if (!non_string) {
      typed = value;
    }
    if (node.merge) {
      fail(mark, "the merge key << needs a mapping or a list of mappings");
    }
    if (non_string && node.source_node != SourceMap::k_none) {
      m_document.source_map.set_raw(node.source_node, value);
    }
    *node.target = std::move(typed);
    finish_leaf(anchor, *node.target, 1);
  }

  void OnSequenceStart(const YAML::Mark& mark,
                       const std::string& /*tag*/,
                       YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    open_collection(mark, anchor, false);
  }
  void OnSequenceEnd() override { close_collection(); }

  void OnMapStart(const YAML::Mark& mark,
                  const std::string& /*tag*/,
                  YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    open_collection(mark, anchor, true);
  }
  void OnMapEnd() override { close_collection(); }

private:
  struct Frame {
    json* value = nullptr;
    SourceMap::NodeId source_node = SourceMap::k_none;
    YAML::anchor_t anchor = 0;
    std::size_t nodes = 1; // nodes in this subtree, for alias accounting
    bool is_map = false;
    bool has_key = false;
    bool pending_merge = false; // the current key is <<
    bool merge_list = false;    // this sequence is the value of <<
    std::string key;
    json* slot = nullptr; // where the current key's value goes (set with the key)
    SourcePosition key_position;
    std::set<std::string> merged_keys; // keys that came from <<; explicit keys may override them
  };
  struct NodeSlot {
    json* target = nullptr;
    SourceMap::NodeId source_node = SourceMap::k_none;
    bool is_key = false;
    bool merge = false;
  };

  [[noreturn]] void fail(const YAML::Mark& mark, std::string message) {
    Diagnostic d;
    d.rule = k_rule_syntax;
    d.message = std::move(message);
    d.file = m_file;
    d.line = mark.line + 1 + m_line_offset;
    d.column = mark.column + 1;
    throw AbortDocument{std::move(d)};
  }

  SourcePosition position(const YAML::Mark& mark) const {
    return {mark.line + 1 + m_line_offset, mark.column + 1};
  }

  void take_key(const YAML::Mark& mark, const std::string& tag, const std::string& value) {
    Frame& frame = m_stack.back();
    frame.has_key = true;
    frame.key_position = position(mark);
    frame.pending_merge = tag == "?" && value == "<<";
    frame.key = value;
    if (frame.pending_merge) {
      return;
    }
    // One lookup: the slot the value will fill, and whether the key was already there.
    const auto [slot, inserted] = frame.value->get_ref<json::object_t&>().try_emplace(value);
    frame.slot = &slot->second;
    if (!inserted) {
      if (frame.merged_keys.erase(value) == 0) {
        Diagnostic d;
        d.rule = k_rule_duplicate_key;
        d.message = "duplicate key \"" + value + "\" (the API server keeps only the last one)";
        d.file = m_file;
        d.line = frame.key_position.line;
        d.column = frame.key_position.column;
        m_document.diagnostics.push_back(std::move(d));
      }
    }
  }

  // Claims the slot the next value goes to: a mapping value, a sequence item or the document root.
  NodeSlot begin_node(const YAML::Mark& mark) {
    NodeSlot slot;
    if (m_stack.empty()) {
      if (m_root_done) {
        fail(mark, "more than one root node");
      }
      m_root_done = true;
      slot.target = &m_document.value;
      slot.source_node = m_document.source_map.add(SourceMap::k_none, {}, {}, position(mark));
      return slot;
    }
    Frame& frame = m_stack.back();
    if (frame.is_map) {
      if (!frame.has_key) {
        slot.is_key = true;
        return slot;
      }
      frame.has_key = false;
      if (frame.pending_merge) {
        frame.pending_merge = false;
        slot.merge = true;
        return slot;
      }
      slot.target = frame.slot;
      slot.source_node =
          m_document.source_map.add(frame.source_node, frame.key, frame.key_position, position(mark));
      return slot;
    }
    if (frame.merge_list) {
      slot.merge = true;
      return slot;
    }
    frame.value->push_back(json());
    slot.target = &frame.value->back();
    slot.source_node = m_document.source_map.add(frame.source_node, {}, {}, position(mark));
    return slot;
  }

  // Accounts a finished scalar or expanded alias (`nodes` counts what an alias carries) and records its
  // anchor.
  void finish_leaf(YAML::anchor_t anchor, const json& value, std::size_t nodes) {
    if (!m_stack.empty()) {
      m_stack.back().nodes += nodes;
    }
    if (anchor != 0) {
      m_anchors[anchor] = Anchor{value, nodes};
    }
  }

  void merge_into_current(const json& source, const YAML::Mark& mark) {
    // `<<: *base` (or a list of them): keys of the mapping that are not set explicitly.
    const auto innermost =
        std::find_if(m_stack.rbegin(), m_stack.rend(), [](const Frame& f) { return f.is_map; });
    Frame* frame = innermost != m_stack.rend() ? &*innermost : nullptr;
    if (frame == nullptr || !source.is_object()) {
      fail(mark, "the merge key << needs a mapping or a list of mappings");
    }
    for (const auto& [key, value] : source.items()) {
      if (!frame->value->contains(key)) {
        (*frame->value)[key] = value;
        frame->merged_keys.insert(key);
      }
    }
  }

  void open_collection(const YAML::Mark& mark, YAML::anchor_t anchor, bool is_map) {
    if (static_cast<int>(m_stack.size()) >= m_limits.max_depth) {
      fail(mark, "nesting deeper than " + std::to_string(m_limits.max_depth) + " levels");
    }
    const NodeSlot slot = begin_node(mark);
    if (slot.is_key) {
      fail(mark, "a mapping key must be a scalar");
    }
    Frame frame;
    frame.is_map = is_map;
    frame.anchor = anchor;
    if (slot.merge) {
      if (is_map) {
        // `<<: {a: 1}`: build into a scratch value, merged on close.
        m_merge_scratch.emplace_back(json::object());
        frame.value = &m_merge_scratch.back();
        frame.merge_list = false;
        frame.key = "<<";
        frame.pending_merge = false;
        frame.source_node = SourceMap::k_none;
        frame.has_key = false;
        m_merge_frames.push_back(m_stack.size());
      } else {
        frame.value = &m_discard;
        *frame.value = json::array();
        frame.merge_list = true;
      }
      m_stack.push_back(std::move(frame));
      return;
    }
    *slot.target = is_map ? json::object() : json::array();
    frame.value = slot.target;
    frame.source_node = slot.source_node;
    m_stack.push_back(std::move(frame));
  }

  void close_collection() {
    Frame frame = std::move(m_stack.back());
    m_stack.pop_back();
    if (!m_merge_frames.empty() && m_merge_frames.back() == m_stack.size()) {
      m_merge_frames.pop_back();
      json merged = std::move(m_merge_scratch.back());
      m_merge_scratch.pop_back();
      merge_into_current(merged, YAML::Mark());
      return;
    }
    if (frame.merge_list) {
      return;
    }
    if (!m_stack.empty()) {
      m_stack.back().nodes += frame.nodes;
    }
    if (frame.anchor != 0) {
      m_anchors[frame.anchor] = Anchor{*frame.value, frame.nodes};
    }
  }

  struct Anchor {
    json value;
    std::size_t nodes = 1;
  };

  YamlDocument& m_document;
  std::string_view m_file;
  int m_line_offset;
  const YamlLimits& m_limits;
  std::vector<Frame> m_stack;
  std::unordered_map<YAML::anchor_t, Anchor> m_anchors;
  std::deque<json> m_merge_scratch; // a deque keeps pointers to its elements valid as it grows
  std::vector<std::size_t> m_merge_frames;
  json m_discard;
  std::size_t m_alias_nodes = 0;
  bool m_root_done = false;
};

// Whether `text` is ASCII without NUL bytes, as almost every manifest is: then it needs no decoding. Blocks
// of bytes are OR-ed together without a branch per byte, which the compiler vectorizes.
bool is_plain_ascii(std::string_view text) {
  constexpr std::size_t block = 64;
  std::size_t i = 0;
  auto flags = [&text](std::size_t from, std::size_t to) {
    unsigned bad = 0;
    for (std::size_t k = from; k < to; ++k) {
      const auto c = static_cast<unsigned char>(text[k]);
      bad |= (c & 0x80U) | (c == 0 ? 1U : 0U);
    }
    return bad;
  };
  for (; i + block <= text.size(); i += block) {
    if (flags(i, i + block) != 0) {
      return false;
    }
  }
  return flags(i, text.size()) == 0;
}

// Position of the first byte that is not valid UTF-8 (or a NUL), as {line, column}; {0,0} when the text is
// clean.
SourcePosition find_bad_encoding(std::string_view text, bool& nul) {
  nul = false;
  if (is_plain_ascii(text)) {
    return {0, 0};
  }
  int line = 1;
  int column = 1;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c == 0) {
        nul = true;
        return {line, column};
      }
      if (c == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      code = c & 0x07;
    } else {
      return {line, column};
    }
    if (i + length > text.size()) {
      return {line, column};
    }
    for (std::size_t k = 1; k < length; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return {line, column};
      }
      code = (code << 6) | (cc & 0x3F);
    }
    const bool overlong =
        (length == 2 && code < 0x80) || (length == 3 && code < 0x800) || (length == 4 && code < 0x10000);
    if (overlong || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return {line, column};
    }
    i += length;
    ++column;
  }
  return {0, 0};
}

std::string describe_parser_error(const YAML::ParserException& e, std::string_view text) {
  std::string message = e.msg;
  if (message == YAML::ErrorMsg::BAD_FILE) {
    return message; // replaced by the caller with the depth message
  }
  // yaml-cpp's messages are terse; say what a user most often did wrong.
  std::size_t line_start = 0;
  for (int line = 0; line < e.mark.line && line_start != std::string_view::npos; ++line) {
    line_start = text.find('\n', line_start);
    if (line_start != std::string_view::npos) {
      ++line_start;
    }
  }
  if (line_start != std::string_view::npos && line_start < text.size()) {
    std::size_t i = line_start;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
      if (text[i] == '\t') {
        return "tab character in indentation (YAML indents with spaces only)";
      }
      ++i;
    }
  }
  if (!message.empty()) {
    message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
  }
  return "YAML syntax error: " + message;
}

bool is_document_start(std::string_view line) {
  return line.substr(0, 3) == "---" &&
         (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
}
bool is_document_end(std::string_view line) {
  return line.substr(0, 3) == "..." &&
         (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
}

// Whether `text` holds no node: only blank lines, comments and document markers (`---` or `...` with at most
// a comment after them).
bool is_blank_or_comment(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t end = std::min(text.find('\n', i), text.size());
    std::string_view line = text.substr(i, end - i);
    if (is_document_start(line) || is_document_end(line)) {
      line.remove_prefix(3);
    }
    const std::size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && line[first] != '#') {
      return false;
    }
    i = end + 1;
  }
  return true;
}

} // namespace

YamlDocument
parse_yaml_document(std::string_view text, std::string_view file, int first_line, const YamlLimits& limits) {
  YamlDocument document;
  document.first_line = first_line;
  auto fail_at = [&](SourcePosition position, std::string message) {
    Diagnostic d;
    d.rule = k_rule_syntax;
    d.message = std::move(message);
    d.file = file;
    d.line = position.line;
    d.column = position.column;
    document.diagnostics.push_back(std::move(d));
    document.parsed = false;
    document.value = nullptr;
    document.source_map.clear();
  };
  bool nul = false;
  if (const SourcePosition bad = find_bad_encoding(text, nul); bad.line > 0) {
    fail_at({bad.line + first_line - 1, bad.column},
            nul ? "NUL byte: this is a binary file, not YAML" : "invalid UTF-8 (YAML must be UTF-8 text)");
    return document;
  }
  // About one node per 24 bytes of YAML: one allocation instead of a doubling series (capped, so a huge
  // document still grows as it needs).
  document.source_map.reserve(std::min<std::size_t>(text.size() / 24 + 8, 4096));
  ViewBuffer buffer(text);
  std::istream stream(&buffer);
  DocumentBuilder builder(document, file, first_line - 1, limits);
  try {
    YAML::Parser parser(stream);
    parser.HandleNextDocument(builder);
    document.parsed = true;
  } catch (const AbortDocument& abort) {
    fail_at({abort.diagnostic.line, abort.diagnostic.column}, abort.diagnostic.message);
  } catch (const YAML::DeepRecursion& e) {
    fail_at({e.mark.line + first_line, e.mark.column + 1},
            "nesting deeper than " + std::to_string(limits.max_depth) + " levels");
  } catch (const YAML::ParserException& e) {
    fail_at({e.mark.line + first_line, e.mark.column + 1}, describe_parser_error(e, text));
  } catch (const YAML::Exception& e) {
    fail_at({first_line, 1}, std::string("YAML error: ") + e.what());
  }
  return document;
}

void read_yaml_stream(std::istream& input,
                      std::string_view file,
                      const std::function<void(YamlDocument&)>& on_document,
                      const YamlLimits& limits) {
  std::string text;
  std::string line;
  int line_number = 0;
  int start_line = 1;
  int index = 0;
  auto flush = [&]() -> bool {
    if (!is_blank_or_comment(text)) {
      YamlDocument document = parse_yaml_document(text, file, start_line, limits);
      document.index = index++;
      // A binary file yields garbage documents after the first: stop at the first NUL. Decided before the
      // callback, which may move the document's findings away.
      const bool binary =
          std::any_of(document.diagnostics.begin(), document.diagnostics.end(),
                      [](const Diagnostic& d) { return d.message.rfind("NUL byte", 0) == 0; });
      on_document(document);
      if (binary) {
        return false;
      }
    }
    text.clear();
    return true;
  };
  while (std::getline(input, line)) {
    ++line_number;
    if (is_document_start(line)) {
      if (!flush()) {
        return;
      }
      start_line = line_number;
    }
    text += line;
    text += '\n';
    if (is_document_end(line)) {
      if (!flush()) {
        return;
      }
      start_line = line_number + 1;
    }
  }
  flush();
}

} // namespace herd::core
