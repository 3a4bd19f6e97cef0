// ApiClient over TLS: the server is verified against exactly the configured CA, by host or tls-server-name;
// client certificates; insecure-skip-tls-verify.
#include "client_test_support.hpp"

#include <herd/kube/api_client.hpp>
#include <herd/test_apiserver/api_server.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/ssl.h>

#include <cstdlib>
#include <mutex>
#include <netdb.h>
#include <thread>

namespace herd::kube {
namespace {

using test::TestPki;
using test_apiserver::ApiServer;
using ::testing::HasSubstr;

std::unique_ptr<ApiServer> https_server(const std::string& certificate, const std::string& client_ca = {}) {
  const TestPki& pki = TestPki::get();
  test_apiserver::Options options;
  options.tls_cert_file = pki.path(certificate + ".crt");
  options.tls_key_file = pki.path(certificate + ".key");
  if (!client_ca.empty()) {
    options.tls_client_ca_file = pki.path(client_ca + ".crt");
  }
  auto server = std::make_unique<ApiServer>(options);
  server->start();
  return server;
}

// Points OpenSSL's default verify paths (the "system roots") at a file for the test's duration.
class SystemRoots {
public:
  explicit SystemRoots(const std::string& file) { ::setenv("SSL_CERT_FILE", file.c_str(), 1); }
  ~SystemRoots() { ::unsetenv("SSL_CERT_FILE"); }
  SystemRoots(const SystemRoots&) = delete;
  SystemRoots& operator=(const SystemRoots&) = delete;
};

class ApiClientTlsTest : public ::testing::Test {
protected:
  ApiResult<nlohmann::json> get_namespace(const ClusterConfig& config) {
    auto created = ApiClient::create(config, test::recording_options(waits));
    if (!created) {
      return ApiError{0, "", "create: " + created.error().message};
    }
    return (*created)->get(resources::namespaces, "", "default");
  }
  test::RecordedWaits waits;
};

TEST_F(ApiClientTlsTest, TrustsTheConfiguredCa) {
  auto server = https_server("server1");
  auto config = test::config_for(*server);
  config.certificate_authority_pem = TestPki::get().pem("ca1.crt");
  const auto got = get_namespace(config);
  EXPECT_TRUE(got) << got.error().to_string();
}

TEST_F(ApiClientTlsTest, TrustsEveryCaOfTheBundle) {
  auto server = https_server("server1");
  auto config = test::config_for(*server);
  config.certificate_authority_pem = TestPki::get().pem("ca2.crt") + TestPki::get().pem("ca1.crt");
  const auto got = get_namespace(config);
  EXPECT_TRUE(got) << got.error().to_string();
}

TEST_F(ApiClientTlsTest, RefusesAServerOfAnotherCaEvenWhenTheSystemTrustsIt) {
  auto server = https_server("server2");
  const SystemRoots roots(TestPki::get().path("ca2.crt"));
  auto config = test::config_for(*server);
  config.certificate_authority_pem = TestPki::get().pem("ca1.crt");
  const auto got = get_namespace(config);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().status, 0);
  EXPECT_THAT(got.error().message, HasSubstr("TLS handshake with https://127.0.0.1:"));
  EXPECT_THAT(got.error().message, HasSubstr("certificate verify failed"));
  EXPECT_TRUE(waits.snapshot().empty()); // not retried
  EXPECT_EQ(server->request_count("", ".*"), 0U);
}

TEST_F(ApiClientTlsTest, UsesTheSystemRootsWhenNoCaIsConfigured) {
  auto server = https_server("server2");
  auto config = test::config_for(*server);
  {
    const SystemRoots roots(TestPki::get().path("ca2.crt"));
    const auto got = get_namespace(config);
    EXPECT_TRUE(got) << got.error().to_string();
  }
  const SystemRoots other(TestPki::get().path("ca1.crt"));
  EXPECT_FALSE(get_namespace(config));
}

TEST_F(ApiClientTlsTest, InsecureSkipTlsVerifyAcceptsAnyServer) {
  auto server = https_server("server2");
  auto config = test::config_for(*server);
  config.insecure_skip_tls_verify = true;
  const auto got = get_namespace(config);
  EXPECT_TRUE(got) << got.error().to_string();
}

TEST_F(ApiClientTlsTest, ChecksTheHostAgainstTheCertificate) {
  auto server = https_server("named"); // valid for kubernetes.test only
  auto config = test::config_for(*server);
  config.certificate_authority_pem = TestPki::get().pem("ca1.crt");
  const auto refused = get_namespace(config);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("certificate verify failed"));
  config.tls_server_name = "kubernetes.test";
  const auto got = get_namespace(config);
  EXPECT_TRUE(got) << got.error().to_string();
}

