#include <herd/webhook/certificate_store.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <vector>

namespace herd::webhook {

namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

// OpenSSL's queued error, as text (it never contains key material).
std::string openssl_error(const std::string& what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) {
    return what;
  }
  std::array<char, 256> buffer{};
  ERR_error_string_n(code, buffer.data(), buffer.size());
  return what + ": " + buffer.data();
}

BioPtr memory_bio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

} // namespace

struct CertificateStore::Pair {
  X509Ptr leaf;
  std::vector<X509Ptr> chain;
  KeyPtr key;
  std::string description;
};

CertificateStore::CertificateStore() = default;
CertificateStore::~CertificateStore() = default;

core::VoidResult CertificateStore::load(const std::string& certificate_pem, const std::string& key_pem) {
  ERR_clear_error();
  auto pair = std::make_shared<Pair>();
  BioPtr certificates = memory_bio(certificate_pem);
  pair->leaf.reset(PEM_read_bio_X509(certificates.get(), nullptr, nullptr, nullptr));
  if (!pair->leaf) {
    return core::Error{openssl_error("the certificate file holds no PEM certificate")};
  }
  while (X509* intermediate = PEM_read_bio_X509(certificates.get(), nullptr, nullptr, nullptr)) {
    pair->chain.emplace_back(intermediate);
  }
  ERR_clear_error(); // the loop ends on "no start line"
  BioPtr key = memory_bio(key_pem);
  pair->key.reset(PEM_read_bio_PrivateKey(key.get(), nullptr, nullptr, nullptr));
  if (!pair->key) {
    return core::Error{openssl_error("the key file holds no unencrypted PEM private key")};
  }
  if (X509_check_private_key(pair->leaf.get(), pair->key.get()) != 1) {
    ERR_clear_error();
    return core::Error{"the private key does not match the certificate (a rotation half done?)"};
  }
  std::array<char, 256> subject{};
  X509_NAME_oneline(X509_get_subject_name(pair->leaf.get()), subject.data(),
                    static_cast<int>(subject.size()));
  BioPtr not_after(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(not_after.get(), X509_get0_notAfter(pair->leaf.get()));
  char* text = nullptr;
  const long length = BIO_get_mem_data(not_after.get(), &text);
  pair->description =
      std::string(subject.data()) + ", valid until " + std::string(text, static_cast<std::size_t>(length));
  const std::lock_guard lock(m_mutex);
  m_pair = std::move(pair);
  return core::success();
}

bool CertificateStore::loaded() const {
  return current() != nullptr;
}

std::string CertificateStore::describe() const {
  const auto pair = current();
  return pair ? pair->description : std::string("no certificate");
}

std::shared_ptr<const CertificateStore::Pair> CertificateStore::current() const {
  const std::lock_guard lock(m_mutex);
  return m_pair;
}

void CertificateStore::configure(SSL_CTX& context) {
  SSL_CTX_set_min_proto_version(&context, TLS1_2_VERSION);
  SSL_CTX_set_options(&context,
                      SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_cert_cb(&context, &CertificateStore::select_certificate, this);
}

int CertificateStore::select_certificate(SSL* ssl, void* store) {
  const auto pair = static_cast<CertificateStore*>(store)->current();
  if (!pair) {
    return 0; // no certificate yet: fail the handshake rather than serve none
  }
  // SSL_use_* and SSL_add1_chain_cert take their own references: the pair may be swapped mid-handshake.
  if (SSL_use_certificate(ssl, pair->leaf.get()) != 1 || SSL_use_PrivateKey(ssl, pair->key.get()) != 1) {
    return 0;
  }
  SSL_clear_chain_certs(ssl);
  for (const auto& intermediate : pair->chain) {
    SSL_add1_chain_cert(ssl, intermediate.get());
  }
  return 1;
}

} // namespace herd::webhook
