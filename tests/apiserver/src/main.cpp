// herd-test-apiserver: the test API server as a process, for shell tests and for kubectl.
//   herd-test-apiserver --port 0 [--tls-cert F --tls-key K] [--token T] [--path-prefix P]
// Prints `listening on http(s)://127.0.0.1:PORT/prefix port=PORT` once it serves, then runs until SIGINT or
// SIGTERM. Faults and logs are reached through the /_test/... endpoints (see README.md).

#include <herd/test_apiserver/api_server.hpp>

#include <CLI/CLI.hpp>

#include <csignal>
#include <exception>
#include <iostream>

namespace {

int run(int argc, char** argv) {
  herd::test_apiserver::Options options;
  CLI::App app{"A test Kubernetes API server (in memory) for Herd's tests"};
  app.add_option("--port", options.port, "Port to listen on (0: any free port)");
  app.add_option("--bind-address", options.bind_address, "Address to listen on");
  app.add_option("--tls-cert", options.tls_cert_file, "PEM certificate (chain): serve HTTPS");
  app.add_option("--tls-key", options.tls_key_file, "PEM private key of --tls-cert");
  app.add_option("--token", options.token, "Require this bearer token");
  app.add_option("--path-prefix", options.path_prefix, "Path every API request must start with");
  app.add_option("--history", options.history_limit, "Watch events kept for resuming (older: 410 Gone)");
  int bookmark_ms = static_cast<int>(options.bookmark_interval.count());
  app.add_option("--bookmark-interval-ms", bookmark_ms, "Interval of watch bookmarks");
  app.add_option("--threads", options.threads, "Worker threads (one per open connection or watch)");
  CLI11_PARSE(app, argc, argv);
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    std::cerr << "herd-test-apiserver: --tls-cert and --tls-key go together\n";
    return 2;
  }
  options.bookmark_interval = std::chrono::milliseconds(bookmark_ms);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr); // every thread started below inherits the mask

  herd::test_apiserver::ApiServer server(options);
  server.start();
  std::cout << "listening on " << server.url() << " port=" << server.port() << std::endl;
  int received = 0;
  sigwait(&signals, &received);
  server.stop();
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "herd-test-apiserver: " << error.what() << "\n";
    return 1;
  }
}
