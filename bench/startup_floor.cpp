// The cold-start floor of kubectl-herd (bench/run.sh): a program that loads exactly the shared libraries
// kubectl-herd loads (Debian's cpp-httplib and, through it, OpenSSL, zlib and brotli; yaml-cpp; libstdc++)
// and does nothing else. kubectl-herd's startup minus this is Herd's own.
#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>

int main(int argc, char** argv) {
  // Never true: the calls only keep the libraries linked (as kubectl-herd needs them), as with --as-needed.
  if (argc > 100) {
    httplib::Client client(argv[0]);
    (void)client.Get("/");
    (void)YAML::Load(argv[1]);
  }
  std::puts("startup floor");
  return 0;
}
