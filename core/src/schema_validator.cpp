#include "string_pattern.hpp"

#include <herd/core/json_path.hpp>
#include <herd/core/rule_catalog.hpp>
#include <herd/core/schema_validator.hpp>
#include <herd/core/suggestion.hpp>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace herd::core {

namespace {

using nlohmann::json;

// `Json` is `json` or `const json`: the validator also resolves refs in the copy it strips patterns from.
template <typename Json> Json* resolve_ref(Json& root, Json* schema) {
  // Only local refs (#/definitions/x) are used by Herd's schemas; a bounded loop guards against ref cycles.
  for (int hops = 0; schema != nullptr && schema->is_object() && schema->contains("$ref") && hops < 16;
       ++hops) {
    const auto& ref = (*schema)["$ref"];
    if (!ref.is_string() || ref.template get_ref<const std::string&>().rfind("#/", 0) != 0) {
      return schema;
    }
    try {
      schema = &root.at(json::json_pointer(ref.template get<std::string>().substr(1)));
    } catch (const json::exception&) {
      return nullptr;
    }
  }
  return schema;
}

const json* child_schema(const json& root, const json* schema, const PathSegment& segment) {
  schema = resolve_ref(root, schema);
  if (schema == nullptr || !schema->is_object()) {
    return nullptr;
  }
  if (const auto* key = std::get_if<std::string>(&segment)) {
    if (auto props = schema->find("properties"); props != schema->end()) {
      if (auto property = props->find(*key); property != props->end()) {
        return resolve_ref(root, &*property);
      }
    }
    if (auto extra = schema->find("additionalProperties"); extra != schema->end() && extra->is_object()) {
      return resolve_ref(root, &*extra);
    }
    return nullptr;
  }
  if (auto items = schema->find("items"); items != schema->end() && items->is_object()) {
    return resolve_ref(root, &*items);
  }
  return nullptr;
}

std::string type_name(const json& value) {
  switch (value.type()) {
  case json::value_t::null:
    return "null";
  case json::value_t::boolean:
    return "a boolean";
  case json::value_t::number_integer:
  case json::value_t::number_unsigned:
    return "an integer";
  case json::value_t::number_float:
    return "a number";
  case json::value_t::string:
    return "a string";
  case json::value_t::array:
    return "a list";
  case json::value_t::object:
    return "a mapping";
  default:
    return "a value";
  }
}

std::string expected_type(const json* schema) {
  if (schema == nullptr || !schema->contains("type")) {
    return "another type";
  }
  const auto& type = (*schema)["type"];
  auto one = [](const std::string& t) -> std::string {
    if (t == "object") {
      return "a mapping";
    }
    if (t == "array") {
      return "a list";
    }
    if (t == "integer") {
      return "an integer";
    }
    if (t == "boolean") {
      return "a boolean";
    }
    return "a " + t;
  };
  if (type.is_string()) {
    return one(type.get<std::string>());
  }
  std::string out;
  for (const auto& t : type) {
    out += (out.empty() ? "" : " or ") + one(t.get<std::string>());
  }
  return out;
}

std::string last_key(std::string_view path) {
  const auto segments = split_path(path);
  const auto key = std::find_if(segments.rbegin(), segments.rend(), [](const PathSegment& segment) {
    return std::holds_alternative<std::string>(segment);
  });
  return key != segments.rend() ? std::get<std::string>(*key) : std::string();
}

bool is_chart_field(std::string_view path, std::string_view field) {
  const auto segments = split_path(path);
  const auto key_is = [&](std::size_t i, std::string_view key) {
    const auto* found = std::get_if<std::string>(&segments[i]);
    return found != nullptr && *found == key;
  };
  return segments.size() == 4 && key_is(0, "spec") && key_is(1, "charts") && key_is(3, field);
}

std::string quoted(const json& value) {
  if (value.is_string()) {
    std::string s = value.get<std::string>();
    if (s.size() > 80) {
      s = s.substr(0, 77) + "...";
    }
    return "\"" + s + "\"";
  }
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// `path "value" is N characters long; at most M are allowed`, naming Helm's limit for release names; very
// long values are not repeated.
std::string too_long_message(const std::string& path, const std::string& value, std::size_t max) {
  std::string message = path;
  if (value.size() <= 80) {
    message += " \"" + value + "\"";
  }
  message += " is " + std::to_string(value.size()) + " characters long; at most " + std::to_string(max) +
             " are allowed";
  if (is_chart_field(path, "releaseName")) {
    message += " (Helm's limit for release names)";
  }
  return message;
}

std::string pattern_explanation(std::string_view field) {
  if (field == "repo") {
    return "must be an https://, oci:// or http:// URL";
  }
  if (field == "chart") {
    return "must be a chart name (letters, digits, '-', '_', '.', '/')";
  }
  if (field == "releaseName" || field == "name") {
    return "must be a lower-case DNS name: letters a-z, digits and '-', starting and ending with a letter or "
           "digit";
  }
  return "must be a lower-case DNS-1123 label: letters a-z, digits and '-', starting and ending with a "
         "letter or digit";
}

// valijson's error context (<root> [spec] [charts] [1] [name]) as a path (spec.charts[1].name) and the value
// there; a bracketed part is an index where the value is a list.
std::pair<std::string, const json*> locate_context(const json& document,
                                                   const std::vector<std::string>& context) {
  std::string path;
  const json* value = &document;
  for (std::size_t i = 1; i < context.size(); ++i) {
    const std::string& part = context[i];
    const std::string name = part.size() >= 2 ? part.substr(1, part.size() - 2) : part;
    if (value != nullptr && value->is_array()) {
      std::size_t index = 0;
      for (char c : name) {
        index = index * 10 + static_cast<std::size_t>(c - '0');
      }
      append_index(path, index);
      value = index < value->size() ? &(*value)[index] : nullptr;
    } else {
      append_key(path, name);
      value = (value != nullptr && value->is_object() && value->contains(name)) ? &(*value)[name] : nullptr;
    }
  }
  return {path, value};
}

} // namespace

const json* subschema_at(const json& schema, std::string_view path) {
  const json* current = resolve_ref(schema, &schema);
  for (const auto& segment : split_path(path)) {
    current = child_schema(schema, current, segment);
    if (current == nullptr) {
      return nullptr;
    }
  }
  return current;
}

struct SchemaValidator::Impl {
  json schema_json;
  // What valijson compiles: the schema without the patterns the string walk below checks.
  json valijson_json;
  valijson::Schema compiled;
  valijson::Validator validator;

