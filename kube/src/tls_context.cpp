#include "tls_context.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <array>

namespace herd::kube::tls {

namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr memory_bio(std::string_view bytes) {
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

bool is_ip_literal(const std::string& host) {
  std::array<unsigned char, 16> buffer{}; // room for an IPv6 address
  return inet_pton(AF_INET, host.c_str(), buffer.data()) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer.data()) == 1;
}

// The SNI to send, kept on the SSL_CTX (owned by the context, freed with it).
void free_server_name(
    void* /*parent*/, void* pointer, CRYPTO_EX_DATA* /*data*/, int /*index*/, long /*arg*/, void* /*argp*/) {
  // NOLINTNEXTLINE(cppcoreguidelines-owning-memory): OpenSSL hands back the string configure_context made
  delete static_cast<std::string*>(pointer);
}

int server_name_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_server_name);
  return index;
}

// cpp-httplib sets the SNI to the host it connects to just before SSL_connect; the handshake-start callback
// runs after that and before the ClientHello is written, so tls-server-name wins, as in client-go.
void send_server_name(const SSL* ssl, int where, int /*ret*/) {
  if ((where & SSL_CB_HANDSHAKE_START) == 0) {
    return;
  }
  SSL_CTX* ctx = SSL_get_SSL_CTX(ssl);
  const auto* name = static_cast<const std::string*>(SSL_CTX_get_ex_data(ctx, server_name_index()));
  if (name != nullptr) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): OpenSSL's info callback only gets a const SSL*
    SSL_set_tlsext_host_name(const_cast<SSL*>(ssl), name->c_str());
  }
}

} // namespace

std::string take_openssl_errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> buffer{};
    ERR_error_string_n(code, buffer.data(), buffer.size());
    const char* reason = ERR_reason_error_string(code);
    if (!text.empty()) {
      text += "; ";
    }
    text += reason != nullptr ? reason : buffer.data();
  }
  return text;
}

core::Result<ClientIdentity> parse_client_identity(std::string_view certificate_pem,
                                                   std::string_view key_pem) {
  ClientIdentity identity;
  auto cert_bio = memory_bio(certificate_pem);
  identity.certificate.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!identity.certificate) {
    take_openssl_errors();
    return core::Error{"the client certificate is not a PEM certificate"};
  }
  while (X509* extra = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)) {
    identity.chain.emplace_back(extra);
  }
  ERR_clear_error(); // the end of the bundle
  auto key_bio = memory_bio(key_pem);
  identity.key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!identity.key) {
    take_openssl_errors();
    return core::Error{"the client key is not a PEM private key"};
  }
  if (X509_check_private_key(identity.certificate.get(), identity.key.get()) != 1) {
    take_openssl_errors();
    return core::Error{"the client key does not match the client certificate"};
  }
  return identity;
}

core::VoidResult
configure_context(SSL_CTX* ctx, const ServerVerification& verification, const ClientIdentity* identity) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return core::Error{"cannot require TLS 1.2: " + take_openssl_errors()};
  }
  if (identity != nullptr) {
    for (const auto& extra : identity->chain) {
      if (SSL_CTX_add1_chain_cert(ctx, extra.get()) != 1) {
        return core::Error{"cannot use the client certificate chain: " + take_openssl_errors()};
      }
    }
  }
  if (!verification.tls_server_name.empty()) {
    auto* name = new std::string(verification.tls_server_name); // NOLINT(cppcoreguidelines-owning-memory)
    if (SSL_CTX_set_ex_data(ctx, server_name_index(), name) != 1) {
      delete name; // NOLINT(cppcoreguidelines-owning-memory)
      return core::Error{"cannot set the TLS server name"};
    }
    SSL_CTX_set_info_callback(ctx, send_server_name);
  }
  if (verification.insecure_skip_verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    return core::success();
  }
  if (verification.ca_pem.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return core::Error{"cannot load the system CA certificates: " + take_openssl_errors()};
    }
  } else {
    X509_STORE* store = X509_STORE_new();
    auto bio = memory_bio(verification.ca_pem);
    int added = 0;
    while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(store, cert);
      X509_free(cert);
      ++added;
    }
    ERR_clear_error();
    if (added == 0) {
      X509_STORE_free(store);
      return core::Error{"the certificate authority holds no PEM certificate"};
    }
    SSL_CTX_set_cert_store(ctx, store); // the context owns it now (and frees the empty default store)
  }
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
  const std::string& name =
      verification.tls_server_name.empty() ? verification.host : verification.tls_server_name;
  const int set = is_ip_literal(name) ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                                      : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
  if (set != 1) {
    return core::Error{"cannot verify the server name \"" + name + "\": " + take_openssl_errors()};
  }
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return core::success();
}

} // namespace herd::kube::tls
