// Exec credential plugins as client-go's k8s.io/client-go/plugin/pkg/client/auth/exec (Authenticator:
// getCreds, refreshCredsLocked, maybeRefreshCreds, wrapCmdRunErrorLocked) runs them, and the
// client.authentication.k8s.io ExecCredential types.
#include "base64.hpp"
#include "process.hpp"

#include <herd/kube/exec_credential.hpp>

#include <algorithm>
#include <unistd.h>

namespace herd::kube {

namespace {

using nlohmann::json;

constexpr std::size_t k_max_stderr = std::size_t{64} * 1024;
constexpr std::size_t k_stderr_in_message = 1024U;
constexpr std::string_view k_exec_info_variable = "KUBERNETES_EXEC_INFO";

std::string describe_type(const json& value) {
  if (value.is_string()) {
    return "a string";
  }
  if (value.is_number()) {
    return "a number";
  }
  if (value.is_boolean()) {
    return "a boolean";
  }
  if (value.is_array()) {
    return "a list";
  }
  if (value.is_object()) {
    return "an object";
  }
  return "null";
}

// A short, printable version of text the plugin wrote (for apiVersion/kind in messages).
std::string quoted_short(std::string_view text) {
  std::string out = "\"";
  for (const char c : text.substr(0, 80)) {
    out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
  }
  if (text.size() > 80) {
    out += "...";
  }
  return out + "\"";
}

// The plugin's stderr for an error message: trimmed, control characters (terminal escapes) replaced, capped.
std::string stderr_excerpt(std::string_view text, bool truncated) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  std::string out;
  for (const char c : text.substr(0, k_stderr_in_message)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 && c != '\n' && c != '\t') || u == 0x7f ? '?' : c;
  }
  if (truncated || text.size() > k_stderr_in_message) {
    out += " [...]";
  }
  return out;
}

// "NAME=value" entries with NAME replaced (Go's exec keeps the last value of a duplicated name).
void set_variable(std::vector<std::string>& env, std::string_view name, std::string_view value) {
  std::erase_if(env, [&](const std::string& entry) {
    return entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
           entry[name.size()] == '=';
  });
  env.push_back(std::string(name) + "=" + std::string(value));
}

bool two_digits(std::string_view text, std::size_t at, int& out) {
  if (at + 2 > text.size() || text[at] < '0' || text[at] > '9' || text[at + 1] < '0' || text[at + 1] > '9') {
    return false;
  }
  out = (text[at] - '0') * 10 + (text[at + 1] - '0');
  return true;
}

} // namespace

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  if (text.size() < 20) {
    return std::nullopt;
  }
  int century = 0;
  int year_low = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!two_digits(text, 0, century) || !two_digits(text, 2, year_low) || text[4] != '-' ||
      !two_digits(text, 5, month) || text[7] != '-' || !two_digits(text, 8, day) || text[10] != 'T' ||
      !two_digits(text, 11, hour) || text[13] != ':' || !two_digits(text, 14, minute) || text[16] != ':' ||
      !two_digits(text, 17, second)) {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(century * 100 + year_low),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) {
    return std::nullopt;
  }
  std::size_t i = 19;
  std::chrono::nanoseconds fraction{0};
  if (i < text.size() && text[i] == '.') {
    ++i;
    const std::size_t digits_start = i;
    long long nanos = 0;
    int digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (digits < 9) {
        nanos = nanos * 10 + (text[i] - '0');
        ++digits;
      }
      ++i;
    }
    if (i == digits_start) {
      return std::nullopt;
    }
    for (; digits < 9; ++digits) {
      nanos *= 10;
    }
    fraction = std::chrono::nanoseconds(nanos);
  }
  std::chrono::minutes offset{0};
  if (i < text.size() && text[i] == 'Z') {
    ++i;
  } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    const bool negative = text[i] == '-';
    int offset_hours = 0;
    int offset_minutes = 0;
    if (!two_digits(text, i + 1, offset_hours) || i + 3 >= text.size() || text[i + 3] != ':' ||
        !two_digits(text, i + 4, offset_minutes) || offset_hours > 23 || offset_minutes > 59) {
      return std::nullopt;
    }
    offset = std::chrono::hours(offset_hours) + std::chrono::minutes(offset_minutes);
    if (negative) {
      offset = -offset;
    }
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != text.size()) {
    return std::nullopt;
  }
  const auto local = std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
                     std::chrono::seconds(second) + fraction;
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(local - offset);
}

