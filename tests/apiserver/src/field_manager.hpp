#pragma once

// Field ownership for server-side apply (the apiserver's fieldmanager on sigs.k8s.io/structured-merge-diff),
// simplified: a field is a path of object keys; every list is atomic (one owner for the whole list, as for
// custom resources whose schema has no x-kubernetes-list-type markers); maps are granular.
// See https://kubernetes.io/docs/reference/using-api/server-side-apply/ (Field management, Conflicts,
// Merge strategy).

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

namespace herd::test_apiserver {

using FieldPath = std::vector<std::string>;
using FieldSet = std::set<FieldPath>;

// One metadata.managedFields entry.
struct ManagedFieldsEntry {
  std::string manager;
  std::string operation; // Apply or Update
  std::string subresource;
  std::string api_version;
  std::string time;
  FieldSet fields;
};

struct FieldOwnership {
  std::vector<ManagedFieldsEntry> entries;

  // metadata.managedFields, FieldsV1 (`f:spec: {.: {}, f:replicas: {}}`); empty array when nobody owns
  // anything.
  [[nodiscard]] nlohmann::json to_json() const;
};

// The fields an object (or an apply configuration) sets: every key path, where a map is a field of its own
// (FieldsV1's `.`) and so is each member; lists and scalars are leaves. apiVersion, kind, `metadata` itself
// and the metadata the server owns (name, namespace, uid, resourceVersion, generation, creationTimestamp,
// deletionTimestamp, deletionGracePeriodSeconds, managedFields, selfLink) are not fields.
FieldSet field_set(const nlohmann::json& object);

struct ApplyConflict {
  std::string manager_description; // `"kubectl"`, `"herd" using v1`, `"x" with subresource "status"`
  FieldPath path;
};

// Merges an apply configuration into `live` (null: the object does not exist yet) for `manager` and updates
// `ownership`:
// - fields the configuration sets take its value (maps merge key by key, lists and scalars are replaced);
// - a field another manager owns whose value would change is a conflict: with `force` the field changes
//   hands, without it `conflicts` is filled and `live` is returned untouched;
// - fields this manager applied before and omits now are removed unless another manager owns them.
// `config` must already be stripped of the fields the server owns.
nlohmann::json merge_apply(const nlohmann::json& live,
                           const nlohmann::json& config,
                           FieldOwnership& ownership,
                           const std::string& manager,
                           const std::string& subresource,
                           const std::string& api_version,
                           bool force,
                           const std::string& now,
                           std::vector<ApplyConflict>& conflicts);

// Records a non-apply write (create, update, patch) by `manager`: the fields it changed become its own
// (operation Update) and leave every other manager; fields that no longer exist leave everybody.
void track_update(const nlohmann::json& before,
                  const nlohmann::json& after,
                  FieldOwnership& ownership,
                  const std::string& manager,
                  const std::string& subresource,
                  const std::string& api_version,
                  const std::string& now);

// `Apply failed with 1 conflict: conflict with "x" using v1: .spec.a` (internal.NewConflictError).
std::string conflict_message(const std::vector<ApplyConflict>& conflicts);
std::string path_string(const FieldPath& path); // ".spec.a"

} // namespace herd::test_apiserver
