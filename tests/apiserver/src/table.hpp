#pragma once

// Table responses (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), which `kubectl get` asks for:
// the Name column, then the CRD's additionalPrinterColumns (built-ins: Age), as the apiextensions
// tableconvertor builds them.

#include <herd/test_apiserver/api_server.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace herd::test_apiserver {

// `list_or_object`: a list response (items) or a single object. `include_object`: None, Metadata, Object.
nlohmann::json to_table(const ResourceType& type,
                        const nlohmann::json& list_or_object,
                        std::string_view api_version,
                        std::string_view include_object);

// The value a column's JSONPath selects: `.a.b`, `[0]`, `[?(@.type=="Ready")]`; null when absent.
nlohmann::json evaluate_column_path(const nlohmann::json& object, std::string_view path);

// duration.HumanDuration: "45s", "5m10s", "3h", "2d4h".
std::string human_duration(long long seconds);

} // namespace herd::test_apiserver