ExecClusterInfo exec_cluster_info(const ClusterConfig& config) {
  ExecClusterInfo info;
  info.server = config.server;
  info.tls_server_name = config.tls_server_name;
  info.insecure_skip_tls_verify = config.insecure_skip_tls_verify;
  info.certificate_authority_pem = config.certificate_authority_pem;
  if (config.proxy && config.proxy_from_kubeconfig) {
    info.proxy_url = config.proxy->to_string(false);
  }
  if (config.exec) {
    info.config = config.exec->cluster_config;
  }
  return info;
}

std::string exec_info_json(std::string_view api_version, const ExecClusterInfo* cluster) {
  json spec = {{"interactive", false}};
  if (cluster != nullptr) {
    // client.authentication.k8s.io Cluster: server always, the rest omitted when empty.
    json info = {{"server", cluster->server}};
    if (!cluster->tls_server_name.empty()) {
      info["tls-server-name"] = cluster->tls_server_name;
    }
    if (cluster->insecure_skip_tls_verify) {
      info["insecure-skip-tls-verify"] = true;
    }
    if (!cluster->certificate_authority_pem.empty()) {
      info["certificate-authority-data"] = encode_base64(cluster->certificate_authority_pem);
    }
    if (!cluster->proxy_url.empty()) {
      info["proxy-url"] = cluster->proxy_url;
    }
    if (!cluster->config.is_null()) {
      info["config"] = cluster->config;
    }
    spec["cluster"] = std::move(info);
  }
  const json credential = {
      {"apiVersion", api_version}, {"kind", "ExecCredential"}, {"spec", std::move(spec)}};
  return credential.dump();
}

core::Result<ExecCredential> parse_exec_credential(std::string_view output, std::string_view api_version) {
  json document;
  try {
    document = json::parse(output);
  } catch (const json::parse_error& e) {
    // Never e.what(): it quotes the input, which may hold the token.
    return core::Error{"its output is not valid JSON (error at byte " + std::to_string(e.byte) + " of " +
                       std::to_string(output.size()) + "); it must print an ExecCredential"};
  }
  if (!document.is_object()) {
    return core::Error{"its output is " + describe_type(document) + ", not an ExecCredential object"};
  }
  const auto text_field = [](const json& object, std::string_view key, std::string& out) -> bool {
    const auto found = object.find(key);
    if (found == object.end() || found->is_null()) {
      out.clear();
      return true;
    }
    if (!found->is_string()) {
      return false;
    }
    out = found->get<std::string>();
    return true;
  };
  std::string returned_version;
  std::string kind;
  if (!text_field(document, "apiVersion", returned_version) || !text_field(document, "kind", kind)) {
    return core::Error{"its output has a non-string apiVersion or kind"};
  }
  if (returned_version.empty()) {
    return core::Error{"its output has no apiVersion (want " + std::string(api_version) + ")"};
  }
  if (returned_version != api_version) {
    return core::Error{"exec plugin is configured to use API version " + std::string(api_version) +
                       ", plugin returned version " + quoted_short(returned_version)};
  }
  if (kind != "ExecCredential") {
    return core::Error{"its output has kind " + quoted_short(kind) + ", want ExecCredential"};
  }
  const auto status = document.find("status");
  if (status == document.end() || status->is_null()) {
    return core::Error{"exec plugin didn't return a status field"};
  }
  if (!status->is_object()) {
    return core::Error{"its status is " + describe_type(*status) + ", not an object"};
  }
  ExecCredential credential;
  for (const auto& [key, target] :
       {std::pair<std::string_view, std::string*>{"token", &credential.token},
        std::pair<std::string_view, std::string*>{"clientCertificateData",
                                                  &credential.client_certificate_pem},
        std::pair<std::string_view, std::string*>{"clientKeyData", &credential.client_key_pem}}) {
    if (!text_field(*status, key, *target)) {
      return core::Error{"its status." + std::string(key) + " is not a string"};
    }
  }
  if (credential.token.empty() && credential.client_certificate_pem.empty() &&
      credential.client_key_pem.empty()) {
    return core::Error{"exec plugin didn't return a token or cert/key pair"};
  }
  if (credential.client_certificate_pem.empty() != credential.client_key_pem.empty()) {
    return core::Error{"exec plugin returned only certificate or key, not both"};
  }
  if (!credential.client_certificate_pem.empty()) {
    if (credential.client_certificate_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return core::Error{"its status.clientCertificateData is not a PEM certificate"};
    }
    if (credential.client_key_pem.find("PRIVATE KEY-----") == std::string::npos) {
      return core::Error{"its status.clientKeyData is not a PEM private key"};
    }
  }
  std::string expiration;
  if (!text_field(*status, "expirationTimestamp", expiration)) {
    return core::Error{"its status.expirationTimestamp is not a string"};
  }
  if (status->contains("expirationTimestamp") && !(*status)["expirationTimestamp"].is_null()) {
    const auto parsed = parse_rfc3339(expiration);
    if (!parsed) {
      return core::Error{"its status.expirationTimestamp " + quoted_short(expiration) +
                         " is not an RFC 3339 time (2006-01-02T15:04:05Z)"};
    }
    credential.expiration = *parsed;
  }
  return credential;
}

