// Client configuration resolution, following client-go's k8s.io/client-go/tools/clientcmd:
//  - loader.go (ClientConfigLoadingRules.Load, ResolveLocalPaths, GetAuthInfoFileReferences),
//  - client_config.go (DirectClientConfig.ClientConfig/getContext/getCluster/getAuthInfo/Namespace,
//    ConfirmUsable, validateClusterInfo, validateAuthInfo, inClusterClientConfig),
//  - merged_client_builder.go (DeferredLoadingClientConfig: in-cluster fallback on an empty config),
//  - api/v1/conversion.go (duplicate names in one file are an error), api/v1/defaults.go (interactiveMode),
// and k8s.io/client-go/rest (InClusterConfig, DefaultServerURL, IsConfigTransportTLS).
#include "base64.hpp"
#include "whitespace.hpp"

#include <herd/core/json_path.hpp>
#include <herd/core/source_map.hpp>
#include <herd/core/suggestion.hpp>
#include <herd/core/yaml_loader.hpp>
#include <herd/kube/kubeconfig.hpp>
#include <herd/kube/proxy.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>

namespace herd::kube {

namespace {

using nlohmann::json;

constexpr std::string_view k_exec_extension = "client.authentication.k8s.io/exec";
constexpr std::string_view k_exec_v1 = "client.authentication.k8s.io/v1";
constexpr std::string_view k_exec_v1beta1 = "client.authentication.k8s.io/v1beta1";
constexpr std::string_view k_no_kubeconfig_hint = "set KUBECONFIG, use --kubeconfig, or run in a cluster";

// One kubeconfig file as read.
struct SourceFile {
  std::string path;
  std::filesystem::path directory; // relative file references resolve against it
  core::SourceMap map;
};

// Where an entry came from: its file and the JSON path of its body (clusters[2].cluster).
struct Origin {
  const SourceFile* file = nullptr;
  std::string path;
};

struct RawCluster {
  Origin origin;
  std::string server;
  std::string tls_server_name;
  std::string certificate_authority;
  std::string certificate_authority_data;
  std::string proxy_url;
  bool insecure_skip_tls_verify = false;
  json exec_extension; // null when absent
};

struct RawExec {
  std::string api_version;
  std::string command;
  std::vector<std::string> args;
  std::vector<ExecEnvVar> env;
  std::string install_hint;
  bool provide_cluster_info = false;
  std::string interactive_mode;
};

struct RawUser {
  Origin origin;
  std::string client_certificate;
  std::string client_certificate_data;
  std::string client_key;
  std::string client_key_data;
  std::string token;
  std::string token_file;
  std::string username;
  std::string password;
  std::string impersonate;
  std::string impersonate_uid;
  std::vector<std::string> impersonate_groups;
  std::map<std::string, std::vector<std::string>> impersonate_extra;
  std::optional<std::string> auth_provider; // its name, when the user has one
  std::optional<RawExec> exec;
};

struct RawContext {
  Origin origin;
  std::string cluster;
  std::string user;
  std::string namespace_name;
};

template <typename Raw> using Named = std::vector<std::pair<std::string, Raw>>;

struct ParsedFile {
  std::unique_ptr<SourceFile> source;
  std::string current_context;
  Named<RawCluster> clusters;
  Named<RawUser> users;
  Named<RawContext> contexts;
};

std::string position_text(const SourceFile& file, core::SourcePosition position) {
  std::string out = file.path;
  if (position.line > 0) {
    out += ':' + std::to_string(position.line) + ':' + std::to_string(position.column);
  }
  return out;
}

// An error at `path` of `file`: "file:line:col: path: message".
core::Error located_error(const SourceFile& file, std::string_view path, const std::string& message) {
  const core::SourcePosition position = file.map.locate(path);
  std::string text = position_text(file, position) + ": ";
  if (!path.empty()) {
    text += std::string(path) + ": ";
  }
  return core::Error{text + message, file.path, position.line, position.column};
}

core::Error entry_error(const Origin& origin, std::string_view field, const std::string& message) {
  const std::string path = field.empty() ? origin.path : core::join_path(origin.path, field);
  return located_error(*origin.file, path, message);
}

std::string type_name(const json& value) {
  switch (value.type()) {
  case json::value_t::string:
    return "a string";
  case json::value_t::boolean:
    return "a boolean";
  case json::value_t::number_integer:
  case json::value_t::number_unsigned:
  case json::value_t::number_float:
    return "a number";
  case json::value_t::array:
    return "a list";
  case json::value_t::object:
    return "a mapping";
  default:
    return "null";
  }
}

// Reads typed fields the way Go's encoding/json fills client-go's v1 structs: a missing or null field is the
// zero value, any other type mismatch is an error. Remembers the first error; values are never put into
// messages (they may be secrets).
class Decoder {
public:
  explicit Decoder(const SourceFile& file) : m_file(file) {}

  [[nodiscard]] bool failed() const { return m_error.has_value(); }
  [[nodiscard]] const core::Error& error() const { return *m_error; }
  void fail(std::string_view path, const std::string& message) {
    if (!m_error) {
      m_error = located_error(m_file, path, message);
    }
  }

