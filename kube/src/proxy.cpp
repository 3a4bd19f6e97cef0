// NO_PROXY and proxy selection, ported from golang.org/x/net/http/httpproxy/proxy.go (config.init,
// useProxy, proxyForURL, parseProxy) and net.SplitHostPort, which kubectl uses via net/http.
#include <herd/kube/proxy.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>

namespace herd::kube {

namespace {

std::string trim_lower(std::string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin])) != 0) {
    ++begin;
  }
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1])) != 0) {
    --end;
  }
  std::string out(text.substr(begin, end - begin));
  std::ranges::transform(out, out.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return out;
}

struct HostPort {
  std::string host;
  std::string port;
};

// Go's net.SplitHostPort.
std::optional<HostPort> split_host_port(std::string_view hostport) {
  const std::size_t i = hostport.rfind(':');
  if (i == std::string_view::npos) {
    return std::nullopt; // missing port
  }
  std::size_t j = 0;
  std::size_t k = 0;
  HostPort out;
  if (hostport.front() == '[') {
    const std::size_t end = hostport.find(']');
    if (end == std::string_view::npos || end + 1 != i) {
      return std::nullopt; // missing ']', missing port or too many colons
    }
    out.host = std::string(hostport.substr(1, end - 1));
    j = 1;
    k = end + 1;
  } else {
    out.host = std::string(hostport.substr(0, i));
    if (out.host.find(':') != std::string::npos) {
      return std::nullopt; // too many colons
    }
  }
  if (hostport.substr(j).find('[') != std::string_view::npos ||
      hostport.substr(k).find(']') != std::string_view::npos) {
    return std::nullopt;
  }
  out.port = std::string(hostport.substr(i + 1));
  return out;
}

bool is_unsigned_number(std::string_view text) {
  return !text.empty() && text.size() <= 3 &&
         std::ranges::all_of(text, [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

} // namespace

std::optional<NoProxy::Ip> NoProxy::parse_ip(std::string_view text) {
  // Go's net.ParseIP: dotted IPv4 (no leading zeros, as glibc's inet_pton) or IPv6 (no zone).
  if (text.empty() || text.size() > 45) {
    return std::nullopt;
  }
  const std::string copy(text);
  Ip ip;
  if (std::array<std::uint8_t, 4> v4{}; inet_pton(AF_INET, copy.c_str(), v4.data()) == 1) {
    ip.bytes[10] = 0xff;
    ip.bytes[11] = 0xff;
    std::copy(v4.begin(), v4.end(), ip.bytes.begin() + 12);
    ip.v4 = true;
    return ip;
  }
  if (copy.find(':') != std::string::npos && inet_pton(AF_INET6, copy.c_str(), ip.bytes.data()) == 1) {
    ip.v4 = std::all_of(ip.bytes.begin(), ip.bytes.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
            ip.bytes[10] == 0xff && ip.bytes[11] == 0xff;
    return ip;
  }
  return std::nullopt;
}

// Go's IPNet.Contains: an IPv4 network holds IPv4 addresses only, an IPv6 one IPv6 addresses only (a
// v4-mapped network counts as IPv4, its prefix shifted by 96 bits).
bool NoProxy::contains(const IpEntry& cidr, const Ip& ip) {
  if (cidr.ip.v4 != ip.v4) {
    return false;
  }
  std::size_t offset = 0;
  int bits = cidr.prefix;
  if (cidr.ip.v4) {
    offset = 12;
    bits = cidr.written_v4 ? bits : std::max(0, bits - 96);
  }
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((cidr.ip.bytes[offset + i] & mask) != (ip.bytes[offset + i] & mask)) {
      return false;
    }
  }
  return true;
}

NoProxy::NoProxy(std::string_view list) {
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) {
      comma = list.size();
    }
    const std::string entry = trim_lower(list.substr(start, comma - start));
    start = comma + 1;
    if (entry.empty()) {
      continue;
    }
    if (entry == "*") {
      m_all = true;
      return;
    }
    // IPv4/CIDR, IPv6/CIDR (Go's net.ParseCIDR).
    if (const std::size_t slash = entry.find('/'); slash != std::string::npos) {
      const std::string_view address = std::string_view(entry).substr(0, slash);
      const std::string_view bits = std::string_view(entry).substr(slash + 1);
      const auto ip = parse_ip(address);
      if (ip && is_unsigned_number(bits)) {
        const bool written_v4 = address.find(':') == std::string_view::npos;
        const int prefix = std::stoi(std::string(bits));
        if (prefix <= (written_v4 ? 32 : 128)) {
          m_ips.push_back(IpEntry{*ip, prefix, written_v4, {}});
          continue;
        }
      }
    }
    // IPv4:port, [IPv6]:port, host:port, or a bare host.
    std::string host;
    std::string port;
    if (auto split = split_host_port(entry)) {
      if (split->host.empty()) {
        continue; // no host part: malformed, ignored
      }
      host = std::move(split->host);
      port = std::move(split->port);
      if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
      }
    } else {
      host = entry;
    }
    if (const auto ip = parse_ip(host)) {
      m_ips.push_back(IpEntry{*ip, -1, false, port});
      continue;
    }
    if (host.empty()) {
      continue;
    }
    if (host.starts_with("*.")) {
      host.erase(0, 1);
    }
    // Entries are kept with a leading dot (".example.com" matches subdomains); a bare name also matches
    // itself. Built by appending: GCC 12 at -O3 reports a false stringop-overflow for inserting at the front.
    const bool match_host = host.front() != '.';
    std::string domain;
    domain.reserve(host.size() + 1);
    if (match_host) {
      domain += '.';
    }
    domain += host;
    m_domains.push_back(DomainEntry{std::move(domain), port, match_host});
  }
}

