// libFuzzer target: any bytes as a kubeconfig (through KUBECONFIG, merged with a fixed second file) resolved
// by load_client_config against an in-memory environment. It must answer with a config or an error, never
// crash, hang or leak, and never run anything (exec plugins are only configured here, not run).
#include <herd/kube/kubeconfig.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  herd::kube::MemoryEnvironment environment;
  environment.set_variable("KUBECONFIG", "/fuzz/config:/fuzz/second");
  environment.set_variable("HTTPS_PROXY", "proxy.example.com:3128");
  environment.set_variable("NO_PROXY", "localhost,.svc,10.0.0.0/8,[fd00::1]:6443");
  environment.set_file("/fuzz/config", std::string(reinterpret_cast<const char*>(data), size));
  environment.set_file("/fuzz/second",
                       "clusters: [{name: c, cluster: {server: 'https://c.example.com/prefix'}}]\n"
                       "contexts: [{name: c, context: {cluster: c, namespace: n}}]\n");
  environment.set_file("/fuzz/ca.crt", "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n");
  const auto config = herd::kube::load_client_config({}, environment);
  if (config.ok()) {
    (void)config->server_url.request_path("/api");
  }
  return 0;
}
