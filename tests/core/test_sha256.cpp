#include <herd/core/sha256.hpp>

#include <gtest/gtest.h>

#include <string>

namespace herd::core {
namespace {

// FIPS 180-2 test vectors.
TEST(Sha256, DigestsMatchTheStandardVectors) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, AStreamHashesLikeTheWholeText) {
  Sha256 streamed;
  for (int i = 0; i < 1'000; ++i) {
    streamed.update(std::string(1'000, 'a')); // a million 'a's, the standard's long vector
  }
  EXPECT_EQ(streamed.hex_digest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

  Sha256 pieces;
  pieces.update("ab");
  pieces.update("");
  pieces.update("c");
  EXPECT_EQ(pieces.hex_digest(), sha256_hex("abc"));
}

} // namespace
} // namespace herd::core