  std::string string(const json& object, std::string_view key, std::string_view parent) {
    const json* value = member(object, key);
    if (value == nullptr) {
      return {};
    }
    if (!value->is_string()) {
      fail(core::join_path(parent, key), "expected a string, got " + type_name(*value));
      return {};
    }
    return value->get<std::string>();
  }

  bool boolean(const json& object, std::string_view key, std::string_view parent) {
    const json* value = member(object, key);
    if (value == nullptr) {
      return false;
    }
    if (!value->is_boolean()) {
      fail(core::join_path(parent, key), "expected a boolean (true or false), got " + type_name(*value));
      return false;
    }
    return value->get<bool>();
  }

  // A []byte field: base64 text in the file, the decoded bytes here.
  std::string bytes(const json& object, std::string_view key, std::string_view parent) {
    const std::string text = string(object, key, parent);
    if (text.empty()) {
      return {};
    }
    auto decoded = decode_base64(text);
    if (!decoded) {
      fail(core::join_path(parent, key), "invalid base64 (expected standard base64 with = padding, as "
                                         "`base64 -w0 FILE` writes it)");
      return {};
    }
    return std::move(*decoded);
  }

  std::vector<std::string> strings(const json& object, std::string_view key, std::string_view parent) {
    std::vector<std::string> out;
    const std::string path = core::join_path(parent, key);
    const json& items = list(object, key, parent);
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].is_null()) {
        out.emplace_back();
      } else if (items[i].is_string()) {
        out.push_back(items[i].get<std::string>());
      } else {
        fail(core::join_path(path, i), "expected a string, got " + type_name(items[i]));
      }
    }
    return out;
  }

  // A mapping field; an empty one when missing or null.
  const json& mapping(const json& object, std::string_view key, std::string_view parent) {
    const json* value = member(object, key);
    if (value == nullptr) {
      return empty_object();
    }
    if (!value->is_object()) {
      fail(core::join_path(parent, key), "expected a mapping, got " + type_name(*value));
      return empty_object();
    }
    return *value;
  }

  // A list field; an empty one when missing or null.
  const json& list(const json& object, std::string_view key, std::string_view parent) {
    const json* value = member(object, key);
    if (value == nullptr) {
      return empty_array();
    }
    if (!value->is_array()) {
      fail(core::join_path(parent, key), "expected a list, got " + type_name(*value));
      return empty_array();
    }
    return *value;
  }

  // Whether the field is present and not null.
  static bool has(const json& object, std::string_view key) { return member(object, key) != nullptr; }

private:
  static const json* member(const json& object, std::string_view key) {
    if (!object.is_object()) {
      return nullptr;
    }
    const auto found = object.find(key);
    if (found == object.end() || found->is_null()) {
      return nullptr;
    }
    return &*found;
  }
  static const json& empty_object() {
    static const json value = json::object();
    return value;
  }
  static const json& empty_array() {
    static const json value = json::array();
    return value;
  }

  const SourceFile& m_file;
  std::optional<core::Error> m_error;
};

RawCluster decode_cluster(Decoder& d, const json& body, const std::string& path) {
  RawCluster cluster;
  cluster.server = d.string(body, "server", path);
  cluster.tls_server_name = d.string(body, "tls-server-name", path);
  cluster.insecure_skip_tls_verify = d.boolean(body, "insecure-skip-tls-verify", path);
  cluster.certificate_authority = d.string(body, "certificate-authority", path);
  cluster.certificate_authority_data = d.bytes(body, "certificate-authority-data", path);
  cluster.proxy_url = d.string(body, "proxy-url", path);
  (void)d.boolean(body, "disable-compression", path);
  const std::string extensions_path = core::join_path(path, "extensions");
  const json& extensions = d.list(body, "extensions", path);
  for (std::size_t i = 0; i < extensions.size(); ++i) {
    const std::string item_path = core::join_path(extensions_path, i);
    if (d.string(extensions[i], "name", item_path) == k_exec_extension &&
        extensions[i].contains("extension")) {
      cluster.exec_extension = extensions[i]["extension"];
    }
  }
  return cluster;
}

RawUser decode_user(Decoder& d, const json& body, const std::string& path) {
  RawUser user;
  user.client_certificate = d.string(body, "client-certificate", path);
  user.client_certificate_data = d.bytes(body, "client-certificate-data", path);
  user.client_key = d.string(body, "client-key", path);
  user.client_key_data = d.bytes(body, "client-key-data", path);
  user.token = d.string(body, "token", path);
  user.token_file = d.string(body, "tokenFile", path);
  user.username = d.string(body, "username", path);
  user.password = d.string(body, "password", path);
  user.impersonate = d.string(body, "as", path);
  user.impersonate_uid = d.string(body, "as-uid", path);
  user.impersonate_groups = d.strings(body, "as-groups", path);
  const std::string extra_path = core::join_path(path, "as-user-extra");
  const json& extra = d.mapping(body, "as-user-extra", path);
  for (const auto& [key, values] : extra.items()) {
    user.impersonate_extra[key] = d.strings(extra, key, extra_path);
  }
  if (Decoder::has(body, "auth-provider")) {
    const std::string provider_path = core::join_path(path, "auth-provider");
    const json& provider = d.mapping(body, "auth-provider", path);
    user.auth_provider = d.string(provider, "name", provider_path);
  }
  if (Decoder::has(body, "exec")) {
    const std::string exec_path = core::join_path(path, "exec");
    const json& exec = d.mapping(body, "exec", path);
    RawExec raw;
    raw.api_version = d.string(exec, "apiVersion", exec_path);
    raw.command = d.string(exec, "command", exec_path);
    raw.args = d.strings(exec, "args", exec_path);
    const std::string env_path = core::join_path(exec_path, "env");
    const json& env = d.list(exec, "env", exec_path);
    for (std::size_t i = 0; i < env.size(); ++i) {
      const std::string item_path = core::join_path(env_path, i);
      if (!env[i].is_object() && !env[i].is_null()) {
        d.fail(item_path, "expected a mapping with name and value, got " + type_name(env[i]));
        continue;
      }
      raw.env.push_back(
          ExecEnvVar{d.string(env[i], "name", item_path), d.string(env[i], "value", item_path)});
    }
    raw.install_hint = d.string(exec, "installHint", exec_path);
    raw.provide_cluster_info = d.boolean(exec, "provideClusterInfo", exec_path);
    raw.interactive_mode = d.string(exec, "interactiveMode", exec_path);
    user.exec = std::move(raw);
  }
  return user;
}