ExecCredentialProvider::ExecCredentialProvider(ExecConfig config,
                                               std::optional<ExecClusterInfo> cluster,
                                               ExecOptions options)
    : m_config(std::move(config)), m_cluster(std::move(cluster)), m_options(std::move(options)) {}

core::Result<ExecCredential> ExecCredentialProvider::credential() {
  const std::lock_guard lock(m_mutex);
  // client-go's credsExpired: valid until now is after expirationTimestamp; without one, until rejected.
  if (m_cached && (!m_cached->expiration || !(m_options.clock() > *m_cached->expiration))) {
    return *m_cached;
  }
  return run_locked();
}

void ExecCredentialProvider::invalidate() {
  const std::lock_guard lock(m_mutex);
  m_cached.reset();
}

void ExecCredentialProvider::invalidate_if_current(const ExecCredential& rejected) {
  const std::lock_guard lock(m_mutex);
  if (m_cached && m_cached->token == rejected.token &&
      m_cached->client_certificate_pem == rejected.client_certificate_pem &&
      m_cached->client_key_pem == rejected.client_key_pem) {
    m_cached.reset();
  }
}

int ExecCredentialProvider::runs() const {
  const std::lock_guard lock(m_mutex);
  return m_runs;
}

core::Result<ExecCredential> ExecCredentialProvider::run_locked() {
  std::vector<std::string> env;
  for (char** entry = ::environ; entry != nullptr && *entry != nullptr; ++entry) {
    env.emplace_back(*entry);
  }
  for (const ExecEnvVar& variable : m_config.env) {
    set_variable(env, variable.name, variable.value);
  }
  const std::string info = exec_info_json(m_config.api_version,
                                          m_config.provide_cluster_info && m_cluster ? &*m_cluster : nullptr);
  set_variable(env, k_exec_info_variable, info);

  const std::string name = "exec credential plugin \"" + m_config.command + "\"" +
                           (m_config.origin.empty() ? std::string() : " (" + m_config.origin + ")");
  ++m_runs;
  const ProcessResult run = run_process(m_config.command, m_config.args, env, m_options.timeout,
                                        m_options.max_output, k_max_stderr);
  switch (run.outcome) {
  case ProcessResult::Outcome::not_found: {
    std::string message =
        name + " could not be started: " + run.spawn_error +
        ". It looks like a client-go credential plugin that is not installed (or not on PATH); "
        "see https://kubernetes.io/docs/reference/access-authn-authz/authentication/"
        "#client-go-credential-plugins";
    if (!m_config.install_hint.empty()) {
      message += "\n\n" + m_config.install_hint;
    }
    return core::Error{message};
  }
  case ProcessResult::Outcome::spawn_failed:
    return core::Error{name + " could not be run: " + run.spawn_error};
  case ProcessResult::Outcome::timed_out:
    return core::Error{
        name + " did not finish within " +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(m_options.timeout).count()) +
        " s and was killed"};
  case ProcessResult::Outcome::output_too_large:
    return core::Error{name + " wrote more than " + std::to_string(m_options.max_output) +
                       " bytes to stdout and was killed"};
  case ProcessResult::Outcome::signaled:
    return core::Error{name + " was killed by signal " + std::to_string(run.signal)};
  case ProcessResult::Outcome::exited:
    break;
  }
  if (run.exit_code != 0) {
    std::string message = name + " failed with exit code " + std::to_string(run.exit_code);
    const std::string excerpt = stderr_excerpt(run.err, run.err_truncated);
    if (!excerpt.empty()) {
      message += ": " + excerpt;
    }
    return core::Error{message};
  }
  auto credential = parse_exec_credential(run.out, m_config.api_version);
  if (!credential.ok()) {
    return core::Error{name + ": " + credential.error().message};
  }
  m_cached = credential.value();
  return credential;
}

} // namespace herd::kube
