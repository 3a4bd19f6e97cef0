#include "table.hpp"

#include <chrono>
#include <ctime>

namespace herd::test_apiserver {

using nlohmann::json;

std::string human_duration(long long seconds) {
  if (seconds < -1) {
    return "<invalid>";
  }
  if (seconds < 0) {
    return "0s";
  }
  const auto text = [](long long value, const char* unit) { return std::to_string(value) + unit; };
  // "5m10s", or "5m" when the smaller unit is 0.
  const auto two = [&](long long first, const char* first_unit, long long rest, const char* rest_unit) {
    return rest == 0 ? text(first, first_unit) : text(first, first_unit) + text(rest, rest_unit);
  };
  if (seconds < 120) {
    return text(seconds, "s");
  }
  const long long minutes = seconds / 60;
  if (minutes < 10) {
    return two(minutes, "m", seconds % 60, "s");
  }
  if (minutes < 180) {
    return text(minutes, "m");
  }
  const long long hours = minutes / 60;
  if (hours < 8) {
    return two(hours, "h", minutes % 60, "m");
  }
  if (hours < 48) {
    return text(hours, "h");
  }
  const long long days = hours / 24;
  if (hours < 24LL * 8) {
    return two(days, "d", hours % 24, "h");
  }
  if (hours < 24LL * 365 * 2) {
    return text(days, "d");
  }
  const long long years = days / 365;
  if (hours < 24LL * 365 * 8) {
    return two(years, "y", days % 365, "d");
  }
  return text(years, "y");
}

namespace {

long long seconds_since(const std::string& timestamp) {
  std::tm parsed{};
  if (strptime(timestamp.c_str(), "%Y-%m-%dT%H:%M:%SZ", &parsed) == nullptr) {
    return -2;
  }
  const auto then = timegm(&parsed);
  return static_cast<long long>(std::time(nullptr) - then);
}

// Reads a key or an index segment of a JSONPath: `.name`, `[3]`, `[?(@.key=="value")]`.
json step(const json& node, std::string_view& path) {
  if (path.front() == '.') {
    path.remove_prefix(1);
    const auto end = path.find_first_of(".[");
    const std::string key(path.substr(0, end));
    path.remove_prefix(end == std::string_view::npos ? path.size() : end);
    if (!node.is_object() || !node.contains(key)) {
      return nullptr;
    }
    return node[key];
  }
  const auto close = path.find(']');
  if (close == std::string_view::npos) {
    path = {};
    return nullptr;
  }
  const auto inside = path.substr(1, close - 1);
  path.remove_prefix(close + 1);
  if (inside.rfind("?(@.", 0) == 0 && inside.back() == ')') {
    const auto condition = inside.substr(4, inside.size() - 5);
    const auto equals = condition.find("==");
    if (equals == std::string_view::npos || !node.is_array()) {
      return nullptr;
    }
    const std::string key(condition.substr(0, equals));
    auto wanted = condition.substr(equals + 2);
    if (wanted.size() >= 2 && (wanted.front() == '"' || wanted.front() == '\'')) {
      wanted = wanted.substr(1, wanted.size() - 2);
    }
    for (const auto& item : node) {
      if (item.is_object() && item.contains(key) && item[key].is_string() &&
          item[key] == std::string(wanted)) {
        return item;
      }
    }
    return nullptr;
  }
  if (!node.is_array()) {
    return nullptr;
  }
  std::size_t index = 0;
  for (const char c : inside) {
    if (c < '0' || c > '9') {
      return nullptr;
    }
    index = index * 10 + static_cast<std::size_t>(c - '0');
  }
  return index < node.size() ? node[index] : json();
}

json cell(const PrinterColumn& column, const json& object) {
  const json value = evaluate_column_path(object, column.json_path);
  if (value.is_null()) {
    return nullptr;
  }
  if (column.type == "string") {
    return value.is_string() ? value : json(value.dump());
  }
  if (column.type == "integer") {
    return value.is_number() ? json(value.get<long long>()) : json();
  }
  if (column.type == "number") {
    return value.is_number() ? json(value.get<double>()) : json();
  }
  if (column.type == "boolean") {
    return value.is_boolean() ? value : json();
  }
  if (column.type == "date") {
    return value.is_string() ? json(human_duration(seconds_since(value.get<std::string>()))) : json();
  }
  return nullptr;
}

} // namespace

json evaluate_column_path(const json& object, std::string_view path) {
  json node = object;
  while (!path.empty() && !node.is_null()) {
    if (path.front() != '.' && path.front() != '[') {
      return nullptr;
    }
    node = step(node, path);
  }
  return node;
}

json to_table(const ResourceType& type,
              const json& list_or_object,
              std::string_view api_version,
              std::string_view include_object) {
  std::vector<PrinterColumn> columns = type.printer_columns;
  if (columns.empty()) {
    columns.push_back({"Age", "date", ".metadata.creationTimestamp", "", 0});
  }
  json definitions = json::array();
  definitions.push_back({{"name", "Name"},
                         {"type", "string"},
                         {"format", "name"},
                         {"description", "Name must be unique within a namespace."},
                         {"priority", 0}});
  for (const auto& column : columns) {
    definitions.push_back(
        {{"name", column.name},
         {"type", column.type},
         {"format", ""},
         {"description", column.description.empty()
                             ? "Custom resource definition column (in JSONPath format): " + column.json_path
                             : column.description},
         {"priority", column.priority}});
  }
  const bool is_list = list_or_object.contains("items");
  json items = is_list ? list_or_object["items"] : json::array({list_or_object});
  json rows = json::array();
  for (auto& item : items) {
    if (!item.contains("kind")) {
      item["apiVersion"] = type.api_version();
      item["kind"] = type.kind;
    }
    json cells = json::array({item["metadata"].value("name", "")});
    for (const auto& column : columns) {
      cells.push_back(cell(column, item));
    }
    json row = {{"cells", cells}};
    if (include_object == "Object") {
      row["object"] = item;
    } else if (include_object != "None") {
      row["object"] = {{"kind", "PartialObjectMetadata"},
                       {"apiVersion", "meta.k8s.io/" + std::string(api_version)},
                       {"metadata", item["metadata"]}};
    }
    rows.push_back(std::move(row));
  }
  json meta = json::object();
  const auto& source_meta = list_or_object.value("metadata", json::object());
  for (const char* key : {"resourceVersion", "continue", "remainingItemCount"}) {
    if (source_meta.contains(key)) {
      meta[key] = source_meta[key];
    }
  }
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/" + std::string(api_version)},
          {"metadata", meta},
          {"columnDefinitions", definitions},
          {"rows", rows}};
}

} // namespace herd::test_apiserver