RawContext decode_context(Decoder& d, const json& body, const std::string& path) {
  RawContext context;
  context.cluster = d.string(body, "cluster", path);
  context.user = d.string(body, "user", path);
  context.namespace_name = d.string(body, "namespace", path);
  return context;
}

// clusters/users/contexts: a list of {name, <body_key>: {...}}. A name defined twice in one file is an
// error (client-go's v1 conversion refuses it).
template <typename Raw, typename DecodeBody>
void decode_named(Decoder& d,
                  const SourceFile& file,
                  const json& root,
                  std::string_view list_key,
                  std::string_view body_key,
                  Named<Raw>& out,
                  DecodeBody decode_body) {
  const std::string list_path = core::join_path("", list_key);
  const json& items = d.list(root, list_key, "");
  std::set<std::string, std::less<>> seen;
  for (std::size_t i = 0; i < items.size() && !d.failed(); ++i) {
    const std::string item_path = core::join_path(list_path, i);
    const json& item = items[i];
    if (item.is_null()) {
      continue;
    }
    if (!item.is_object()) {
      d.fail(item_path,
             "expected a mapping with name and " + std::string(body_key) + ", got " + type_name(item));
      continue;
    }
    std::string name = d.string(item, "name", item_path);
    if (!seen.insert(name).second) {
      d.fail(core::join_path(item_path, "name"), "duplicate name \"" + name + "\" in " +
                                                     std::string(list_key) +
                                                     " (each name may appear once per file)");
      continue;
    }
    const std::string body_path = core::join_path(item_path, body_key);
    const json& body = d.mapping(item, body_key, item_path);
    Raw raw = decode_body(d, body, body_path);
    raw.origin = Origin{&file, body_path};
    out.emplace_back(std::move(name), std::move(raw));
  }
}

// Parses one kubeconfig (YAML or JSON) into its entries, checking every field's type as client-go's decoder
// does (so a broken entry fails the load even when it is not the one used).
core::Result<ParsedFile> parse_file(std::string_view text, std::unique_ptr<SourceFile> source) {
  ParsedFile parsed;
  const SourceFile& file = *source;
  core::YamlDocument document = core::parse_yaml_document(text, source->path);
  if (!document.parsed) {
    for (const core::Diagnostic& diagnostic : document.diagnostics) {
      if (diagnostic.rule == "HERD001") {
        return core::Error{position_text(file, {diagnostic.line, diagnostic.column}) + ": " +
                               diagnostic.message,
                           source->path, diagnostic.line, diagnostic.column};
      }
    }
    return core::Error{source->path + ": not a valid kubeconfig", source->path};
  }
  source->map = std::move(document.source_map);
  parsed.source = std::move(source);
  const json& root = document.value;
  if (root.is_null()) {
    return parsed; // an empty file is an empty config (client-go's Load)
  }
  if (!root.is_object()) {
    return located_error(
        file, "", "a kubeconfig must be a mapping (apiVersion: v1, kind: Config), got " + type_name(root));
  }
  Decoder d(file);
  const std::string kind = d.string(root, "kind", "");
  const std::string api_version = d.string(root, "apiVersion", "");
  if (!d.failed() && !kind.empty() && kind != "Config") {
    d.fail("kind", "a kubeconfig has kind Config, not \"" + kind + "\"");
  }
  if (!d.failed() && !api_version.empty() && api_version != "v1") {
    d.fail("apiVersion", "a kubeconfig has apiVersion v1, not \"" + api_version + "\"");
  }
  parsed.current_context = d.string(root, "current-context", "");
  decode_named(d, file, root, "clusters", "cluster", parsed.clusters, decode_cluster);
  decode_named(d, file, root, "users", "user", parsed.users, decode_user);
  decode_named(d, file, root, "contexts", "context", parsed.contexts, decode_context);
  if (d.failed()) {
    return d.error();
  }
  return parsed;
}

