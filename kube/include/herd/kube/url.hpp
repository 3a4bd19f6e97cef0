#pragma once

#include <herd/core/result.hpp>

#include <string>
#include <string_view>

namespace herd::kube {

// An absolute http(s)/socks5 URL as the API server's address or a proxy's: what client-go keeps of Go's
// net/url for them. The query and fragment are dropped (client-go strips them from the server URL).
struct Url {
  std::string scheme;   // lower case: http, https or socks5
  std::string userinfo; // user[:password], as written (proxies only); never printed by to_string()
  std::string host;     // without the brackets of an IPv6 literal
  int port = 0;         // as written, else the scheme's default (443, 80, 1080)
  bool explicit_port = false;
  std::string path; // as written, without trailing slashes: "" or "/k8s/clusters/c-m-xxxx"

  // host:port, with brackets around an IPv6 literal.
  [[nodiscard]] std::string host_port() const;
  // scheme://host[:port] (the port only when written).
  [[nodiscard]] std::string origin() const;
  // scheme://[user:xxxxx@]host[:port]path: the password is redacted (Go's URL.Redacted) unless asked not to.
  [[nodiscard]] std::string to_string(bool redact_password = true) const;
  // The URL of an API path on this server: the server's path prefixes every request
  // (Rancher's https://rancher.example.com/k8s/clusters/c-m-xxxx + /api/v1/namespaces).
  [[nodiscard]] std::string request_path(std::string_view api_path) const;
};

// The default port of a scheme (https 443, http 80, socks5 1080), 0 for others.
int default_port(std::string_view scheme);

// Parses scheme://[userinfo@]host[:port][/path][?query][#fragment]. Fails without a scheme or host, on a
// port outside 1..65535, on spaces or control characters.
core::Result<Url> parse_url(std::string_view text);

// The API server URL of a kubeconfig `server`, as client-go's DefaultServerURL reads it: a value without
// scheme:// (example.com:6443, 10.0.0.1) is taken as http://, the scheme kubectl ends up using for it;
// a host:port without a scheme must not carry a path.
core::Result<Url> parse_server_url(std::string_view server);

} // namespace herd::kube
