#pragma once

// OpenSSL set-up of the API client's TLS connections: server verification against exactly the kubeconfig's
// CA, the client certificate, the TLS server name. OpenSSL types stay in the kube library's .cpp files.

#include <herd/core/result.hpp>

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace herd::kube::tls {

struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// How the server's certificate is checked.
struct ServerVerification {
  bool insecure_skip_verify = false; // insecure-skip-tls-verify: no check at all
  std::string ca_pem; // the only trusted roots (every certificate of the bundle); empty: system roots
  std::string host;   // the server URL's host: checked against the certificate's names/IPs
  std::string tls_server_name; // tls-server-name: checked instead of `host`, and sent as SNI
};

// A client certificate (the first of `certificate_pem`, the rest as its chain) and its private key.
struct ClientIdentity {
  X509Ptr certificate;
  std::vector<X509Ptr> chain;
  PkeyPtr key;
};

// Parses PEM client credentials; fails when either is unreadable or the key does not match the certificate.
// Messages never quote the PEM.
core::Result<ClientIdentity> parse_client_identity(std::string_view certificate_pem,
                                                   std::string_view key_pem);

// Configures `ctx` (before any connection): TLS 1.2 at least, peer verification as `verification` says
// (OpenSSL's own verification: the caller disables cpp-httplib's, which would also trust the system roots),
// and, when tls_server_name is set, an info callback that sends it as SNI instead of the host. The extra
// chain certificates of `identity` are added when given.
core::VoidResult
configure_context(SSL_CTX* ctx, const ServerVerification& verification, const ClientIdentity* identity);

// The OpenSSL errors queued on this thread (then cleared), for messages: "certificate verify failed".
std::string take_openssl_errors();

} // namespace herd::kube::tls
