#include <herd/kube/resource.hpp>

namespace herd::kube {

std::string ResourceType::api_version() const {
  return group.empty() ? version : group + "/" + version;
}

std::string api_path(const ResourceType& type,
                     std::string_view name_space,
                     std::string_view name,
                     std::string_view subresource) {
  std::string path = type.group.empty() ? "/api/" + type.version : "/apis/" + type.group + "/" + type.version;
  if (type.namespaced && !name_space.empty()) {
    path += "/namespaces/";
    path += name_space;
  }
  path += "/";
  path += type.plural;
  if (!name.empty()) {
    path += "/";
    path += name;
    if (!subresource.empty()) {
      path += "/";
      path += subresource;
    }
  }
  return path;
}

} // namespace herd::kube
