// ApiClient through an HTTP proxy (a kubeconfig's proxy-url, or HTTPS_PROXY): https servers are reached
// through a CONNECT tunnel, with the proxy's basic credentials when the URL carries them, and TLS stays end
// to end (the server is still verified against the kubeconfig's CA).
#include "client_test_support.hpp"

#include <herd/kube/api_client.hpp>
#include <herd/kube/proxy.hpp>
#include <herd/test_apiserver/api_server.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <array>
#include <atomic>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace herd::kube {
namespace {

using test::TestPki;
using test_apiserver::ApiServer;
using ::testing::HasSubstr;

// A minimal HTTP CONNECT proxy on 127.0.0.1: one thread per tunnel, bytes piped both ways until either side
// closes. Records each CONNECT target and Proxy-Authorization header; refuses with 407 when `credentials`
// ("Basic ...") is set and not sent.
class ConnectProxy {
public:
  explicit ConnectProxy(std::string credentials = {})
      : m_credentials(std::move(credentials)), m_listener(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (m_listener < 0 || ::bind(m_listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(m_listener, 16) != 0 ||
        ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("proxy: cannot listen");
    }
    m_port = ntohs(address.sin_port);
    m_acceptor = std::thread([this] { accept_loop(); });
  }
  ~ConnectProxy() {
    m_stopping = true;
    m_acceptor.join();
    ::close(m_listener);
    for (auto& tunnel : m_tunnels) {
      tunnel.join();
    }
  }
  ConnectProxy(const ConnectProxy&) = delete;
  ConnectProxy& operator=(const ConnectProxy&) = delete;

  [[nodiscard]] int port() const { return m_port; }
  [[nodiscard]] std::vector<std::string> requests() const {
    const std::lock_guard lock(m_mutex);
    return m_requests;
  }

private:
  void accept_loop() {
    while (!m_stopping) {
      pollfd ready{m_listener, POLLIN, 0};
      if (::poll(&ready, 1, 50) <= 0) {
        continue;
      }
      const int client = ::accept(m_listener, nullptr, nullptr);
      if (client >= 0) {
        m_tunnels.emplace_back([this, client] { serve(client); });
      }
    }
  }

  void serve(int client) {
    std::string head;
    std::array<char, 4096> buffer{};
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < 16384) {
      const ssize_t got = ::recv(client, buffer.data(), buffer.size(), 0);
      if (got <= 0) {
        ::close(client);
        return;
      }
      head.append(buffer.data(), static_cast<std::size_t>(got));
    }
    const std::string request_line = head.substr(0, head.find("\r\n"));
    std::string authorization;
    if (const auto at = head.find("Proxy-Authorization: "); at != std::string::npos) {
      authorization = head.substr(at + 21, head.find("\r\n", at) - at - 21);
    }
    {
      const std::lock_guard lock(m_mutex);
      m_requests.push_back(request_line + (authorization.empty() ? "" : " [" + authorization + "]"));
    }
    const auto reply = [client](const std::string& text) {
      (void)::send(client, text.data(), text.size(), 0);
    };
    if (request_line.rfind("CONNECT 127.0.0.1:", 0) != 0) {
      reply("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
      ::close(client);
      return;
    }
    if (!m_credentials.empty() && authorization != m_credentials) {
      reply("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\n"
            "Content-Length: 0\r\n\r\n");
      ::close(client);
      return;
    }
    const int port = std::stoi(request_line.substr(18, request_line.find(' ', 18) - 18));
    const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::connect(upstream, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      reply("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
      ::close(upstream);
      ::close(client);
      return;
    }
    reply("HTTP/1.1 200 Connection established\r\n\r\n");
    std::array<pollfd, 2> ends{pollfd{client, POLLIN, 0}, pollfd{upstream, POLLIN, 0}};
    while (!m_stopping) {
      if (::poll(ends.data(), ends.size(), 50) <= 0) {
        continue;
      }
      bool closed = false;
      for (std::size_t i = 0; i < ends.size(); ++i) {
        if ((ends[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
          continue;
        }
        const ssize_t got = ::recv(ends[i].fd, buffer.data(), buffer.size(), 0);
        if (got <= 0 ||
            ::send(ends[1 - i].fd, buffer.data(), static_cast<std::size_t>(got), MSG_NOSIGNAL) != got) {
          closed = true;
        }
      }
      if (closed) {
        break;
      }
    }
    ::close(upstream);
    ::close(client);
  }

  std::string m_credentials;
  int m_listener = -1;
  int m_port = 0;
  std::atomic<bool> m_stopping{false};
  std::thread m_acceptor;
  std::vector<std::thread> m_tunnels; // touched by the acceptor only, joined after it
  mutable std::mutex m_mutex;
  std::vector<std::string> m_requests;
};

std::unique_ptr<ApiServer> https_server() {
  test_apiserver::Options options;
  options.tls_cert_file = TestPki::get().path("server1.crt");
  options.tls_key_file = TestPki::get().path("server1.key");
  auto server = std::make_unique<ApiServer>(options);
  server->start();
  return server;
}

ClusterConfig
proxied(const ApiServer& server, const std::string& proxy_url, const std::string& ca = "ca1.crt") {
  ClusterConfig config = test::config_for(server);
  config.certificate_authority_pem = TestPki::get().pem(ca);
  auto proxy = parse_proxy_url(proxy_url, "proxy-url");
  if (!proxy) {
    throw std::runtime_error(proxy.error().message);
  }
  config.proxy = *proxy;
  config.proxy_from_kubeconfig = true;
  return config;
}

TEST(ApiClientProxyTest, ReachesAnHttpsServerThroughAConnectTunnel) {
  auto server = https_server();
  ConnectProxy proxy;
  auto client = test::make_client(proxied(*server, "http://127.0.0.1:" + std::to_string(proxy.port())));
  const auto got = client->get(resources::namespaces, "", "default");
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ((*got)["metadata"]["name"], "default");
  EXPECT_THAT(proxy.requests(),
              ::testing::Contains(HasSubstr("CONNECT 127.0.0.1:" + std::to_string(server->port()))));
}

TEST(ApiClientProxyTest, SendsTheProxyUrlsCredentialsOnTheConnect) {
  auto server = https_server();
  ConnectProxy proxy("Basic aGVyZDpzM2NyZXQ="); // herd:s3cret
  const std::string address = "127.0.0.1:" + std::to_string(proxy.port());
  auto client = test::make_client(proxied(*server, "http://herd:s3cret@" + address));
  const auto got = client->get(resources::namespaces, "", "default");
  EXPECT_TRUE(got) << got.error().to_string();

  auto anonymous = test::make_client(proxied(*server, "http://" + address));
  const auto refused = anonymous->get(resources::namespaces, "", "default");
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().to_string(), ::testing::Not(HasSubstr("s3cret")));
  EXPECT_THAT(proxy.requests(), ::testing::Contains(HasSubstr("[Basic aGVyZDpzM2NyZXQ=]")));
  EXPECT_EQ(refused.error().status, 407);
  EXPECT_THAT(refused.error().message,
              HasSubstr("the proxy http://" + address + " refused to connect to " + server->url()));
  EXPECT_THAT(refused.error().message, HasSubstr("proxy-url"));
}

TEST(ApiClientProxyTest, TlsStaysEndToEndThroughTheTunnel) {
  auto server = https_server();
  ConnectProxy proxy;
  // The proxy forwards bytes only: a server certificate of another CA is still refused.
  auto client =
      test::make_client(proxied(*server, "http://127.0.0.1:" + std::to_string(proxy.port()), "ca2.crt"));
  const auto got = client->get(resources::namespaces, "", "default");
  ASSERT_FALSE(got);
  EXPECT_THAT(got.error().to_string(), HasSubstr("certificate"));
}

} // namespace
} // namespace herd::kube
