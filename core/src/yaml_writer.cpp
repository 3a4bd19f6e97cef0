#include <herd/core/yaml_loader.hpp>
#include <herd/core/yaml_writer.hpp>

#include <yaml-cpp/emitter.h>
#include <yaml-cpp/emittermanip.h>

namespace herd::core {

namespace {

using nlohmann::json;

// Whether a plain scalar `text` would be typed as something other than the string itself by the API server's
// YAML 1.1 reader; such strings must be quoted.
bool needs_quotes(const std::string& text) {
  if (text.empty()) {
    return true;
  }
  // Fast path: a word of letters, '-', '/', '_' starting with a letter reads back as itself unless it is one
  // of YAML 1.1's boolean or null words, which are all short.
  const bool first_is_letter = (text[0] >= 'a' && text[0] <= 'z') || (text[0] >= 'A' && text[0] <= 'Z');
  bool plain_word = first_is_letter && text.size() > 5;
  for (char c : text) {
    plain_word = plain_word && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '/' || c == '_' || c == '.');
  }
  if (plain_word) {
    return false;
  }
  const YamlDocument probe = parse_yaml_document("v: " + text + "\n", "");
  if (!probe.parsed || !probe.value.is_object() || !probe.value.contains("v")) {
    return true;
  }
  const json& read = probe.value["v"];
  return !read.is_string() || read.get<std::string>() != text;
}

void emit(YAML::Emitter& out, const json& value) {
  switch (value.type()) {
  case json::value_t::object:
    if (value.empty()) {
      out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
      return;
    }
    out << YAML::BeginMap;
    for (const auto& [key, child] : value.items()) {
      out << YAML::Key;
      if (needs_quotes(key)) {
        out << YAML::DoubleQuoted;
      }
      out << key << YAML::Value;
      emit(out, child);
    }
    out << YAML::EndMap;
    return;
  case json::value_t::array:
    if (value.empty()) {
      out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
      return;
    }
    out << YAML::BeginSeq;
    for (const auto& child : value) {
      emit(out, child);
    }
    out << YAML::EndSeq;
    return;
  case json::value_t::string: {
    const auto& text = value.get_ref<const std::string&>();
    if (text.find('\n') != std::string::npos) {
      // A literal block reads back exactly only with one final newline (clip chomping) and a first line that
      // does not start with a space (no indentation indicator); anything else is double-quoted with escapes.
      const bool literal_safe = text.size() >= 2 && text.back() == '\n' && text[text.size() - 2] != '\n' &&
                                text[0] != ' ' && text[0] != '\t' && text.find('\r') == std::string::npos;
      if (literal_safe) {
        out << YAML::Literal << text;
      } else {
        out << YAML::DoubleQuoted << text;
      }
    } else {
      if (needs_quotes(text)) {
        out << YAML::DoubleQuoted;
      }
      out << text;
    }
    return;
  }
  case json::value_t::boolean:
    out << (value.get<bool>() ? "true" : "false");
    return;
  case json::value_t::null:
    out << YAML::Null;
    return;
  default:
    out << value.dump();
    return;
  }
}

} // namespace

std::string to_yaml(const json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  out.SetMapFormat(YAML::Block);
  emit(out, value);
  std::string text = out.c_str();
  if (!text.empty() && text.back() != '\n') {
    text += '\n';
  }
  return text;
}

} // namespace herd::core
