#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace herd::core {

// A streaming SHA-256, so a document can be hashed as it is serialized instead of first being copied into one
// string (the rendered-hash of every Bundle).
class Sha256 {
public:
  Sha256();
  void update(std::string_view data);
  // The lowercase hex digest of everything updated so far; the hash cannot be updated afterwards.
  std::string hex_digest();

private:
  // Large enough for OpenSSL's SHA256_CTX (112 bytes), which stays out of this header so that including it
  // does not pull in OpenSSL's.
  alignas(std::uint64_t) std::array<unsigned char, 128> m_state{};
};

// The lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

} // namespace herd::core