bool NoProxy::bypasses(std::string_view host, int port) const {
  if (host == "localhost") {
    return true;
  }
  const auto ip = parse_ip(host);
  if (ip) {
    const bool loopback = ip->v4 ? ip->bytes[12] == 127
                                 : std::all_of(ip->bytes.begin(), ip->bytes.begin() + 15,
                                               [](std::uint8_t b) { return b == 0; }) &&
                                       ip->bytes[15] == 1;
    if (loopback) {
      return true;
    }
  }
  if (m_all) {
    return true;
  }
  const std::string name = trim_lower(host);
  const std::string port_text = std::to_string(port);
  if (ip) {
    for (const IpEntry& entry : m_ips) {
      const bool match = entry.prefix >= 0 ? contains(entry, *ip) : entry.ip.bytes == ip->bytes;
      if (match && (entry.prefix >= 0 || entry.port.empty() || entry.port == port_text)) {
        return true;
      }
    }
  }
  return std::any_of(m_domains.begin(), m_domains.end(), [&](const DomainEntry& entry) {
    const bool match =
        name.ends_with(entry.suffix) ||
        (entry.match_host && std::string_view(name) == std::string_view(entry.suffix).substr(1));
    return match && (entry.port.empty() || entry.port == port_text);
  });
}

ProxyEnvironment ProxyEnvironment::from(const Environment& environment) {
  auto any = [&](std::string_view upper, std::string_view lower) {
    std::string value = environment.variable(upper);
    return value.empty() ? environment.variable(lower) : value;
  };
  ProxyEnvironment out;
  out.http_proxy = any("HTTP_PROXY", "http_proxy");
  out.https_proxy = any("HTTPS_PROXY", "https_proxy");
  out.no_proxy = any("NO_PROXY", "no_proxy");
  out.cgi = !environment.variable("REQUEST_METHOD").empty();
  return out;
}

core::Result<Url> parse_proxy_url(std::string_view value, std::string_view variable) {
  const bool has_scheme = value.find("://") != std::string_view::npos;
  auto url = parse_url(has_scheme ? std::string(value) : "http://" + std::string(value));
  if (!url.ok()) {
    return core::Error{std::string(variable) + ": " + url.error().message};
  }
  if (url->scheme != "http" && url->scheme != "https" && url->scheme != "socks5") {
    return core::Error{std::string(variable) + ": unsupported proxy scheme \"" + url->scheme +
                       "\", must be http, https, or socks5"};
  }
  return url;
}

core::Result<std::optional<Url>> proxy_from_environment(const Url& server,
                                                        const ProxyEnvironment& environment) {
  std::string_view value;
  std::string_view variable;
  if (server.scheme == "https") {
    value = environment.https_proxy;
    variable = "HTTPS_PROXY";
  } else if (server.scheme == "http") {
    value = environment.http_proxy;
    variable = "HTTP_PROXY";
    if (!value.empty() && environment.cgi) {
      return core::Error{"refusing to use HTTP_PROXY value in CGI environment (REQUEST_METHOD is set); see "
                         "golang.org/s/cgihttpproxy"};
    }
  }
  if (value.empty()) {
    return std::optional<Url>();
  }
  if (NoProxy(environment.no_proxy).bypasses(server.host, server.port)) {
    return std::optional<Url>();
  }
  auto proxy = parse_proxy_url(value, variable);
  if (!proxy.ok()) {
    return proxy.error();
  }
  return std::optional<Url>(std::move(proxy).value());
}

} // namespace herd::kube