// The merge of the loaded files: the first file to define a name wins it whole; current-context comes from
// the first file that sets one (client-go merges maps first-wins and other values last-wins in reverse).
struct Merged {
  std::vector<ParsedFile> files;
  std::string current_context;
  const SourceFile* current_context_file = nullptr;
  std::map<std::string, const RawCluster*, std::less<>> clusters;
  std::map<std::string, const RawUser*, std::less<>> users;
  std::map<std::string, const RawContext*, std::less<>> contexts;

  void index() {
    for (const ParsedFile& file : files) {
      if (current_context.empty() && !file.current_context.empty()) {
        current_context = file.current_context;
        current_context_file = file.source.get();
      }
      for (const auto& [name, raw] : file.clusters) {
        clusters.emplace(name, &raw);
      }
      for (const auto& [name, raw] : file.users) {
        users.emplace(name, &raw);
      }
      for (const auto& [name, raw] : file.contexts) {
        contexts.emplace(name, &raw);
      }
    }
  }
};

template <typename Map> std::vector<std::string> names_of(const Map& map) {
  std::vector<std::string> names;
  names.reserve(map.size());
  for (const auto& entry : map) {
    names.push_back(entry.first);
  }
  return names;
}

// " (did you mean "x"?)", else " (contexts: a, b, c)" for a short list, else "".
template <typename Map> std::string suggestion(std::string_view name, const Map& map, std::string_view what) {
  const std::vector<std::string> names = names_of(map);
  std::string hint = core::did_you_mean(name, names);
  if (!hint.empty()) {
    return hint;
  }
  if (names.empty()) {
    return " (it defines no " + std::string(what) + ")";
  }
  if (names.size() > 10) {
    return {};
  }
  std::string list;
  for (const std::string& n : names) {
    list += (list.empty() ? "" : ", ") + n;
  }
  return " (" + std::string(what) + ": " + list + ")";
}

std::string file_list(const std::vector<std::string>& files) {
  std::string out = files.size() == 1 ? "kubeconfig " : "kubeconfigs ";
  for (std::size_t i = 0; i < files.size(); ++i) {
    out += (i == 0 ? "" : ", ") + files[i];
  }
  return out;
}

// client-go's ResolvePaths: a relative reference is relative to the directory of the file that holds it.
std::string resolve_path(const std::string& reference, const SourceFile& file) {
  if (reference.empty() || reference.front() == '/') {
    return reference;
  }
  return (file.directory / reference).lexically_normal().string();
}

bool has_pem_certificate(std::string_view pem) {
  return pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos;
}
bool has_pem_private_key(std::string_view pem) {
  const std::size_t begin = pem.find("-----BEGIN ");
  return begin != std::string_view::npos && pem.find("PRIVATE KEY-----", begin) != std::string_view::npos;
}

// client-go's cleanANSIEscapeCodes for the install hint: control characters other than \t..\r become U+XXXX,
// so a hint cannot drive the terminal.
std::string clean_install_hint(std::string_view hint) {
  std::string out;
  for (const char c : hint) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && (u < 0x09 || u > 0x0d)) || u == 0x7f) {
      static constexpr std::string_view digits = "0123456789ABCDEF";
      out += "U+00";
      out += digits[u >> 4U];
      out += digits[u & 0x0fU];
    } else {
      out += c;
    }
  }
  return out;
}

// Reads a file a kubeconfig entry refers to (certificate-authority, client-certificate, ...).
core::Result<std::string> read_referenced(const Environment& environment,
                                          const Origin& origin,
                                          std::string_view field,
                                          const std::string& path,
                                          std::size_t max_bytes) {
  FileRead read = environment.read_file(path, max_bytes);
  if (!read.ok()) {
    return entry_error(origin, field, "cannot read " + path + ": " + read.error);
  }
  return std::move(read.bytes);
}

// The in-cluster service account files.
struct ServiceAccount {
  std::string token_path;
  std::string ca_path;
  std::string namespace_path;
  explicit ServiceAccount(const KubeconfigOptions& options)
      : token_path(options.service_account_dir + "/token"), ca_path(options.service_account_dir + "/ca.crt"),
        namespace_path(options.service_account_dir + "/namespace") {}
};

// inClusterClientConfig.Possible: KUBERNETES_SERVICE_HOST and _PORT set and the token file present.
bool in_cluster_possible(const KubeconfigOptions& options, const Environment& environment) {
  if (environment.variable("KUBERNETES_SERVICE_HOST").empty() ||
      environment.variable("KUBERNETES_SERVICE_PORT").empty()) {
    return false;
  }
  return environment.read_file(ServiceAccount(options).token_path, k_max_credential_file_bytes).status !=
         FileRead::Status::missing;
}

// inClusterClientConfig.Namespace: POD_NAMESPACE, else the service account's namespace file, else default.
std::string in_cluster_namespace(const KubeconfigOptions& options, const Environment& environment) {
  if (std::string pod_namespace = environment.variable("POD_NAMESPACE"); !pod_namespace.empty()) {
    return pod_namespace;
  }
  const FileRead read =
      environment.read_file(ServiceAccount(options).namespace_path, k_max_credential_file_bytes);
  if (read.ok()) {
    if (std::string name = trim_whitespace(read.bytes); !name.empty()) {
      return name;
    }
  }
  return "default";
}

core::VoidResult apply_proxy_from_environment(ClusterConfig& config, const Environment& environment) {
  auto proxy = proxy_from_environment(config.server_url, ProxyEnvironment::from(environment));
  if (!proxy.ok()) {
    return proxy.error();
  }
  config.proxy = std::move(proxy).value();
  return core::success();
}