TEST_F(ApiClientTlsTest, PresentsTheClientCertificate) {
  auto server = https_server("server1", "ca1");
  auto config = test::config_for(*server);
  config.certificate_authority_pem = TestPki::get().pem("ca1.crt");
  EXPECT_FALSE(get_namespace(config)); // the server requires one
  config.client_certificate_pem = TestPki::get().pem("client.crt");
  config.client_key_pem = TestPki::get().pem("client.key");
  const auto got = get_namespace(config);
  EXPECT_TRUE(got) << got.error().to_string();
}

TEST_F(ApiClientTlsTest, AMismatchedClientKeyFailsAtCreate) {
  auto server = https_server("server1");
  auto config = test::config_for(*server);
  config.client_certificate_pem = TestPki::get().pem("client.crt");
  config.client_key_pem = TestPki::get().pem("server1.key");
  const auto created = ApiClient::create(config);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().message, "the client key does not match the client certificate");
}

TEST_F(ApiClientTlsTest, ACaWithoutCertificatesFailsAtCreate) {
  auto server = https_server("server1");
  auto config = test::config_for(*server);
  config.certificate_authority_pem = "not a certificate";
  const auto created = ApiClient::create(config);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().message, "the certificate authority holds no PEM certificate");
}

// A bare cpp-httplib TLS server that records the SNI of each handshake.
class SniRecorder {
public:
  SniRecorder()
      : m_server([this](SSL_CTX& ctx) {
          const TestPki& pki = TestPki::get();
          SSL_CTX_use_certificate_chain_file(&ctx, pki.path("named.crt").c_str());
          SSL_CTX_use_PrivateKey_file(&ctx, pki.path("named.key").c_str(), SSL_FILETYPE_PEM);
          SSL_CTX_set_tlsext_servername_callback(&ctx, &SniRecorder::on_server_name);
          SSL_CTX_set_tlsext_servername_arg(&ctx, this);
          return true;
        }) {
    m_server.Get("/api/v1/namespaces/default", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(R"({"kind":"Namespace","metadata":{"name":"default"}})", "application/json");
    });
    m_port = m_server.bind_to_any_port("127.0.0.1");
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
    while (!m_server.is_running()) {
      std::this_thread::yield();
    }
  }
  ~SniRecorder() {
    m_server.stop();
    m_thread.join();
  }
  SniRecorder(const SniRecorder&) = delete;
  SniRecorder& operator=(const SniRecorder&) = delete;

  [[nodiscard]] int port() const { return m_port; }
  std::vector<std::string> names() {
    const std::lock_guard lock(m_mutex);
    return m_names;
  }

private:
  static int on_server_name(SSL* ssl, int* /*alert*/, void* arg) {
    auto* self = static_cast<SniRecorder*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    const std::lock_guard lock(self->m_mutex);
    self->m_names.emplace_back(name != nullptr ? name : "");
    return SSL_TLSEXT_ERR_OK;
  }

  httplib::SSLServer m_server;
  int m_port = 0;
  std::thread m_thread;
  std::mutex m_mutex;
  std::vector<std::string> m_names;
};

TEST_F(ApiClientTlsTest, SendsTheTlsServerNameAsSni) {
  SniRecorder recorder;
  ClusterConfig config;
  config.server_url = *parse_server_url("https://127.0.0.1:" + std::to_string(recorder.port()));
  config.certificate_authority_pem = TestPki::get().pem("ca1.crt");
  config.tls_server_name = "kubernetes.test";
  const auto got = get_namespace(config);
  EXPECT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(recorder.names(), (std::vector<std::string>{"kubernetes.test"}));

  // Without tls-server-name, the SNI is the server's host name. (A bare build root may not resolve
  // "localhost" at all: then there is no name to check.)
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* resolved = nullptr;
  const bool localhost_resolves = ::getaddrinfo("localhost", nullptr, &hints, &resolved) == 0;
  if (resolved != nullptr) {
    ::freeaddrinfo(resolved);
  }
  if (!localhost_resolves) {
    GTEST_SKIP() << "\"localhost\" does not resolve here";
  }
  config.server_url = *parse_server_url("https://localhost:" + std::to_string(recorder.port()));
  config.tls_server_name.clear();
  config.insecure_skip_tls_verify = true;
  EXPECT_TRUE(get_namespace(config));
  EXPECT_EQ(recorder.names(), (std::vector<std::string>{"kubernetes.test", "localhost"}));
}

} // namespace
} // namespace herd::kube
