#pragma once

#include <herd/core/result.hpp>
#include <herd/kube/environment.hpp>
#include <herd/kube/url.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herd::kube {

// A NO_PROXY list with the semantics of Go's golang.org/x/net/http/httpproxy (what kubectl uses through
// net/http's ProxyFromEnvironment). Comma-separated entries, trimmed and lower-cased; empty ones ignored:
//   `*`                          every host goes direct;
//   `10.0.0.0/8`, `fd00::/8`     an IP host inside the CIDR;
//   `10.1.2.3`, `::1`            that IP (optionally `10.1.2.3:443`, `[::1]:443`: only that port);
//   `example.com`                example.com and every subdomain (optionally `example.com:443`);
//   `.example.com`, `*.example.com`  subdomains only.
// Domain entries match by suffix of the host name, also when the host is an IP literal (as Go does).
// `localhost` and loopback IPs always go direct, whatever the list says. Entries without a host (`:80`)
// are ignored. Unlike Go, non-ASCII (IDNA) names are compared as written, not converted to punycode.
class NoProxy {
public:
  NoProxy() = default;
  explicit NoProxy(std::string_view list);

  // Whether a request to `host` (a URL's host name, IPv6 without brackets) on `port` bypasses the proxy.
  [[nodiscard]] bool bypasses(std::string_view host, int port) const;

private:
  struct Ip {
    std::array<std::uint8_t, 16> bytes{}; // IPv4 as ::ffff:a.b.c.d
    bool v4 = false;                      // an IPv4 address (written as such or v4-mapped)
  };
  struct IpEntry {
    Ip ip;
    int prefix = -1; // CIDR prefix length as written; -1 for a single address
    bool written_v4 = false;
    std::string port; // empty: any port
  };
  struct DomainEntry {
    std::string suffix; // with the leading dot
    std::string port;
    bool match_host = false; // `example.com` also matches example.com itself
  };

  static std::optional<Ip> parse_ip(std::string_view text);
  static bool contains(const IpEntry& cidr, const Ip& ip);

  bool m_all = false;
  std::vector<IpEntry> m_ips;
  std::vector<DomainEntry> m_domains;
};

// The proxy variables as Go's httpproxy.FromEnvironment reads them: the upper-case name, else the lower-case
// one; `cgi` when REQUEST_METHOD is set (HTTP_PROXY is then refused, see golang.org/s/cgihttpproxy).
struct ProxyEnvironment {
  std::string http_proxy{};
  std::string https_proxy{};
  std::string no_proxy{};
  bool cgi = false;

  static ProxyEnvironment from(const Environment& environment);
};

// A proxy variable's value as Go's parseProxy reads it: a URL, or host[:port] meaning http://host[:port].
// The scheme must be http, https or socks5.
core::Result<Url> parse_proxy_url(std::string_view value, std::string_view variable);

// The proxy for requests to `server` per the environment (HTTPS_PROXY for https, HTTP_PROXY for http)
// unless NO_PROXY lets it go direct; nullopt means direct.
core::Result<std::optional<Url>> proxy_from_environment(const Url& server,
                                                        const ProxyEnvironment& environment);

} // namespace herd::kube