// rest.InClusterConfig, with kubectl's -n.
core::Result<ClusterConfig> load_in_cluster(const KubeconfigOptions& options,
                                            const Environment& environment) {
  const ServiceAccount account(options);
  ClusterConfig config;
  config.in_cluster = true;
  std::string host = environment.variable("KUBERNETES_SERVICE_HOST");
  const std::string port = environment.variable("KUBERNETES_SERVICE_PORT");
  if (host.find(':') != std::string::npos) {
    host = "[" + host + "]";
  }
  config.server = "https://" + host + ":" + port;
  auto url = parse_url(config.server);
  if (!url.ok()) {
    return core::Error{
        "in-cluster config: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT do not make a URL: " +
        url.error().message};
  }
  config.server_url = std::move(url).value();

  const FileRead token = environment.read_file(account.token_path, k_max_credential_file_bytes);
  if (!token.ok()) {
    return core::Error{"in-cluster config: cannot read the service account token " + account.token_path +
                       ": " + token.error};
  }
  config.token = trim_whitespace(token.bytes);
  if (config.token.empty()) {
    return core::Error{"in-cluster config: the service account token " + account.token_path + " is empty"};
  }
  config.token_file = account.token_path;

  // A missing or unusable ca.crt is not fatal in client-go (it logs and falls back to the system roots).
  FileRead ca = environment.read_file(account.ca_path, k_max_kubeconfig_bytes);
  if (ca.ok() && has_pem_certificate(ca.bytes)) {
    config.certificate_authority_pem = std::move(ca.bytes);
    config.certificate_authority_file = account.ca_path;
  }

  if (!options.namespace_override.empty()) {
    config.namespace_name = options.namespace_override;
    config.namespace_overridden = true;
  } else {
    config.namespace_name = in_cluster_namespace(options, environment);
  }
  if (auto proxied = apply_proxy_from_environment(config, environment); !proxied.ok()) {
    return proxied.error();
  }
  return config;
}

