#include "selectors.hpp"

#include "api_error.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace herd::test_apiserver {

using nlohmann::json;

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

// A label key or value token: everything up to an operator, a comma, a space or a parenthesis.
bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.' || c == '/';
}

class Lexer {
public:
  explicit Lexer(std::string_view text) : m_text(text) {}

  void skip_space() {
    while (m_pos < m_text.size() && is_space(m_text[m_pos])) {
      ++m_pos;
    }
  }
  [[nodiscard]] bool done() {
    skip_space();
    return m_pos >= m_text.size();
  }
  [[nodiscard]] char peek() {
    skip_space();
    return m_pos < m_text.size() ? m_text[m_pos] : '\0';
  }
  bool consume(std::string_view literal) {
    skip_space();
    if (m_text.substr(m_pos, literal.size()) == literal) {
      m_pos += literal.size();
      return true;
    }
    return false;
  }
  std::string token() {
    skip_space();
    const auto start = m_pos;
    while (m_pos < m_text.size() && is_token_char(m_text[m_pos])) {
      ++m_pos;
    }
    return std::string(m_text.substr(start, m_pos - start));
  }
  // A keyword (in, notin) followed by a space or '('.
  bool keyword(std::string_view word) {
    skip_space();
    if (m_text.substr(m_pos, word.size()) != word) {
      return false;
    }
    const auto after = m_pos + word.size();
    if (after < m_text.size() && (is_space(m_text[after]) || m_text[after] == '(')) {
      m_pos = after;
      m_last_keyword = word;
      return true;
    }
    return false;
  }
  [[nodiscard]] std::string_view last_keyword() const { return m_last_keyword; }

private:
  std::string_view m_text;
  std::size_t m_pos = 0;
  std::string_view m_last_keyword;
};

ApiError selector_error(std::string_view text, const std::string& why) {
  return bad_request("unable to parse requirement: " + why + " in label selector \"" + std::string(text) +
                     "\"");
}

bool is_integer(const std::string& value) {
  if (value.empty()) {
    return false;
  }
  const auto start = value[0] == '-' ? 1U : 0U;
  return start < value.size() && std::all_of(value.begin() + start, value.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) != 0;
         });
}

} // namespace

LabelSelector LabelSelector::parse(std::string_view text) {
  LabelSelector selector;
  Lexer lexer(text);
  if (lexer.done()) {
    return selector;
  }
  while (true) {
    LabelRequirement requirement;
    if (lexer.consume("!")) {
      requirement.op = LabelRequirement::Op::does_not_exist;
      requirement.key = lexer.token();
      if (requirement.key.empty()) {
        throw selector_error(text, "missing key after '!'");
      }
    } else {
      requirement.key = lexer.token();
      if (requirement.key.empty()) {
        throw selector_error(text, "expected a label key");
      }
      const char next = lexer.peek();
      if (next == ',' || next == '\0') {
        requirement.op = LabelRequirement::Op::exists;
      } else if (lexer.consume("==") || lexer.consume("=")) {
        requirement.op = LabelRequirement::Op::equals;
        requirement.values.push_back(lexer.token());
      } else if (lexer.consume("!=")) {
        requirement.op = LabelRequirement::Op::not_equals;
        requirement.values.push_back(lexer.token());
      } else if (lexer.consume(">") || lexer.consume("<")) {
        // labels.Parse: gt/lt take one integer value
        requirement.op = next == '>' ? LabelRequirement::Op::greater_than : LabelRequirement::Op::less_than;
        auto value = lexer.token();
        if (!is_integer(value)) {
          throw selector_error(text, "for 'Gt', 'Lt' operators, the value must be an integer");
        }
        requirement.values.push_back(std::move(value));
      } else if (lexer.keyword("notin") || lexer.keyword("in")) {
        requirement.op =
            lexer.last_keyword() == "notin" ? LabelRequirement::Op::not_in : LabelRequirement::Op::in;
        if (!lexer.consume("(")) {
          throw selector_error(text, "expected '(' after " + std::string(lexer.last_keyword()));
        }
        while (true) {
          requirement.values.push_back(lexer.token());
          if (lexer.consume(")")) {
            break;
          }
          if (!lexer.consume(",")) {
            throw selector_error(text, "expected ',' or ')' in the values of " + requirement.key);
          }
        }
        if (requirement.values.size() == 1 && requirement.values.front().empty()) {
          throw selector_error(text, "for 'in', 'notin' operators, values set can't be empty");
        }
      } else {
        throw selector_error(text,
                             "found '" + std::string(1, next) + "', expected: in, notin, =, ==, !=, gt, lt");
      }
    }
    selector.m_requirements.push_back(std::move(requirement));
    if (lexer.done()) {
      break;
    }
    if (!lexer.consume(",")) {
      throw selector_error(text, "expected ','");
    }
  }
  return selector;
}