  // The schema's string checks, compiled once so the per-document walk does no schema lookups: only the
  // branches of the schema that lead to patterned strings.
  struct StringBound {
    std::size_t max_length = 0;                   // of a patterned string; 0: none
    std::shared_ptr<const StringPattern> pattern; // null: no pattern here
    std::map<std::string, std::unique_ptr<StringBound>, std::less<>> properties;
    std::unique_ptr<StringBound> additional; // additionalProperties schema
    std::unique_ptr<StringBound> items;
  };
  std::unique_ptr<StringBound> bounds;
  // One StringPattern per subschema, however many paths reach it through $refs (used while compiling).
  using CompiledPatterns = std::map<const json*, std::shared_ptr<const StringPattern>>;

  // Builds the bound tree of `schema` (a node of valijson_json) and takes the patterns it checks out of it;
  // nullptr when nothing below it is a patterned string. Patterns under anything else (anyOf, not, ...) stay
  // with valijson. The schema is Herd's own (trusted) file; `depth` stops $ref cycles.
  std::unique_ptr<StringBound> compile_bounds(json* schema, int depth, CompiledPatterns& patterns) {
    schema = resolve_ref(valijson_json, schema);
    if (schema == nullptr || !schema->is_object() || depth > 32) {
      return nullptr;
    }
    auto bound = std::make_unique<StringBound>();
    bool useful = false;
    if (auto found = patterns.find(schema); found != patterns.end()) {
      bound->pattern = found->second;
    } else if (auto pattern = schema->find("pattern"); pattern != schema->end() && pattern->is_string()) {
      bound->pattern = std::make_shared<const StringPattern>(pattern->get<std::string>());
      patterns.emplace(schema, bound->pattern);
      schema->erase("pattern");
    }
    if (bound->pattern != nullptr) {
      useful = true;
      if (auto max = schema->find("maxLength"); max != schema->end() && max->is_number_unsigned()) {
        bound->max_length = max->get<std::size_t>();
      }
    }
    if (auto props = schema->find("properties"); props != schema->end() && props->is_object()) {
      for (const auto& [key, child] : props->items()) {
        if (auto child_bound = compile_bounds(&child, depth + 1, patterns)) {
          bound->properties.emplace(key, std::move(child_bound));
          useful = true;
        }
      }
    }
    if (auto extra = schema->find("additionalProperties"); extra != schema->end() && extra->is_object()) {
      bound->additional = compile_bounds(&*extra, depth + 1, patterns);
      useful = useful || bound->additional != nullptr;
    }
    if (auto items = schema->find("items"); items != schema->end() && items->is_object()) {
      bound->items = compile_bounds(&*items, depth + 1, patterns);
      useful = useful || bound->items != nullptr;
    }
    return useful ? std::move(bound) : nullptr;
  }

