// OpenSSL 3 deprecates the SHA256_* functions in favour of EVP_Digest, but EVP's first call initializes the
// provider machinery: linked statically into kubectl-herd it costs 4.4 MB and ~17,800 relocations at every
// start, the low-level functions 38 KB and 3 (measured with readelf, bench/RESULTS.md has the start-up
// times).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <herd/core/sha256.hpp>

#include <openssl/sha.h>

namespace herd::core {

namespace {

static_assert(sizeof(SHA256_CTX) <= 128, "Sha256::m_state must hold a SHA256_CTX");

SHA256_CTX* context(std::array<unsigned char, 128>& state) {
  return reinterpret_cast<SHA256_CTX*>(state.data()); // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

} // namespace

Sha256::Sha256() {
  SHA256_Init(context(m_state));
}

void Sha256::update(std::string_view data) {
  SHA256_Update(context(m_state), data.data(), data.size());
}

std::string Sha256::hex_digest() {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256_Final(digest.data(), context(m_state));
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (const unsigned char byte : digest) {
    out += hex[byte >> 4];
    out += hex[byte & 0xF];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 hash;
  hash.update(data);
  return hash.hex_digest();
}

} // namespace herd::core
