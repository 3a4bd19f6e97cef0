#include "age.hpp"
#include "cluster_connection.hpp"
#include "get_command.hpp"
#include "terminal.hpp"

#include <herd/core/yaml_writer.hpp>
#include <herd/kube/object_meta.hpp>
#include <herd/plugin/app.hpp>

#include <algorithm>
#include <chrono>
#include <ostream>
#include <string>
#include <vector>

namespace herd::plugin {

namespace {

using nlohmann::json;

// Go's text/tabwriter as kubectl configures it (minwidth 6, padding 3): every column but the last is as wide
// as its widest cell plus 3 spaces, and at least 6.
void print_table(const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], std::max<std::size_t>(row[i].size() + 3, 6));
    }
  }
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      out << row[i];
      if (i + 1 < row.size()) {
        out << std::string(widths[i] - row[i].size(), ' ');
      }
    }
    out << '\n';
  }
}

const json& at(const json& object, const char* key) {
  static const json null_value;
  if (!object.is_object()) {
    return null_value;
  }
  const auto found = object.find(key);
  return found == object.end() ? null_value : *found;
}

// A cell from a scalar: strings as they are, numbers and booleans as JSON writes them, anything else empty
// (as kubectl prints a printer column whose path is missing).
std::string cell(const json& value) {
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_number() || value.is_boolean()) {
    return value.dump();
  }
  return {};
}

std::vector<std::string>
row_of(const json& stack, bool all_namespaces, bool wide, std::chrono::system_clock::time_point now) {
  const json& status = at(stack, "status");
  const json& summary = at(status, "summary");
  const json& charts_count = at(summary, "charts");
  // Before the reconciler reports, the chart count is the spec's (a fact of the object, not a guess).
  const std::string charts = charts_count.is_number()
                                 ? cell(charts_count)
                                 : (at(at(stack, "spec"), "charts").is_array()
                                        ? std::to_string(at(at(stack, "spec"), "charts").size())
                                        : std::string());
  const json& ready = at(summary, "readyBundles");
  std::vector<std::string> row;
  if (all_namespaces) {
    row.push_back(kube::metadata_string(stack, "namespace"));
  }
  row.push_back(kube::metadata_string(stack, "name"));
  row.push_back(cell(at(status, "phase")));
  row.push_back(cell(at(summary, "clusters")));
  row.push_back(charts);
  row.push_back((ready.is_number() ? cell(ready) : "0") + "/" + (charts.empty() ? "0" : charts));
  row.push_back(age_since(kube::metadata_string(stack, "creationTimestamp"), now));
  if (wide) {
    const std::string message = one_line(cell(at(status, "message")));
    row.push_back(message.empty() ? "<none>" : message);
  }
  return row;
}

// The object as kubectl prints it: without metadata.managedFields (kubectl's --show-managed-fields=false).
json printable(json object) {
  if (object.is_object() && object.contains("metadata") && object["metadata"].is_object()) {
    object["metadata"].erase("managedFields");
  }
  return object;
}

void print_document(const json& document, const std::string& output, std::ostream& out) {
  if (output == "json") {
    out << document.dump(4) << '\n';
  } else {
    out << core::to_yaml(document);
  }
}

} // namespace

int get(const GetOptions& options, const CommandContext& context) {
  if (!options.name.empty() && context.global.all_namespaces) {
    context.err << "error: a resource cannot be retrieved by name across all namespaces\n";
    return k_exit_usage;
  }
  core::Result<ClusterConnection> cluster = connect_cluster(context.global);
  if (!cluster) {
    context.err << "error: " << cluster.error().message << '\n';
    return k_exit_usage;
  }
  const bool table = options.output == "text" || options.output == "wide";
  std::vector<json> stacks;
  if (!options.name.empty()) {
    kube::ApiResult<json> found =
        cluster->client->get(kube::resources::stacks, cluster->namespace_name, options.name);
    if (!found) {
      return report_api_error(found.error(), *cluster, context.err);
    }
    if (!table) {
      print_document(printable(std::move(*found)), options.output, context.out);
      return k_exit_ok;
    }
    stacks.push_back(std::move(*found));
  } else {
    const std::string name_space = context.global.all_namespaces ? std::string() : cluster->namespace_name;
    kube::ApiResult<kube::ObjectList> listed = cluster->client->list(kube::resources::stacks, name_space);
    if (!listed) {
      return report_api_error(listed.error(), *cluster, context.err);
    }
    stacks = std::move(listed->items);
  }

  if (!table) {
    json items = json::array();
    for (auto& stack : stacks) {
      items.push_back(printable(std::move(stack)));
    }
    print_document({{"apiVersion", "v1"},
                    {"kind", "List"},
                    {"items", std::move(items)},
                    {"metadata", {{"resourceVersion", ""}}}},
                   options.output, context.out);
    return k_exit_ok;
  }
  if (stacks.empty()) {
    context.err << (context.global.all_namespaces
                        ? std::string("No resources found")
                        : "No resources found in " + cluster->namespace_name + " namespace.")
                << '\n';
    return k_exit_ok;
  }
  const bool wide = options.output == "wide";
  std::vector<std::vector<std::string>> rows;
  rows.reserve(stacks.size() + 1);
  std::vector<std::string> header;
  if (context.global.all_namespaces) {
    header.emplace_back("NAMESPACE");
  }
  for (const char* column : {"NAME", "PHASE", "CLUSTERS", "CHARTS", "READY", "AGE"}) {
    header.emplace_back(column);
  }
  if (wide) {
    header.emplace_back("REASON");
  }
  rows.push_back(std::move(header));
  const auto now = std::chrono::system_clock::now();
  for (const auto& stack : stacks) {
    rows.push_back(row_of(stack, context.global.all_namespaces, wide, now));
  }
  print_table(rows, context.out);
  return k_exit_ok;
}

} // namespace herd::plugin
