#pragma once

#include <herd/core/result.hpp>

#include <memory>
#include <mutex>
#include <string>

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;

namespace herd::webhook {

// The serving certificate and key, swapped atomically when cert-manager rotates them. Connections pick the
// pair current at their handshake (SSL_CTX_set_cert_cb), so the live SSL_CTX is never modified and a rotation
// never fails a request.
class CertificateStore {
public:
  CertificateStore();
  ~CertificateStore();
  CertificateStore(const CertificateStore&) = delete;
  CertificateStore& operator=(const CertificateStore&) = delete;

  // Parses PEM: the certificate file holds the leaf then any intermediates; the key must match the leaf.
  // On failure the current pair stays in use.
  core::VoidResult load(const std::string& certificate_pem, const std::string& key_pem);

  [[nodiscard]] bool loaded() const;
  // The leaf's subject and notAfter, for logs.
  [[nodiscard]] std::string describe() const;

  // Configures `context` for serving: TLS 1.2 minimum, no compression or renegotiation, and the certificate
  // chosen per handshake from this store. The store must outlive the context.
  void configure(SSL_CTX& context);

private:
  struct Pair;
  static int select_certificate(SSL* ssl, void* store);
  [[nodiscard]] std::shared_ptr<const Pair> current() const;

  mutable std::mutex m_mutex;
  std::shared_ptr<const Pair> m_pair;
};

} // namespace herd::webhook
