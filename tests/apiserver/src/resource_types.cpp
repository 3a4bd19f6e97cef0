#include <herd/test_apiserver/api_server.hpp>

#include <cctype>
#include <stdexcept>
#include <utility>

namespace herd::test_apiserver {

using nlohmann::json;

std::string ResourceType::api_version() const {
  return group.empty() ? version : group + "/" + version;
}

std::string ResourceType::group_resource() const {
  return group.empty() ? plural : plural + "." + group;
}

namespace {

// The registry strategy of every custom resource.
void use_custom_resource_strategy(ResourceType& type) {
  type.custom_resource = true;
  type.allow_create_on_update = false;     // customResourceStrategy.AllowCreateOnUpdate
  type.allow_unconditional_update = false; // customResourceStrategy.AllowUnconditionalUpdate
  type.return_deleted_object = true;       // the CR registry's store sets ReturnDeletedObject
}

ResourceType named_resource(
    std::string group, std::string version, std::string plural, std::string singular, std::string kind) {
  ResourceType type;
  type.group = std::move(group);
  type.version = std::move(version);
  type.plural = std::move(plural);
  type.singular = std::move(singular);
  type.list_kind = kind + "List";
  type.kind = std::move(kind);
  return type;
}

} // namespace

ResourceType resource_type_from_crd(const json& crd, std::string_view version) {
  if (!crd.is_object() || crd.value("kind", "") != "CustomResourceDefinition" || !crd.contains("spec") ||
      !crd["spec"].is_object()) {
    throw std::invalid_argument("not a CustomResourceDefinition");
  }
  const auto& spec = crd["spec"];
  const auto& names = spec.value("names", json::object());
  ResourceType type;
  type.group = spec.value("group", "");
  type.plural = names.value("plural", "");
  type.singular = names.value("singular", "");
  type.kind = names.value("kind", "");
  type.list_kind = names.value("listKind", type.kind + "List");
  type.namespaced = spec.value("scope", "Namespaced") == "Namespaced";
  use_custom_resource_strategy(type);
  type.short_names = names.value("shortNames", std::vector<std::string>{});
  type.categories = names.value("categories", std::vector<std::string>{});
  if (type.group.empty() || type.plural.empty() || type.kind.empty()) {
    throw std::invalid_argument("CustomResourceDefinition without group, plural or kind");
  }
  const json versions = spec.value("versions", json::array());
  const json* chosen = nullptr;
  for (const auto& candidate : versions) {
    if (!candidate.is_object() || !candidate.value("served", false)) {
      continue;
    }
    if (version.empty() ? candidate.value("storage", false) : candidate.value("name", "") == version) {
      chosen = &candidate;
    }
  }
  if (chosen == nullptr) {
    throw std::invalid_argument("CustomResourceDefinition " + type.plural + "." + type.group +
                                " serves no such version");
  }
  type.version = chosen->value("name", "");
  const auto& subresources = chosen->value("subresources", json::object());
  type.status_subresource = subresources.is_object() && subresources.contains("status");
  for (const auto& column : chosen->value("additionalPrinterColumns", json::array())) {
    type.printer_columns.push_back({column.value("name", ""), column.value("type", "string"),
                                    column.value("jsonPath", ""), column.value("description", ""),
                                    column.value("priority", 0)});
  }
  return type;
}

namespace {

ResourceType built_in(std::string group,
                      std::string version,
                      std::string plural,
                      std::string kind,
                      bool namespaced,
                      bool create_on_update,
                      bool unconditional_update) {
  std::string singular = kind;
  for (auto& c : singular) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  ResourceType type = named_resource(std::move(group), std::move(version), std::move(plural),
                                     std::move(singular), std::move(kind));
  type.namespaced = namespaced;
  type.allow_create_on_update = create_on_update;
  type.allow_unconditional_update = unconditional_update;
  return type;
}

ResourceType custom(std::string group,
                    std::string version,
                    std::string plural,
                    std::string singular,
                    std::string kind,
                    std::vector<std::string> short_names,
                    std::vector<std::string> categories,
                    std::vector<PrinterColumn> columns) {
  ResourceType type = named_resource(std::move(group), std::move(version), std::move(plural),
                                     std::move(singular), std::move(kind));
  type.namespaced = true;
  use_custom_resource_strategy(type);
  type.status_subresource = true;
  type.short_names = std::move(short_names);
  type.categories = std::move(categories);
  type.printer_columns = std::move(columns);
  return type;
}

} // namespace

std::vector<ResourceType> default_resource_types() {
  std::vector<ResourceType> types;
  // The flags are the registry strategies' (pkg/registry/core/*/strategy.go,
  // pkg/registry/coordination/lease).
  auto namespaces = built_in("", "v1", "namespaces", "Namespace", false, false, true);
  namespaces.status_subresource = true; // namespaceStrategy.PrepareForUpdate keeps the old status
  namespaces.return_deleted_object = true;
  namespaces.short_names = {"ns"};
  types.push_back(namespaces);
  auto configmaps = built_in("", "v1", "configmaps", "ConfigMap", true, false, true);
  configmaps.short_names = {"cm"};
  types.push_back(configmaps);
  types.push_back(built_in("", "v1", "secrets", "Secret", true, false, true));
  auto events = built_in("", "v1", "events", "Event", true, true, true);
  events.short_names = {"ev"};
  types.push_back(events);
  types.push_back(built_in("coordination.k8s.io", "v1", "leases", "Lease", true, true, false));

  // manifests/crds/herd.suse.com_stacks.yaml
  const std::string phase_help =
      "Overall phase: Pending, Deploying, Deployed, Degraded, Failed, Paused, NoTargets or Deleting.";
  types.push_back(
      custom("herd.suse.com", "v1", "stacks", "stack", "Stack", {"stk"}, {"herd"},
             {{"Phase", "string", ".status.phase", phase_help, 0},
              {"Clusters", "integer", ".status.summary.clusters", "Number of clusters the Stack targets.", 0},
              {"Charts", "integer", ".status.summary.charts", "Number of charts in the Stack.", 0},
              {"Ready", "integer", ".status.summary.readyBundles",
               "Number of chart Bundles ready on all their clusters.", 0},
              {"Age", "date", ".metadata.creationTimestamp", "", 0}}));
  // ../shared/reference/fleet/*.fleet.cattle.io.yaml
  const std::string ready_message = ".status.conditions[?(@.type==\"Ready\")].message";
  types.push_back(custom("fleet.cattle.io", "v1alpha1", "bundles", "bundle", "Bundle", {}, {},
                         {{"BundleDeployments-Ready", "string", ".status.display.readyClusters", "", 0},
                          {"Status", "string", ready_message, "", 0}}));
  types.push_back(custom("fleet.cattle.io", "v1alpha1", "bundledeployments", "bundledeployment",
                         "BundleDeployment", {}, {},
                         {{"Deployed", "string", ".status.display.deployed", "", 0},
                          {"Monitored", "string", ".status.display.monitored", "", 0},
                          {"Status", "string", ready_message, "", 0}}));
  types.push_back(custom("fleet.cattle.io", "v1alpha1", "clusters", "cluster", "Cluster", {}, {},
                         {{"Bundles-Ready", "string", ".status.display.readyBundles", "", 0},
                          {"Last-Seen", "string", ".status.agent.lastSeen", "", 0},
                          {"Status", "string", ready_message, "", 0}}));
  types.push_back(custom("fleet.cattle.io", "v1alpha1", "clustergroups", "clustergroup", "ClusterGroup", {},
                         {"fleet"},
                         {{"Clusters-Ready", "string", ".status.display.readyClusters", "", 0},
                          {"Bundles-Ready", "string", ".status.display.readyBundles", "", 0},
                          {"Status", "string", ready_message, "", 0}}));
  types.push_back(
      custom("fleet.cattle.io", "v1alpha1", "helmops", "helmop", "HelmOp", {}, {"fleet"},
             {{"Repo", "string", ".spec.helm.repo", "", 0},
              {"Chart", "string", ".spec.helm.chart", "", 0},
              {"Version", "string", ".status.version", "", 0},
              {"BundleDeployments-Ready", "string", ".status.display.readyBundleDeployments", "", 0},
              {"Status", "string", ready_message, "", 0}}));
  return types;
}

} // namespace herd::test_apiserver
