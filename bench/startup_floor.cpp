// The cold-start floor of kubectl-herd (bench/run.sh): a program that loads exactly the shared libraries
// kubectl-herd loads (yaml-cpp and libstdc++; libcrypto's SHA-256 is linked in statically, as kubectl-herd's
// is) and does nothing else. kubectl-herd's startup minus this is Herd's own. cpp-httplib, OpenSSL's libssl,
// zlib and brotli are not here: only the cluster commands' module loads them
// (plugin/src/cluster_commands.hpp).
#define OPENSSL_SUPPRESS_DEPRECATED // the same low-level SHA-256 as core/src/sha256.cpp
#include <openssl/sha.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>

int main(int argc, char** argv) {
  // Never true: the calls only keep the libraries linked (as kubectl-herd needs them), as with --as-needed.
  if (argc > 100) {
    (void)YAML::Load(argv[1]);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(argv[1]), 1, digest);
  }
  std::puts("startup floor");
  return 0;
}