// validateClusterInfo plus reading the CA, for the cluster in use.
core::VoidResult resolve_cluster(const RawCluster& cluster,
                                 const std::string& name,
                                 const Environment& environment,
                                 ClusterConfig& config) {
  const Origin& origin = cluster.origin;
  const std::string label = "cluster \"" + name + "\"";
  if (cluster.server.empty()) {
    return entry_error(origin, "", "no server found for " + label + " (set its server: https://host:port)");
  }
  config.server = cluster.server;
  auto url = parse_server_url(cluster.server);
  if (!url.ok()) {
    return entry_error(origin, "server", url.error().message);
  }
  config.server_url = std::move(url).value();
  if (!cluster.proxy_url.empty()) {
    // client-go's parseProxyURL: a URL with scheme http, https or socks5 (no host:port shorthand here).
    auto proxy = parse_url(cluster.proxy_url);
    if (!proxy.ok()) {
      return entry_error(origin, "proxy-url",
                         "invalid proxy-url for " + label + ": " + proxy.error().message);
    }
    if (proxy->scheme != "http" && proxy->scheme != "https" && proxy->scheme != "socks5") {
      return entry_error(origin, "proxy-url",
                         "unsupported proxy-url scheme \"" + proxy->scheme +
                             "\", must be http, https, or socks5");
    }
    config.proxy = std::move(proxy).value();
    config.proxy_from_kubeconfig = true;
  }
  if (!cluster.certificate_authority.empty() && !cluster.certificate_authority_data.empty()) {
    return entry_error(origin, "certificate-authority",
                       "certificate-authority-data and certificate-authority are both specified for " +
                           label + "; keep one");
  }
  if (!cluster.certificate_authority_data.empty()) {
    if (!has_pem_certificate(cluster.certificate_authority_data)) {
      return entry_error(origin, "certificate-authority-data",
                         "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    config.certificate_authority_pem = cluster.certificate_authority_data;
  } else if (!cluster.certificate_authority.empty()) {
    const std::string path = resolve_path(cluster.certificate_authority, *origin.file);
    auto pem = read_referenced(environment, origin, "certificate-authority", path, k_max_kubeconfig_bytes);
    if (!pem.ok()) {
      return pem.error();
    }
    if (!has_pem_certificate(*pem)) {
      return entry_error(origin, "certificate-authority", path + " holds no PEM certificate");
    }
    config.certificate_authority_pem = std::move(pem).value();
    config.certificate_authority_file = path;
  }
  config.insecure_skip_tls_verify = cluster.insecure_skip_tls_verify;
  if (config.insecure_skip_tls_verify && !config.certificate_authority_pem.empty()) {
    // client-go's transport refuses this combination ("specifying a root certificates file with the insecure
    // flag is not allowed").
    return entry_error(origin, "insecure-skip-tls-verify",
                       label + " sets both a certificate authority and insecure-skip-tls-verify; keep one");
  }
  config.tls_server_name = cluster.tls_server_name;
  return core::success();
}

core::Result<ExecConfig> resolve_exec(const RawExec& raw, const RawUser& user, const std::string& label) {
  const Origin& origin = user.origin;
  if (raw.command.empty()) {
    return entry_error(origin, "exec", "command must be specified for " + label + " to use an exec plugin");
  }
  if (raw.api_version.empty()) {
    return entry_error(origin, "exec",
                       "apiVersion must be specified for " + label + " to use an exec plugin (" +
                           std::string(k_exec_v1) + ")");
  }
  if (raw.api_version != k_exec_v1 && raw.api_version != k_exec_v1beta1) {
    return entry_error(origin, "exec.apiVersion",
                       "exec plugin apiVersion \"" + raw.api_version + "\" is not supported: use " +
                           std::string(k_exec_v1) + " or " + std::string(k_exec_v1beta1) +
                           " (v1alpha1 was removed in Kubernetes 1.24)");
  }
  for (std::size_t i = 0; i < raw.env.size(); ++i) {
    if (raw.env[i].name.empty()) {
      return entry_error(origin, "exec.env[" + std::to_string(i) + "]",
                         "env variable name must be specified for " + label + " to use an exec plugin");
    }
  }
  std::string mode = raw.interactive_mode;
  if (mode.empty() && raw.api_version == k_exec_v1beta1) {
    mode = "IfAvailable"; // api/v1/defaults.go: v1beta1 plugins default to IfAvailable
  }
  if (mode.empty()) {
    return entry_error(origin, "exec",
                       "interactiveMode must be specified for " + label +
                           " to use an exec plugin (Never or IfAvailable)");
  }
  if (mode == "Always") {
    return entry_error(
        origin, "exec.interactiveMode",
        "interactiveMode Always needs a terminal, but herd runs exec plugins non-interactively; use "
        "Never or IfAvailable");
  }
  if (mode != "Never" && mode != "IfAvailable") {
    return entry_error(origin, "exec.interactiveMode",
                       "invalid interactiveMode \"" + mode + "\" for " + label +
                           " (Never, IfAvailable or Always)");
  }
  ExecConfig exec;
  exec.api_version = raw.api_version;
  // GetAuthInfoFileReferences: the command resolves against the kubeconfig's directory only when it is a
  // path.
  exec.command =
      raw.command.find('/') != std::string::npos ? resolve_path(raw.command, *origin.file) : raw.command;
  exec.args = raw.args;
  exec.env = raw.env;
  exec.install_hint = clean_install_hint(raw.install_hint);
  exec.provide_cluster_info = raw.provide_cluster_info;
  exec.interactive_mode = mode;
  exec.origin = label + " in " + origin.file->path;
  return exec;
}

std::string auth_provider_advice(std::string_view provider) {
  if (provider == "gcp") {
    return "install gke-gcloud-auth-plugin and run `gcloud container clusters get-credentials` again";
  }
  if (provider == "azure") {
    return "install kubelogin and run `kubelogin convert-kubeconfig`";
  }
  if (provider == "oidc") {
    return "use an OIDC exec plugin such as kubelogin (kubectl oidc-login)";
  }
  return "use an exec credential plugin";
}

// validateAuthInfo plus reading the credential files, for the user in use.
core::VoidResult resolve_user(const RawUser& user,
                              const std::string& name,
                              const Environment& environment,
                              ClusterConfig& config) {
  const Origin& origin = user.origin;
  const std::string label = "user \"" + name + "\"";
  if (user.auth_provider) {
    return entry_error(origin, "auth-provider",
                       label + " uses auth-provider \"" + *user.auth_provider +
                           "\": auth providers were removed from kubectl (gcp and azure in 1.26); " +
                           auth_provider_advice(*user.auth_provider) +
                           ", so that the user has an exec section");
  }
  if (!user.token.empty() && (!user.username.empty() || !user.password.empty())) {
    return entry_error(origin, "",
                       "more than one authentication method found for " + label +
                           "; found [token basicAuth], only one is allowed");
  }
  const bool has_certificate = !user.client_certificate.empty() || !user.client_certificate_data.empty();
  if (has_certificate) {
    if (!user.client_certificate.empty() && !user.client_certificate_data.empty()) {
      return entry_error(origin, "client-certificate",
                         "client-certificate-data and client-certificate are both specified for " + label +
                             "; keep one");
    }
    if (!user.client_key.empty() && !user.client_key_data.empty()) {
      return entry_error(origin, "client-key",
                         "client-key-data and client-key are both specified for " + label + "; keep one");
    }
    if (user.client_key.empty() && user.client_key_data.empty()) {
      return entry_error(origin, "",
                         "client-key-data or client-key must be specified for " + label +
                             " to use the client certificate");
    }
    if (!user.client_certificate_data.empty()) {
      config.client_certificate_pem = user.client_certificate_data;
      if (!has_pem_certificate(config.client_certificate_pem)) {
        return entry_error(origin, "client-certificate-data",
                           "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
      }
    } else {
      const std::string path = resolve_path(user.client_certificate, *origin.file);
      auto pem =
          read_referenced(environment, origin, "client-certificate", path, k_max_credential_file_bytes);
      if (!pem.ok()) {
        return pem.error();
      }
      if (!has_pem_certificate(*pem)) {
        return entry_error(origin, "client-certificate", path + " holds no PEM certificate");
      }
      config.client_certificate_pem = std::move(pem).value();
    }
    if (!user.client_key_data.empty()) {
      config.client_key_pem = user.client_key_data;
      if (!has_pem_private_key(config.client_key_pem)) {
        return entry_error(origin, "client-key-data",
                           "holds no PEM private key (-----BEGIN ... PRIVATE KEY-----)");
      }
    } else {
      const std::string path = resolve_path(user.client_key, *origin.file);
      auto pem = read_referenced(environment, origin, "client-key", path, k_max_credential_file_bytes);
      if (!pem.ok()) {
        return pem.error();
      }
      if (!has_pem_private_key(*pem)) {
        return entry_error(origin, "client-key", path + " holds no PEM private key");
      }
      config.client_key_pem = std::move(pem).value();
    }
  }
  if ((!user.impersonate_uid.empty() || !user.impersonate_groups.empty() ||
       !user.impersonate_extra.empty()) &&
      user.impersonate.empty()) {
    return entry_error(origin, "",
                       "requesting uid, groups or user-extra for " + label +
                           " without impersonating a user (as)");
  }
  config.impersonate_user = user.impersonate;
  config.impersonate_uid = user.impersonate_uid;
  config.impersonate_groups = user.impersonate_groups;
  config.impersonate_extra = user.impersonate_extra;

  // getUserIdentificationPartialConfig: a token wins; else the token file is read now (and re-read later).
  config.token = user.token;
  if (!user.token_file.empty()) {
    config.token_file = resolve_path(user.token_file, *origin.file);
    if (config.token.empty()) {
      auto token =
          read_referenced(environment, origin, "tokenFile", config.token_file, k_max_credential_file_bytes);
      if (!token.ok()) {
        return token.error();
      }
      config.token = trim_whitespace(*token);
      if (config.token.empty()) {
        return entry_error(origin, "tokenFile", config.token_file + " is empty");
      }
    }
  }
  config.username = user.username;
  config.password = user.password;
  if (user.exec) {
    auto exec = resolve_exec(*user.exec, user, label);
    if (!exec.ok()) {
      return exec.error();
    }
    // exec.Authenticator.UpdateTransportConfig: a token or basic credentials take precedence over the plugin.
    if (config.token.empty() && config.username.empty() && config.password.empty()) {
      config.exec = std::move(exec).value();
    }
  }
  return core::success();
}

// Which files the loading rules read: --kubeconfig, else KUBECONFIG, else ~/.kube/config.
struct FileChoice {
  std::vector<std::string> paths;
  bool explicit_path = false;
  bool from_variable = false;
};

FileChoice choose_files(const KubeconfigOptions& options, const Environment& environment) {
  FileChoice choice;
  if (!options.kubeconfig_path.empty()) {
    choice.paths.push_back(options.kubeconfig_path);
    choice.explicit_path = true;
    return choice;
  }
  if (const std::string list = environment.variable("KUBECONFIG"); !list.empty()) {
    choice.from_variable = true;
    std::set<std::string, std::less<>> seen;
    std::size_t start = 0;
    while (start <= list.size()) {
      std::size_t colon = list.find(':', start);
      if (colon == std::string::npos) {
        colon = list.size();
      }
      std::string path = list.substr(start, colon - start);
      start = colon + 1;
      if (!path.empty() && seen.insert(path).second) {
        choice.paths.push_back(std::move(path));
      }
    }
    return choice;
  }
  // homedir.HomeDir() is $HOME on Linux; without it there is no home file to look at.
  if (const std::string home = environment.variable("HOME"); !home.empty()) {
    choice.paths.push_back((std::filesystem::path(home) / ".kube" / "config").lexically_normal().string());
  }
  return choice;
}

core::Result<Merged> load_files(const FileChoice& choice, const Environment& environment) {
  Merged merged;
  for (const std::string& path : choice.paths) {
    FileRead read = environment.read_file(path, k_max_kubeconfig_bytes);
    if (read.status == FileRead::Status::missing) {
      if (choice.explicit_path) {
        return core::Error{"kubeconfig " + path + " (--kubeconfig) does not exist", path};
      }
      continue; // missing files in KUBECONFIG (and a missing ~/.kube/config) are skipped
    }
    if (read.status == FileRead::Status::too_large) {
      return core::Error{"error loading kubeconfig " + path + ": " + read.error, path};
    }
    if (!read.ok()) {
      return core::Error{"error loading kubeconfig " + path + ": " + read.error, path};
    }
    auto source = std::make_unique<SourceFile>();
    source->path = path;
    source->directory = std::filesystem::path(path).parent_path();
    auto parsed = parse_file(read.bytes, std::move(source));
    if (!parsed.ok()) {
      return parsed.error();
    }
    merged.files.push_back(std::move(parsed).value());
  }
  merged.index();
  return merged;
}

std::vector<std::string> loaded_paths(const Merged& merged) {
  std::vector<std::string> paths;
  for (const ParsedFile& file : merged.files) {
    paths.push_back(file.source->path);
  }
  return paths;
}

// The error for "no context selected and no in-cluster config".
core::Error no_configuration(const FileChoice& choice, const Merged& merged) {
  if (merged.files.empty()) {
    if (choice.from_variable) {
      std::string list;
      for (const std::string& path : choice.paths) {
        list += (list.empty() ? "" : ", ") + path;
      }
      return core::Error{"no kubeconfig: none of the KUBECONFIG files exists (" + list + "); " +
                         std::string(k_no_kubeconfig_hint)};
    }
    if (!choice.paths.empty()) {
      return core::Error{"no kubeconfig: " + choice.paths.front() + " does not exist; " +
                         std::string(k_no_kubeconfig_hint)};
    }
    return core::Error{"no kubeconfig: HOME is not set; " + std::string(k_no_kubeconfig_hint)};
  }
  return core::Error{"no context: " + file_list(loaded_paths(merged)) +
                     " sets no current-context; use --context NAME" +
                     suggestion("", merged.contexts, "contexts") + " or `kubectl config use-context NAME`"};
}

core::Result<ClusterConfig> load_from_kubeconfig(const KubeconfigOptions& options,
                                                 const Environment& environment,
                                                 const FileChoice& choice,
                                                 const Merged& merged) {
  const std::vector<std::string> files = loaded_paths(merged);
  const bool from_flag = !options.context.empty();
  const std::string context_name = from_flag ? options.context : merged.current_context;
  if (context_name.empty()) {
    // An empty config: DeferredLoadingClientConfig falls back to the in-cluster config.
    if (in_cluster_possible(options, environment)) {
      return load_in_cluster(options, environment);
    }
    return no_configuration(choice, merged);
  }
  const auto context_entry = merged.contexts.find(context_name);
  if (context_entry == merged.contexts.end()) {
    const std::string hint = suggestion(context_name, merged.contexts, "contexts");
    if (from_flag) {
      return core::Error{"context \"" + context_name + "\" (--context) not found in " + file_list(files) +
                         hint};
    }
    const SourceFile& file = *merged.current_context_file;
    return located_error(file, "current-context",
                         "context \"" + context_name + "\" not found in " + file_list(files) + hint);
  }
  const RawContext& context = *context_entry->second;
  ClusterConfig config;
  config.kubeconfig_files = files;
  config.context = context_name;

  const std::string context_label = "context \"" + context_name + "\"";
  if (context.cluster.empty()) {
    return entry_error(context.origin, "", context_label + " names no cluster");
  }
  const auto cluster_entry = merged.clusters.find(context.cluster);
  if (cluster_entry == merged.clusters.end()) {
    return entry_error(context.origin, "cluster",
                       "cluster \"" + context.cluster + "\" of " + context_label + " not found in " +
                           file_list(files) + suggestion(context.cluster, merged.clusters, "clusters"));
  }
  config.cluster_name = context.cluster;
  const RawUser* user = nullptr;
  if (!context.user.empty()) {
    const auto user_entry = merged.users.find(context.user);
    if (user_entry == merged.users.end()) {
      return entry_error(context.origin, "user",
                         "user \"" + context.user + "\" of " + context_label + " not found in " +
                             file_list(files) + suggestion(context.user, merged.users, "users"));
    }
    user = user_entry->second;
    config.user_name = context.user;
  }

  if (user != nullptr) {
    if (auto resolved = resolve_user(*user, context.user, environment, config); !resolved.ok()) {
      return resolved.error();
    }
  }
  if (auto resolved = resolve_cluster(*cluster_entry->second, context.cluster, environment, config);
      !resolved.ok()) {
    return resolved.error();
  }
  if (config.exec) {
    config.exec->cluster_config = cluster_entry->second->exec_extension;
  }

  // IsConfigTransportTLS: kubectl reads neither credentials nor TLS settings for a plain-HTTP server.
  if (config.server_url.scheme != "https") {
    config.certificate_authority_pem.clear();
    config.certificate_authority_file.clear();
    config.insecure_skip_tls_verify = false;
    config.tls_server_name.clear();
    config.client_certificate_pem.clear();
    config.client_key_pem.clear();
    config.token.clear();
    config.token_file.clear();
    config.username.clear();
    config.password.clear();
    config.exec.reset();
  }

  if (!config.proxy) {
    if (auto proxied = apply_proxy_from_environment(config, environment); !proxied.ok()) {
      return proxied.error();
    }
  }

  // Namespace: -n, else the context's, else (DeferredLoadingClientConfig.Namespace) the in-cluster one when
  // in-cluster config is possible, else default.
  if (!options.namespace_override.empty()) {
    config.namespace_name = options.namespace_override;
    config.namespace_overridden = true;
  } else if (!context.namespace_name.empty()) {
    config.namespace_name = context.namespace_name;
  } else if (in_cluster_possible(options, environment)) {
    config.namespace_name = in_cluster_namespace(options, environment);
  } else {
    config.namespace_name = "default";
  }
  return config;
}

} // namespace

core::Result<ClusterConfig> load_client_config(const KubeconfigOptions& options,
                                               const Environment& environment) {
  if (options.prefer_in_cluster && options.kubeconfig_path.empty() && options.context.empty() &&
      in_cluster_possible(options, environment)) {
    // BuildConfigFromFlags: in-cluster first; when that fails, the kubeconfig as kubectl finds it.
    if (auto config = load_in_cluster(options, environment); config.ok()) {
      return config;
    }
  }
  const FileChoice choice = choose_files(options, environment);
  auto merged = load_files(choice, environment);
  if (!merged.ok()) {
    return merged.error();
  }
  return load_from_kubeconfig(options, environment, choice, *merged);
}

} // namespace herd::kube