bool LabelSelector::matches(const json& labels) const {
  for (const auto& requirement : m_requirements) {
    const json* value = nullptr;
    if (labels.is_object()) {
      const auto it = labels.find(requirement.key);
      if (it != labels.end() && it->is_string()) {
        value = &*it;
      }
    }
    const auto has = [&](const std::string& candidate) { return value != nullptr && *value == candidate; };
    switch (requirement.op) {
    case LabelRequirement::Op::equals:
    case LabelRequirement::Op::in:
      if (!std::any_of(requirement.values.begin(), requirement.values.end(), has)) {
        return false;
      }
      break;
    case LabelRequirement::Op::not_equals:
    case LabelRequirement::Op::not_in:
      // no label at all satisfies != and notin
      if (std::any_of(requirement.values.begin(), requirement.values.end(), has)) {
        return false;
      }
      break;
    case LabelRequirement::Op::exists:
      if (value == nullptr) {
        return false;
      }
      break;
    case LabelRequirement::Op::does_not_exist:
      if (value != nullptr) {
        return false;
      }
      break;
    case LabelRequirement::Op::greater_than:
    case LabelRequirement::Op::less_than: {
      if (value == nullptr || !is_integer(value->get<std::string>())) {
        return false;
      }
      const long long have = std::strtoll(value->get<std::string>().c_str(), nullptr, 10);
      const long long bound = std::strtoll(requirement.values.front().c_str(), nullptr, 10);
      if (requirement.op == LabelRequirement::Op::greater_than ? !(have > bound) : !(have < bound)) {
        return false;
      }
      break;
    }
    }
  }
  return true;
}

FieldSelector FieldSelector::parse(std::string_view text) {
  FieldSelector selector;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    auto term_text =
        text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    start = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
    while (!term_text.empty() && is_space(term_text.front())) {
      term_text.remove_prefix(1);
    }
    while (!term_text.empty() && is_space(term_text.back())) {
      term_text.remove_suffix(1);
    }
    if (term_text.empty()) {
      if (text.find_first_not_of(" \t") == std::string_view::npos) {
        break;
      }
      throw bad_request("invalid field selector: \"" + std::string(text) + "\": empty term");
    }
    Term term;
    std::size_t op = 0;
    std::size_t op_length = 0;
    if ((op = term_text.find("!=")) != std::string_view::npos) {
      term.equals = false;
      op_length = 2;
    } else if ((op = term_text.find("==")) != std::string_view::npos) {
      op_length = 2;
    } else if ((op = term_text.find('=')) != std::string_view::npos) {
      op_length = 1;
    } else {
      throw bad_request("invalid selector: '" + std::string(term_text) + "'; can't understand '" +
                        std::string(term_text) + "'");
    }
    term.field = std::string(term_text.substr(0, op));
    term.value = std::string(term_text.substr(op + op_length));
    if (term.field != "metadata.name" && term.field != "metadata.namespace") {
      throw bad_request("field label not supported: " + term.field);
    }
    selector.m_terms.push_back(std::move(term));
  }
  return selector;
}

bool FieldSelector::matches(const json& object) const {
  for (const auto& term : m_terms) {
    std::string actual;
    const auto& metadata = object.contains("metadata") ? object["metadata"] : json::object();
    const char* const key = term.field == "metadata.name" ? "name" : "namespace";
    if (metadata.is_object() && metadata.contains(key) && metadata[key].is_string()) {
      actual = metadata[key].get<std::string>();
    }
    if ((actual == term.value) != term.equals) {
      return false;
    }
  }
  return true;
}

std::string FieldSelector::pinned_name() const {
  for (const auto& term : m_terms) {
    if (term.field == "metadata.name" && term.equals) {
      return term.value;
    }
  }
  return {};
}

} // namespace herd::test_apiserver
