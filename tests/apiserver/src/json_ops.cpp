#include "json_ops.hpp"

#include "api_error.hpp"

#include <herd/core/json_depth.hpp>
#include <herd/core/yaml_loader.hpp>

#include <utility>

namespace herd::test_apiserver {

using nlohmann::json;

namespace {

ApiError too_deep() {
  return invalid("", "Object", "",
                 {{"FieldValueInvalid",
                   "Invalid value: \"object\": nesting deeper than " + std::to_string(kMaxDepth) +
                       " levels is not accepted by this server",
                   ""}});
}

} // namespace

json parse_json_body(std::string_view body) {
  if (core::json_text_depth(body, kMaxDepth) > kMaxDepth) {
    throw too_deep();
  }
  json value = json::parse(body, nullptr, false);
  if (value.is_discarded()) {
    throw bad_request("the body of the request could not be decoded as JSON");
  }
  return value;
}

json parse_yaml_body(std::string_view body) {
  // JSON is YAML; the JSON parser is exact about numbers and strings, so it goes first.
  const auto first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && (body[first] == '{' || body[first] == '[')) {
    if (core::json_text_depth(body, kMaxDepth) > kMaxDepth) {
      throw too_deep();
    }
    json value = json::parse(body, nullptr, false);
    if (!value.is_discarded()) {
      return value;
    }
  }
  core::YamlLimits limits;
  limits.max_depth = static_cast<int>(kMaxDepth);
  auto document = core::parse_yaml_document(body, "body", 1, limits);
  if (!document.parsed) {
    std::string why;
    for (const auto& diagnostic : document.diagnostics) {
      if (diagnostic.message.find("deeper") != std::string::npos ||
          diagnostic.message.find("nesting") != std::string::npos) {
        throw too_deep();
      }
      why += (why.empty() ? "" : "; ") + diagnostic.message;
    }
    throw bad_request("error converting YAML to JSON: " + why);
  }
  return std::move(document.value);
}

json apply_merge_patch(json target, const json& patch) {
  target.merge_patch(patch); // RFC 7386; recursion bounded by the patch's (checked) depth
  return target;
}

json apply_json_patch(const json& target, const json& patch) {
  if (!patch.is_array()) {
    throw bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  }
  for (const auto& operation : patch) {
    if (!operation.is_object() || !operation.contains("op") || !operation["op"].is_string() ||
        !operation.contains("path") || !operation["path"].is_string()) {
      throw bad_request("invalid JSON patch operation: " + operation.dump());
    }
  }
  try {
    return target.patch(patch);
  } catch (const json::parse_error& error) {
    throw bad_request(std::string("invalid JSON patch: ") + error.what());
  } catch (const json::exception& error) {
    throw generic_error(422, 0, error.what());
  }
}

const json* find_path(const json& object, const std::vector<std::string>& path) {
  const json* node = &object;
  for (const auto& key : path) {
    if (!node->is_object()) {
      return nullptr;
    }
    const auto it = node->find(key);
    if (it == node->end()) {
      return nullptr;
    }
    node = &*it;
  }
  return node;
}

bool erase_path(json& object, const std::vector<std::string>& path) {
  if (path.empty()) {
    return false;
  }
  json* node = &object;
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    if (!node->is_object()) {
      return false;
    }
    const auto it = node->find(path[i]);
    if (it == node->end()) {
      return false;
    }
    node = &*it;
  }
  return node->is_object() && node->erase(path.back()) > 0;
}

} // namespace herd::test_apiserver
