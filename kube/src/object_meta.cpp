#include <herd/kube/object_meta.hpp>

namespace herd::kube {

namespace {

const nlohmann::json* metadata_of(const nlohmann::json& object) {
  if (!object.is_object()) {
    return nullptr;
  }
  const auto metadata = object.find("metadata");
  return metadata != object.end() && metadata->is_object() ? &*metadata : nullptr;
}

// metadata.labels or metadata.annotations when it is an object.
const nlohmann::json* metadata_map(const nlohmann::json& object, std::string_view map) {
  const auto* metadata = metadata_of(object);
  if (metadata == nullptr) {
    return nullptr;
  }
  const auto found = metadata->find(map);
  return found != metadata->end() && found->is_object() ? &*found : nullptr;
}

std::string string_at(const nlohmann::json* object, std::string_view key) {
  if (object == nullptr) {
    return {};
  }
  const auto found = object->find(key);
  return found != object->end() && found->is_string() ? found->get<std::string>() : std::string();
}

} // namespace

std::string metadata_string(const nlohmann::json& object, std::string_view field) {
  return string_at(metadata_of(object), field);
}

std::string label(const nlohmann::json& object, std::string_view key) {
  return string_at(metadata_map(object, "labels"), key);
}

std::string annotation(const nlohmann::json& object, std::string_view key) {
  return string_at(metadata_map(object, "annotations"), key);
}

nlohmann::json labels(const nlohmann::json& object) {
  const auto* found = metadata_map(object, "labels");
  return found != nullptr ? *found : nlohmann::json::object();
}

} // namespace herd::kube
