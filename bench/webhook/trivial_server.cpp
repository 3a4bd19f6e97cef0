// herd-trivial-tls-server: the ceiling of cpp-httplib for the webhook benchmark (bench/webhook/run.sh).
// A TLS server configured exactly like herd-controller's webhook port (thread pool, TCP_NODELAY, keep-alive,
// timeouts, body limit, TLS 1.2 minimum through the setup-callback constructor, the certificate chosen per
// handshake by SSL_CTX_set_cert_cb) whose POST /validate-stack reads the body and answers a fixed "allowed"
// AdmissionReview. Whatever herd-controller is slower than this costs Herd, not the library.
// Usage: herd-trivial-tls-server --cert FILE --key FILE [--port N (0: free port)] [--threads N]
#include <herd/webhook/webhook_server.hpp>

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct X509Free {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

struct Pair {
  X509Ptr leaf;
  std::vector<X509Ptr> chain;
  KeyPtr key;
};

// Like herd::webhook::CertificateStore: the pair behind a mutex, taken at each handshake.
struct Store {
  std::mutex mutex;
  std::shared_ptr<const Pair> pair;

  [[nodiscard]] std::shared_ptr<const Pair> current() {
    const std::lock_guard lock(mutex);
    return pair;
  }
};

std::shared_ptr<const Pair> load_pair(const std::string& cert_file, const std::string& key_file) {
  auto pair = std::make_shared<Pair>();
  std::FILE* certificates = std::fopen(cert_file.c_str(), "rb");
  if (certificates == nullptr) {
    return nullptr;
  }
  pair->leaf.reset(PEM_read_X509(certificates, nullptr, nullptr, nullptr));
  while (X509* intermediate = PEM_read_X509(certificates, nullptr, nullptr, nullptr)) {
    pair->chain.emplace_back(intermediate);
  }
  std::fclose(certificates);
  ERR_clear_error();
  std::FILE* key = std::fopen(key_file.c_str(), "rb");
  if (key == nullptr) {
    return nullptr;
  }
  pair->key.reset(PEM_read_PrivateKey(key, nullptr, nullptr, nullptr));
  std::fclose(key);
  if (!pair->leaf || !pair->key || X509_check_private_key(pair->leaf.get(), pair->key.get()) != 1) {
    return nullptr;
  }
  return pair;
}

int select_certificate(SSL* ssl, void* store) {
  const auto pair = static_cast<Store*>(store)->current();
  if (!pair || SSL_use_certificate(ssl, pair->leaf.get()) != 1 ||
      SSL_use_PrivateKey(ssl, pair->key.get()) != 1) {
    return 0;
  }
  SSL_clear_chain_certs(ssl);
  for (const auto& intermediate : pair->chain) {
    SSL_add1_chain_cert(ssl, intermediate.get());
  }
  return 1;
}

constexpr std::string_view k_allow =
    R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",)"
    R"("response":{"uid":"a7c3e915-0d42-4b8f-96e1-3f5b2d8c0e74","allowed":true}})";

int usage(const char* message) {
  std::cerr << "herd-trivial-tls-server: " << message
            << "\nusage: herd-trivial-tls-server --cert FILE --key FILE [--port N] [--threads N]\n";
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  // herd-controller's defaults, so the two servers cannot drift apart.
  herd::webhook::WebhookServerOptions options;
  options.bind_address = "127.0.0.1";
  options.webhook_port = 0;
  std::string cert_file;
  std::string key_file;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) {
      return usage("missing value after a flag");
    }
    const std::string value = argv[++i];
    if (flag == "--port") {
      options.webhook_port = static_cast<int>(std::strtol(value.c_str(), nullptr, 10));
    } else if (flag == "--threads") {
      options.threads = static_cast<std::size_t>(std::strtoul(value.c_str(), nullptr, 10));
    } else if (flag == "--cert") {
      cert_file = value;
    } else if (flag == "--key") {
      key_file = value;
    } else {
      return usage("unknown flag");
    }
  }
  if (cert_file.empty() || key_file.empty() || options.threads == 0) {
    return usage("--cert and --key are required, --threads must be positive");
  }
  Store store;
  store.pair = load_pair(cert_file, key_file);
  if (!store.pair) {
    return usage("cannot load a matching PEM certificate and key");
  }

  httplib::SSLServer server([&store](SSL_CTX& context) {
    SSL_CTX_set_min_proto_version(&context, TLS1_2_VERSION);
    SSL_CTX_set_options(&context,
                        SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_cert_cb(&context, &select_certificate, &store);
    return true;
  });
  if (!server.is_valid()) {
    return usage("could not create the TLS context");
  }
  const std::size_t threads = options.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(options.keep_alive_max_requests);
  server.set_keep_alive_timeout(options.keep_alive_timeout.count());
  server.set_read_timeout(options.read_timeout.count(), 0);
  server.set_write_timeout(options.write_timeout.count(), 0);
  server.set_payload_max_length(options.max_body_bytes);
  server.Post("/validate-stack", [&options](const httplib::Request&, httplib::Response& response,
                                            const httplib::ContentReader& reader) {
    std::string body;
    const bool complete = reader([&](const char* data, std::size_t length) {
      if (body.size() + length > options.max_body_bytes) {
        return false;
      }
      body.append(data, length);
      return true;
    });
    if (!complete) {
      response.status = 400;
      response.set_header("Connection", "close");
      return;
    }
    response.set_content(std::string(k_allow),
                         "application/json; charset=utf-8" /* uncompressed, as herd-controller answers */);
  });

  const int port =
      options.webhook_port == 0
          ? server.bind_to_any_port(options.bind_address)
          : (server.bind_to_port(options.bind_address, options.webhook_port) ? options.webhook_port : -1);
  if (port <= 0) {
    return usage("cannot listen");
  }
  std::cout << "herd-trivial-tls-server listening on port " << port << " with " << threads << " threads"
            << std::endl;
  return server.listen_after_bind() ? 0 : 1;
}
