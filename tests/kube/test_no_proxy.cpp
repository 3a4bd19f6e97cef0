// NO_PROXY and proxy selection, checked against the tables of Go's golang.org/x/net/http/httpproxy
// (proxy_test.go: UseProxyTests, TestInvalidNoProxy, TestAllNoProxy, proxyForURLTests).
#include <herd/kube/proxy.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace herd::kube {
namespace {

using ::testing::HasSubstr;

struct UseProxyCase {
  std::string host; // as a URL writes it (IPv6 in brackets)
  bool use_proxy;
};

// The host of a URL without brackets.
std::string bare(const std::string& host) {
  return host.front() == '[' ? host.substr(1, host.size() - 2) : host;
}

constexpr std::string_view k_go_no_proxy =
    "foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, "
    "2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64";

// Go's UseProxyTests, every host on port 80.
const std::vector<UseProxyCase> k_go_use_proxy_cases = {
    {"localhost", false},
    {"127.0.0.1", false},
    {"127.0.0.2", false},
    {"[::1]", false},
    {"[::2]", true},
    {"192.168.1.1", false},
    {"192.168.1.2", true},
    {"192.168.1.3", false},
    {"192.168.1.4", true},
    {"10.0.0.2", false},
    {"[2001:db8::52:0:1]", false},
    {"[2001:db8::52:0:2]", true},
    {"[2001:db8::52:0:3]", false},
    {"[2002:db8:a::123]", false},
    {"[fe80::424b:c8be:1643:a1b6]", true},
    {"barbaz.net", true},
    {"www.barbaz.net", false},
    {"foobar.com", false},
    {"www.foobar.com", false},
    {"foofoobar.com", true},
    {"baz.com", true},
    {"localhost.net", true},
    {"local.localhost", true},
    {"barbarbaz.net", true},
    {"wildcard.io", true},
    {"nested.wildcard.io", false},
    {"awildcard.io", true},
};

TEST(NoProxyTest, GoUseProxyTable) {
  const NoProxy no_proxy(k_go_no_proxy);
  for (const UseProxyCase& c : k_go_use_proxy_cases) {
    EXPECT_EQ(!no_proxy.bypasses(bare(c.host), 80), c.use_proxy) << c.host;
  }
}

TEST(NoProxyTest, StarBypassesEverything) {
  const NoProxy no_proxy("*");
  for (const UseProxyCase& c : k_go_use_proxy_cases) {
    EXPECT_TRUE(no_proxy.bypasses(bare(c.host), 80)) << c.host;
  }
}

TEST(NoProxyTest, EntryWithoutHostIsIgnored) {
  EXPECT_FALSE(NoProxy(":1").bypasses("example.com", 80));
  EXPECT_FALSE(NoProxy(" , ,").bypasses("example.com", 443));
  EXPECT_FALSE(NoProxy("").bypasses("example.com", 443));
}

TEST(NoProxyTest, LocalhostAndLoopbackNeverUseAProxy) {
  const NoProxy none;
  EXPECT_TRUE(none.bypasses("localhost", 6443));
  EXPECT_TRUE(none.bypasses("127.0.0.1", 6443));
  EXPECT_TRUE(none.bypasses("127.255.0.9", 6443));
  EXPECT_TRUE(none.bypasses("::1", 6443));
  EXPECT_FALSE(none.bypasses("::2", 6443));
  EXPECT_FALSE(none.bypasses("LOCALHOST", 6443)); // Go compares "localhost" before lower-casing
}

struct MatchCase {
  std::string no_proxy;
  std::string host;
  int port;
  bool bypass;
};

TEST(NoProxyTest, DomainsCidrsIpsAndPorts) {
  const std::vector<MatchCase> cases = {
      // domains: "example.com" matches itself and subdomains, ".example.com" and "*.example.com" subdomains
      {"example.com", "example.com", 443, true},
      {"example.com", "api.example.com", 443, true},
      {"example.com", "a.b.example.com", 443, true},
      {"example.com", "notexample.com", 443, false},
      {"ample.com", "example.com", 443, false},
      {".example.com", "example.com", 443, false},
      {".example.com", "api.example.com", 443, true},
      {"*.example.com", "example.com", 443, false},
      {"*.example.com", "api.example.com", 443, true},
      // case and spaces
      {"  EXAMPLE.com  ", "Api.Example.COM", 443, true},
      // ports
      {"example.com:6443", "api.example.com", 6443, true},
      {"example.com:6443", "api.example.com", 443, false},
      {"10.1.2.3:6443", "10.1.2.3", 6443, true},
      {"10.1.2.3:6443", "10.1.2.3", 443, false},
      {"[fd00::1]:6443", "fd00::1", 6443, true},
      {"[fd00::1]:6443", "fd00::1", 443, false},
      // IPs and CIDRs (a CIDR ignores ports)
      {"10.1.2.3", "10.1.2.3", 443, true},
      {"10.1.2.3", "10.1.2.4", 443, false},
      {"10.0.0.0/8", "10.43.0.1", 443, true},
      {"10.0.0.0/8", "11.0.0.1", 443, false},
      {"192.168.0.0/16,172.16.0.0/12", "172.20.1.1", 443, true},
      {"172.16.0.0/12", "172.32.0.1", 443, false},
      {"0.0.0.0/0", "8.8.8.8", 443, true},
      {"0.0.0.0/0", "2001:db8::1", 443, false}, // an IPv4 network holds no IPv6 address
      {"::/0", "8.8.8.8", 443, false},          // and the reverse
      {"fd00::/8", "fd12:3456::1", 443, true},
      {"fd00::/8", "fe80::1", 443, false},
      {"::ffff:10.0.0.1", "10.0.0.1", 443, true}, // v4-mapped equals the IPv4 address
      {"10.0.0.0/8", "::ffff:10.1.1.1", 443, true},
      // a CIDR never matches a name; IP entries never match names either
      {"10.0.0.0/8", "ten.example.com", 443, false},
      {"10.1.2.3", "10.1.2.3.nip.io", 443, false},
      // domain entries match by suffix even on IP hosts (as Go does)
      {"0.0.1", "10.0.0.1", 443, true},
      // several entries, empty ones skipped
      {"a.com,,b.com, ,c.com", "x.b.com", 443, true},
      // malformed CIDR falls back to a (non-matching) name
      {"10.0.0.0/33", "10.0.0.1", 443, false},
  };
  for (const MatchCase& c : cases) {
    EXPECT_EQ(NoProxy(c.no_proxy).bypasses(c.host, c.port), c.bypass)
        << "NO_PROXY=" << c.no_proxy << " host=" << c.host << ":" << c.port;
  }
}

Url url(std::string_view text) {
  auto parsed = parse_url(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? std::move(parsed).value() : Url{};
}

std::string proxy_of(std::string_view request, const ProxyEnvironment& environment) {
  auto proxy = proxy_from_environment(url(request), environment);
  if (!proxy.ok()) {
    return "error: " + proxy.error().message;
  }
  return proxy->has_value() ? (*proxy)->to_string() : "<nil>";
}

TEST(ProxyEnvironmentTest, GoProxyForUrlTable) {
  EXPECT_EQ(proxy_of("http://example.com", {.http_proxy = "127.0.0.1:8080"}), "http://127.0.0.1:8080");
  EXPECT_EQ(proxy_of("http://example.com", {.http_proxy = "cache.corp.example.com:1234"}),
            "http://cache.corp.example.com:1234");
  EXPECT_EQ(proxy_of("http://example.com", {.http_proxy = "cache.corp.example.com"}),
            "http://cache.corp.example.com");
  EXPECT_EQ(proxy_of("http://example.com", {.http_proxy = "localhost"}), "http://localhost");
  EXPECT_EQ(proxy_of("http://example.com", {.http_proxy = "https://cache.corp.example.com"}),
            "https://cache.corp.example.com");
  EXPECT_EQ(proxy_of("http://example.com", {.http_proxy = "socks5://127.0.0.1"}), "socks5://127.0.0.1");
  // the scheme of the request picks the variable
  EXPECT_EQ(
      proxy_of("http://insecure.tld/", {.http_proxy = "http.proxy.tld", .https_proxy = "secure.proxy.tld"}),
      "http://http.proxy.tld");
  EXPECT_EQ(
      proxy_of("https://secure.tld/", {.http_proxy = "http.proxy.tld", .https_proxy = "secure.proxy.tld"}),
      "http://secure.proxy.tld");
  EXPECT_EQ(proxy_of("https://secure.tld/",
                     {.http_proxy = "http.proxy.tld", .https_proxy = "https://secure.proxy.tld"}),
            "https://secure.proxy.tld");
  EXPECT_EQ(proxy_of("https://secure.tld/", {.http_proxy = "http.proxy.tld"}), "<nil>");
  // CGI: HTTP_PROXY refused, HTTPS_PROXY still used
  EXPECT_THAT(proxy_of("http://example.com", {.http_proxy = "http://10.1.2.3:8080", .cgi = true}),
              HasSubstr("refusing to use HTTP_PROXY value in CGI environment"));
  EXPECT_EQ(proxy_of("https://secure.tld/", {.https_proxy = "https://secure.proxy.tld", .cgi = true}),
            "https://secure.proxy.tld");
  EXPECT_EQ(proxy_of("http://example.com", {}), "<nil>");
  // NO_PROXY
  EXPECT_EQ(proxy_of("http://example.com/", {.http_proxy = "proxy", .no_proxy = "example.com"}), "<nil>");
  EXPECT_EQ(proxy_of("http://example.com/", {.http_proxy = "proxy", .no_proxy = ".example.com"}),
            "http://proxy");
  EXPECT_EQ(proxy_of("http://example.com/", {.http_proxy = "proxy", .no_proxy = "ample.com"}),
            "http://proxy");
  EXPECT_EQ(proxy_of("http://foo.example.com/", {.http_proxy = "proxy", .no_proxy = "example.com"}), "<nil>");
  EXPECT_EQ(proxy_of("http://example.com/", {.http_proxy = "proxy", .no_proxy = ".foo.com"}), "http://proxy");
}

TEST(ProxyEnvironmentTest, DefaultPortsTakePartInNoProxyPorts) {
  EXPECT_EQ(proxy_of("https://api.example.com", {.https_proxy = "proxy:3128", .no_proxy = "example.com:443"}),
            "<nil>");
  EXPECT_EQ(
      proxy_of("https://api.example.com:6443", {.https_proxy = "proxy:3128", .no_proxy = "example.com:443"}),
      "http://proxy:3128");
}

TEST(ProxyEnvironmentTest, ReadsUpperCaseThenLowerCase) {
  MemoryEnvironment env;
  env.set_variable("https_proxy", "lower:1");
  env.set_variable("no_proxy", "a.com");
  env.set_variable("HTTP_PROXY", "upper:2");
  env.set_variable("http_proxy", "lower:2");

  const ProxyEnvironment read = ProxyEnvironment::from(env);

  EXPECT_EQ(read.https_proxy, "lower:1");
  EXPECT_EQ(read.http_proxy, "upper:2");
  EXPECT_EQ(read.no_proxy, "a.com");
  EXPECT_FALSE(read.cgi);

  env.set_variable("HTTPS_PROXY", "upper:1");
  env.set_variable("REQUEST_METHOD", "GET");
  EXPECT_EQ(ProxyEnvironment::from(env).https_proxy, "upper:1");
  EXPECT_TRUE(ProxyEnvironment::from(env).cgi);
}

TEST(ProxyEnvironmentTest, UnsupportedProxySchemeIsAnError) {
  EXPECT_THAT(proxy_of("https://k8s.example.com", {.https_proxy = "ftp://proxy"}),
              HasSubstr("HTTPS_PROXY: unsupported proxy scheme \"ftp\""));
}

TEST(UrlTest, ParsesWhatKubeconfigsHold) {
  const Url rancher = url("https://rancher.example.com/k8s/clusters/c-m-xxxx?x=1#f");
  EXPECT_EQ(rancher.path, "/k8s/clusters/c-m-xxxx");
  EXPECT_EQ(rancher.port, 443);
  EXPECT_EQ(rancher.origin(), "https://rancher.example.com");
  EXPECT_EQ(rancher.to_string(), "https://rancher.example.com/k8s/clusters/c-m-xxxx");

  const Url proxy = url("HTTP://alice:secret@proxy.example.com:3128");
  EXPECT_EQ(proxy.scheme, "http");
  EXPECT_EQ(proxy.userinfo, "alice:secret");
  EXPECT_EQ(proxy.to_string(), "http://alice:xxxxx@proxy.example.com:3128");
  EXPECT_EQ(proxy.to_string(false), "http://alice:secret@proxy.example.com:3128");

  EXPECT_FALSE(parse_url("https://host:0").ok());
  EXPECT_FALSE(parse_url("https://host:65536").ok());
  EXPECT_FALSE(parse_url("https://host:http").ok());
  EXPECT_FALSE(parse_url("https://").ok());
  EXPECT_FALSE(parse_url("https://fd00::1:443").ok());
  EXPECT_FALSE(parse_url("host:443").ok());
  EXPECT_TRUE(parse_url("https://host:/").ok());
  EXPECT_EQ(url("https://host:/").port, 443);
}

TEST(UrlTest, ServerUrlsAsClientGoReadsThem) {
  auto bare = parse_server_url("example.com:6443");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->scheme, "http");
  EXPECT_EQ(bare->host, "example.com");
  EXPECT_EQ(bare->port, 6443);
  auto with_path = parse_server_url("example.com:6443/prefix");
  ASSERT_FALSE(with_path.ok());
  EXPECT_THAT(with_path.error().message, HasSubstr("host must be a URL or a host:port pair"));
  EXPECT_FALSE(parse_server_url("ftp://example.com").ok());
  EXPECT_FALSE(parse_server_url("").ok());
  EXPECT_EQ(parse_server_url("https://example.com/")->request_path("api"), "/api");
}

} // namespace
} // namespace herd::kube
