#pragma once

// Helpers of the herd-kube-client tests: test certificates made once per process with the openssl CLI, a
// ClusterConfig pointing at a test API server, client options that record instead of sleeping.

#include <herd/kube/api_client.hpp>
#include <herd/kube/kubeconfig.hpp>
#include <herd/kube/url.hpp>
#include <herd/test_apiserver/api_server.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace herd::kube::test {

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Two unrelated CAs; server certificates for 127.0.0.1 and localhost signed by each, one signed by CA 1 for
// the name kubernetes.test only, and a client certificate signed by CA 1. Made once, removed at exit.
class TestPki {
public:
  static const TestPki& get() {
    static const TestPki pki;
    return pki;
  }
  [[nodiscard]] std::string path(const std::string& name) const { return (m_dir / name).string(); }
  [[nodiscard]] std::string pem(const std::string& name) const { return read_text(m_dir / name); }

  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;
  ~TestPki() {
    std::error_code ignored;
    std::filesystem::remove_all(m_dir, ignored);
  }

private:
  TestPki() {
    m_dir = std::filesystem::temp_directory_path() / ("herd-kube-client-pki-" + std::to_string(::getpid()));
    std::filesystem::create_directories(m_dir);
    make_ca("ca1");
    make_ca("ca2");
    sign("server1", "ca1", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    sign("server2", "ca2", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    sign("named", "ca1", "subjectAltName=DNS:kubernetes.test");
    sign("client", "ca1", "extendedKeyUsage=clientAuth");
  }
  void run(const std::string& command) const {
    if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) {
      throw std::runtime_error("failed: " + command);
    }
  }
  void make_ca(const std::string& name) const {
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "
        "/CN=herd-test-" +
        name + " -keyout " + path(name + ".key") + " -out " + path(name + ".crt"));
  }
  void sign(const std::string& name, const std::string& ca, const std::string& extension) const {
    write_text(m_dir / (name + ".ext"), extension + "\n");
    run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=" + name +
        " -keyout " + path(name + ".key") + " -out " + path(name + ".csr"));
    run("openssl x509 -req -days 1 -in " + path(name + ".csr") + " -CA " + path(ca + ".crt") + " -CAkey " +
        path(ca + ".key") + " -CAcreateserial -extfile " + path(name + ".ext") + " -out " +
        path(name + ".crt"));
  }
  std::filesystem::path m_dir;
};

// What a kubeconfig naming `server` would resolve to (no credentials, no CA).
inline ClusterConfig config_for(const test_apiserver::ApiServer& server) {
  ClusterConfig config;
  config.server = server.url();
  auto url = parse_server_url(config.server);
  if (!url) {
    throw std::runtime_error(url.error().message);
  }
  config.server_url = *url;
  config.namespace_name = "default";
  return config;
}

// Records the waits between attempts instead of waiting; jitter at its maximum (random() == 1).
struct RecordedWaits {
  std::mutex mutex;
  std::vector<std::chrono::milliseconds> waits;
  std::function<void()> on_wait; // runs on each wait (e.g. start a server)

  std::vector<std::chrono::milliseconds> snapshot() {
    const std::lock_guard lock(mutex);
    return waits;
  }
};

inline ApiClientOptions recording_options(RecordedWaits& record) {
  ApiClientOptions options;
  options.sleep = [&record](std::chrono::milliseconds delay) {
    std::function<void()> hook;
    {
      const std::lock_guard lock(record.mutex);
      record.waits.push_back(delay);
      hook = record.on_wait;
    }
    if (hook) {
      hook();
    }
  };
  options.random = [] { return 1.0; };
  options.connect_timeout = std::chrono::seconds(2);
  options.request_timeout = std::chrono::seconds(5);
  return options;
}

inline std::unique_ptr<ApiClient> make_client(ClusterConfig config, ApiClientOptions options = {}) {
  auto client = ApiClient::create(std::move(config), std::move(options));
  if (!client) {
    throw std::runtime_error(client.error().message);
  }
  return std::move(client).value();
}

inline nlohmann::json config_map(const std::string& name, const std::string& value = "1") {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"data", {{"key", value}}}};
}

} // namespace herd::kube::test
