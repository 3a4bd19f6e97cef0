#pragma once

// Helpers of the end-to-end tests of herd-controller: a test PKI made with the openssl CLI, the real
// herd-controller process (fork/exec, stderr captured to a file), and a raw OpenSSL client for what
// cpp-httplib's client cannot do (pick TLS versions, read the peer certificate, send a body slowly or not at
// all). Every wait has a deadline: a broken server fails a test, it never hangs it.

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;

namespace herd::webhook::testing {

using namespace std::chrono_literals;

// Sanitizer builds run about 3x slower: load sizes and deadlines scale with this.
#ifdef HERD_SANITIZE
inline constexpr int k_slowdown = 3;
inline constexpr bool k_sanitized = true;
#else
inline constexpr int k_slowdown = 1;
inline constexpr bool k_sanitized = false;
#endif

std::string source_path(std::string_view relative);
std::string read_text(const std::filesystem::path& path);
void write_text(const std::filesystem::path& path, std::string_view content);
// Writes a temporary file next to `path` and renames it over `path`: readers see the old or the new bytes.
void replace_file(const std::filesystem::path& path, std::string_view content);

// A fresh temporary directory, removed with everything in it when the object goes away.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

private:
  std::filesystem::path m_path;
};

struct CertificateFiles {
  std::filesystem::path certificate;
  std::filesystem::path key;
  std::string common_name;
  std::string serial; // upper-case hex, as BN_bn2hex prints it
};

// A test CA and two serving certificates it signed (different keys, subjects and serials), each valid for
// DNS:localhost and IP:127.0.0.1. Made with the openssl CLI; throws std::runtime_error if openssl fails.
struct TestPki {
  std::filesystem::path ca_certificate;
  CertificateFiles serving_a;
  CertificateFiles serving_b;

  static TestPki create(const std::filesystem::path& directory);
};

// The real herd-controller binary, started with `args` (plus nothing else: tests say every flag). stderr
// goes to `log_file`. The destructor stops it (SIGTERM, then SIGKILL after 10 s), so a failing test never
// leaves a process behind; if the test process itself dies, the kernel kills the controller
// (PR_SET_PDEATHSIG, tied to the thread that started it: start it from the test's own thread).
class ControllerProcess {
public:
  ControllerProcess(const std::vector<std::string>& args, std::filesystem::path log_file);
  ~ControllerProcess();
  ControllerProcess(const ControllerProcess&) = delete;
  ControllerProcess& operator=(const ControllerProcess&) = delete;

  // Waits for the "listening" log line and reads the ports from it. False (with the log in `error`) if the
  // process exits or the deadline passes first.
  bool wait_listening(std::chrono::milliseconds deadline, std::string& error);
  [[nodiscard]] int webhook_port() const { return m_webhook_port; }
  [[nodiscard]] int health_port() const { return m_health_port; }

  [[nodiscard]] std::string log() const;
  // The log lines that are JSON objects (the others are skipped).
  [[nodiscard]] std::vector<nlohmann::json> log_records() const;
  // Waits until a log record has "msg" starting with `message`.
  bool wait_for_log(std::string_view message, std::chrono::milliseconds deadline) const;

  void signal(int number) const;
  // The exit code (128 + signal if killed by one), or nothing if it still runs after `deadline`.
  std::optional<int> wait_exit(std::chrono::milliseconds deadline);
  [[nodiscard]] bool running();

private:
  pid_t m_pid = -1;
  std::optional<int> m_exit_code;
  std::filesystem::path m_log_file;
  int m_webhook_port = 0;
  int m_health_port = 0;
};

struct ExitResult {
  std::optional<int> code; // nothing: it did not exit in time (and was killed)
  std::string log;
};
// Runs herd-controller to its end (flag and start-up errors).
ExitResult run_controller_to_exit(const std::vector<std::string>& args,
                                  const std::filesystem::path& log_file,
                                  std::chrono::milliseconds deadline = 10s);

// The path to the herd-controller binary under test.
std::string controller_binary();

// A plain TCP connection to 127.0.0.1:port (closed by the destructor); -1 in fd() if it failed.
class TcpSocket {
public:
  explicit TcpSocket(int port);
  ~TcpSocket();
  TcpSocket(const TcpSocket&) = delete;
  TcpSocket& operator=(const TcpSocket&) = delete;
  [[nodiscard]] int fd() const { return m_fd; }

private:
  int m_fd = -1;
};

struct TlsClientOptions {
  std::filesystem::path ca_certificate; // verify the server against this CA (and 127.0.0.1) when set
  int min_version = 0;                  // TLS1_2_VERSION, ...; 0 = OpenSSL's default
  int max_version = 0;
  int security_level = -1; // -1 = OpenSSL's default
  std::chrono::milliseconds handshake_deadline = 5s;
};

struct HttpReply {
  int status = 0;
  std::string head; // status line and headers
  std::string body;
};

// A raw OpenSSL client connection (non-blocking underneath, every call bounded by a deadline).
class TlsConnection {
public:
  TlsConnection(int port, const TlsClientOptions& options);
  ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  // Whether the handshake (and verification, when a CA was given) succeeded; why not otherwise.
  [[nodiscard]] bool ok() const { return m_ok; }
  [[nodiscard]] const std::string& error() const { return m_error; }
  [[nodiscard]] std::string protocol() const;         // "TLSv1.3"
  [[nodiscard]] std::string peer_common_name() const; // of the server's leaf certificate
  [[nodiscard]] std::string peer_serial() const;      // upper-case hex

  // Sends all of `data`; false on error or if the deadline passes.
  bool send(std::string_view data, std::chrono::milliseconds deadline = 10s);
  // Whether the server has sent something (a reply, or the end of the connection) without blocking.
  [[nodiscard]] bool readable();
  // Reads one HTTP/1.1 reply (Content-Length bodies, or up to the end of the connection).
  std::optional<HttpReply> read_reply(std::chrono::milliseconds deadline);

private:
  // Runs an SSL_* call until it completes, fails or the deadline passes; returns its result (<= 0 = failed).
  template <class Operation> int drive(Operation operation, std::chrono::steady_clock::time_point deadline);

  int m_fd = -1;
  SSL_CTX* m_context = nullptr;
  SSL* m_ssl = nullptr;
  bool m_ok = false;
  std::string m_error;
  std::string m_buffer; // read but not yet returned
};

// Prometheus text format: the sum of the samples of `name` whose labels include all of `labels`.
double metric_value(const std::string& exposition,
                    std::string_view name,
                    const std::vector<std::pair<std::string, std::string>>& labels = {});

} // namespace herd::webhook::testing