  struct StringChecks {
    bool clipped = false;        // strings over their maxLength were replaced in `clipped`
    bool pattern_failed = false; // a string did not match its pattern
  };

  // Checks every patterned string. Strings longer than their maxLength are reported here and hidden from
  // valijson (its maxLength message is the less helpful one).
  StringChecks check_strings(const json& document,
                             json& clipped,
                             std::set<std::string>& clipped_paths,
                             DiagnosticSink& sink) const {
    struct Visit {
      const json* value;
      const StringBound* bound;
      std::size_t parent;     // index in `visits`, SIZE_MAX for the root
      const std::string* key; // the member's key (a key of `document`), or nullptr for an array item
      std::size_t index;      // the array item's index
    };
    StringChecks checks;
    std::vector<Visit> visits;
    std::vector<std::size_t> pending;
    if (bounds == nullptr) {
      return checks;
    }
    auto path_of = [&visits](std::size_t at) {
      std::vector<const Visit*> segments;
      for (std::size_t i = at; visits[i].parent != SIZE_MAX; i = visits[i].parent) {
        segments.push_back(&visits[i]);
      }
      std::reverse(segments.begin(), segments.end());
      std::string path;
      for (const Visit* segment : segments) {
        if (segment->key != nullptr) {
          append_key(path, *segment->key);
        } else {
          append_index(path, segment->index);
        }
      }
      return path;
    };
    visits.push_back({&document, bounds.get(), SIZE_MAX, nullptr, 0});
    pending.push_back(0);
    while (!pending.empty()) {
      const std::size_t at = pending.back();
      pending.pop_back();
      const json* value = visits[at].value;
      const StringBound* bound = visits[at].bound;
      if (value->is_string()) {
        const auto& text = value->get_ref<const std::string&>();
        if (bound->max_length > 0 && text.size() > bound->max_length) {
          const std::string path = path_of(at);
          if (!checks.clipped) {
            clipped = document;
            checks.clipped = true;
          }
          clipped.at(json::json_pointer(to_json_pointer(path))) = "";
          sink.error(is_chart_field(path, "releaseName") ? rules::name_too_long : rules::schema_bounds, path,
                     too_long_message(path, text, bound->max_length));
          clipped_paths.insert(path);
        } else if (bound->pattern != nullptr && !bound->pattern->matches(text)) {
          report_pattern(path_of(at), *value, sink);
          checks.pattern_failed = true;
        }
      } else if (value->is_object()) {
        for (const auto& [key, child] : value->items()) {
          const auto property = bound->properties.find(key);
          const StringBound* next =
              property != bound->properties.end() ? property->second.get() : bound->additional.get();
          if (next != nullptr) {
            pending.push_back(visits.size());
            visits.push_back({&child, next, at, &key, 0});
          }
        }
      } else if (value->is_array() && bound->items != nullptr) {
        for (std::size_t i = 0; i < value->size(); ++i) {
          pending.push_back(visits.size());
          visits.push_back({&(*value)[i], bound->items.get(), at, nullptr, i});
        }
      }
    }
    return checks;
  }

  void report_pattern(const std::string& path, const json& value, DiagnosticSink& sink) const {
    if (is_chart_field(path, "version")) {
      sink.error(rules::version_not_exact, path,
                 "version " + quoted(value) +
                     " is not an exact semver version (Fleet refuses ranges for repository charts); "
                     "pin one such as \"1.2.3\"");
    } else if (is_chart_field(path, "timeout")) {
      sink.error(rules::timeout_not_duration, path,
                 "timeout " + quoted(value) + " is not a Go duration (write it like 90s, 15m or 1h30m)");
    } else {
      const std::string subject = path.empty() ? std::string("the document") : path;
      sink.error(rules::schema_pattern, path,
                 subject + " " + quoted(value) + " " + pattern_explanation(last_key(path)));
    }
  }

  void report(const json& document,
              const std::vector<std::string>& context,
              const std::string& description,
              DiagnosticSink& sink) const {
    static const std::vector<std::string_view> parent_messages = {
        "Failed to validate against schema associated with property name",
        "Failed to validate item #",
        "Failed to validate against additional properties schema",
        "Failed to validate against child schema",
        "Failed to validate against schema associated with pattern",
    };
    for (const auto& prefix : parent_messages) {
      if (description.rfind(prefix, 0) == 0) {
        return;
      }
    }
    const auto [path, value] = locate_context(document, context);
    const json* schema = subschema_at(schema_json, path);
    const std::string subject = path.empty() ? std::string("the document") : path;

    if (description.rfind("Object contains a property that could not be validated", 0) == 0) {
      const std::size_t open = description.find("constraints: '");
      std::string key = open == std::string::npos ? std::string() : description.substr(open + 14);
      if (!key.empty() && key.back() == '.') {
        key.pop_back();
      }
      if (!key.empty() && key.back() == '\'') {
        key.pop_back();
      }
      std::vector<std::string> candidates;
      if (schema != nullptr && schema->contains("properties")) {
        for (const auto& [name, unused] : (*schema)["properties"].items()) {
          candidates.push_back(name);
        }
      }
      std::string message = "unknown field \"" + key + "\"";
      if (!path.empty()) {
        message += " in " + path;
      }
      message += did_you_mean(key, candidates);
      if (path.size() >= 6 && path.substr(path.size() - 6) == "values" && candidates.size() == 3) {
        message += "; Helm values go under values.inline";
      }
      sink.error(rules::unknown_field, join_path(path, key), message, true);
      return;
    }
    if (description.rfind("Missing required property '", 0) == 0) {
      const std::size_t open = description.find('\'');
      const std::size_t close = description.rfind('\'');
      const std::string key =
          close > open + 1 ? description.substr(open + 1, close - open - 1) : std::string();
      sink.error(rules::schema_required, path,
                 (path.empty() ? std::string("the document") : path) + " is missing required field \"" + key +
                     "\"");
      return;
    }
    if (description.rfind("Value type not permitted", 0) == 0 && value != nullptr) {
      std::string message = subject + " must be " + expected_type(schema) + ", not " + type_name(*value);
      const std::string raw =
          sink.source_map() != nullptr ? sink.source_map()->raw_scalar(path) : std::string();
      if (schema != nullptr && schema->value("type", json()) == "string" && !raw.empty() &&
          !value->is_null()) {
        message += ": YAML reads " + raw + " as " + type_name(*value);
        if (schema->contains("enum")) {
          // Quoting would only trade this error for the enum's: name the values that work.
          std::string list;
          for (const auto& option : (*schema)["enum"]) {
            list += (list.empty() ? "" : ", ") + option.get<std::string>();
          }
          message += "; use one of " + list;
        } else {
          message += "; quote it (\"" + raw + "\")";
        }
      }
      sink.error(rules::schema_type, path, message);
      return;
    }
    if (description.rfind("Failed to match against any enum values", 0) == 0 && value != nullptr) {
      std::vector<std::string> allowed;
      std::string list;
      if (schema != nullptr && schema->contains("enum")) {
        for (const auto& option : (*schema)["enum"]) {
          allowed.push_back(option.is_string() ? option.get<std::string>() : option.dump());
          list += (list.empty() ? "" : ", ") + allowed.back();
        }
      }
      std::string message = subject + " must be one of " + list + ", not " + quoted(*value);
      if (value->is_string()) {
        message += did_you_mean(value->get<std::string>(), allowed);
      }
      sink.error(rules::schema_enum, path, message);
      return;
    }
    if (description.rfind("Failed to match regex", 0) == 0 && value != nullptr) {
      report_pattern(path, *value, sink); // a pattern valijson kept (under anyOf, not, ...)
      return;
    }
    if (description.rfind("String should be no more than", 0) == 0 && value != nullptr &&
        value->is_string()) {
      const auto max = schema != nullptr ? schema->value("maxLength", 0) : 0;
      const bool release = is_chart_field(path, "releaseName");
      sink.error(release ? rules::name_too_long : rules::schema_bounds, path,
                 too_long_message(path, value->get_ref<const std::string&>(), static_cast<std::size_t>(max)));
      return;
    }
    if (description.rfind("Object should have no fewer than", 0) == 0 && last_key(path) == "targets") {
      sink.error(rules::schema_required, path,
                 "targets needs at least one of selector, clusterIds or clusterGroup");
      return;
    }
    if (description.rfind("String should be a valid", 0) == 0) {
      sink.error(rules::schema_pattern, path, subject + " " + description.substr(10));
      return;
    }
    std::string text = description;
    if (!text.empty()) {
      text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    }
    if (!text.empty() && text.back() == '.') {
      text.pop_back();
    }
    sink.error(rules::schema_bounds, path, subject + ": " + text);
  }
};

SchemaValidator::SchemaValidator(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
SchemaValidator::~SchemaValidator() = default;

Result<std::shared_ptr<SchemaValidator>> SchemaValidator::create(std::string_view schema_json) {
  auto impl = std::make_unique<Impl>();
  try {
    impl->schema_json = json::parse(schema_json);
    impl->valijson_json = impl->schema_json;
    Impl::CompiledPatterns patterns;
    impl->bounds = impl->compile_bounds(&impl->valijson_json, 0, patterns);
    valijson::SchemaParser parser;
    valijson::adapters::NlohmannJsonAdapter adapter(impl->valijson_json);
    parser.populateSchema(adapter, impl->compiled);
  } catch (const std::exception& e) {
    return Error{std::string("invalid JSON schema: ") + e.what(), {}};
  }
  return std::shared_ptr<SchemaValidator>(new SchemaValidator(std::move(impl)));
}

const json& SchemaValidator::schema() const {
  return m_impl->schema_json;
}

bool SchemaValidator::validate(const json& document, DiagnosticSink& sink) {
  json clipped;
  std::set<std::string> clipped_paths;
  const Impl::StringChecks checks = m_impl->check_strings(document, clipped, clipped_paths, sink);
  const bool has_clips = checks.clipped;
  const json& target = has_clips ? clipped : document;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(target);
  const bool valid = m_impl->validator.validate(m_impl->compiled, adapter, &results);
  if (valid) {
    return !has_clips && !checks.pattern_failed;
  }
  valijson::ValidationResults::Error error;
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<std::pair<std::string, valijson::ValidationResults::Error>> errors;
  std::set<std::string> mistyped; // a value of the wrong type also fails its enum: report the type only
  while (results.popError(error)) {
    std::string key;
    for (const auto& part : error.context) {
      key += part;
    }
    if (!seen.insert({key, error.description}).second) {
      continue;
    }
    if (has_clips) {
      // The clipped strings were already reported; ignore what valijson says about their placeholder.
      if (clipped_paths.contains(locate_context(target, error.context).first)) {
        continue;
      }
    }
    if (error.description.rfind("Value type not permitted", 0) == 0) {
      mistyped.insert(key);
    }
    errors.emplace_back(std::move(key), error);
  }
  for (const auto& [key, found] : errors) {
    if (mistyped.contains(key) && found.description.rfind("Value type not permitted", 0) != 0) {
      continue;
    }
    m_impl->report(target, found.context, found.description, sink);
  }
  return false;
}

} // namespace herd::core
