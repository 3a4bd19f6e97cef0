#include "controller_process.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ; // NOLINT(readability-redundant-declaration): posix_spawn passes our environment on

namespace herd::webhook::testing {

namespace fs = std::filesystem;
using nlohmann::json;
using ProcessClock = std::chrono::steady_clock;

std::string source_path(std::string_view relative) {
  return std::string(HERD_SOURCE_DIR) + "/" + std::string(relative);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out.flush()) {
    throw std::runtime_error("cannot write " + path.string());
  }
}

void replace_file(const fs::path& path, std::string_view content) {
  const fs::path temporary = path.string() + ".new";
  write_text(temporary, content);
  fs::rename(temporary, path);
}

// ---------------------------------------------------------------------------------------------------------
// Temporary directory and PKI

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "herd-webhook-e2e-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
  }
  m_path = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(m_path, ignored);
}

namespace {

// Runs a program to its end with stdout and stderr in `output`; returns its exit code (-1 if it did not run).
int run_program(const std::vector<std::string>& args, std::string& output, const fs::path& output_file) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& arg : args) {
    argv.push_back(const_cast<char*>(arg.c_str())); // NOLINT(cppcoreguidelines-pro-type-const-cast)
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int spawned = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    output = "cannot run " + args[0] + ": " + std::strerror(spawned);
    return -1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  output = read_text(output_file);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void openssl(const fs::path& directory, std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  std::string output;
  if (run_program(args, output, directory / "openssl.log") != 0) {
    std::string command;
    for (const auto& arg : args) {
      command += arg + " ";
    }
    throw std::runtime_error("openssl failed: " + command + "\n" + output);
  }
}

CertificateFiles serving_certificate(const fs::path& directory,
                                     const TestPki& pki,
                                     const std::string& name,
                                     const std::string& serial) {
  const fs::path key = directory / (name + ".key");
  const fs::path request = directory / (name + ".csr");
  const fs::path certificate = directory / (name + ".crt");
  const fs::path extensions = directory / "serving-extensions.cnf";
  write_text(extensions, "basicConstraints=critical,CA:FALSE\n"
                         "keyUsage=critical,digitalSignature,keyEncipherment\n"
                         "extendedKeyUsage=serverAuth\n"
                         "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  const std::string common_name = "herd-webhook-" + name;
  openssl(directory, {"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-keyout", key.string(), "-out", request.string(), "-subj", "/CN=" + common_name});
  openssl(directory, {"x509", "-req", "-in", request.string(), "-CA", pki.ca_certificate.string(), "-CAkey",
                      (directory / "ca.key").string(), "-set_serial", "0x" + serial, "-days", "2", "-extfile",
                      extensions.string(), "-out", certificate.string()});
  return {certificate, key, common_name, serial};
}

} // namespace

TestPki TestPki::create(const fs::path& directory) {
  TestPki pki;
  pki.ca_certificate = directory / "ca.crt";
  openssl(directory,
          {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
           (directory / "ca.key").string(), "-out", pki.ca_certificate.string(), "-days", "2", "-subj",
           "/CN=herd-test-ca", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
           "keyUsage=critical,keyCertSign,cRLSign"});
  pki.serving_a = serving_certificate(directory, pki, "a", "A1A1A1");
  pki.serving_b = serving_certificate(directory, pki, "b", "B2B2B2");
  return pki;
}

// ---------------------------------------------------------------------------------------------------------
// The herd-controller process

std::string controller_binary() {
  return HERD_CONTROLLER_BINARY;
}

ControllerProcess::ControllerProcess(const std::vector<std::string>& args, fs::path log_file)
    : m_log_file(std::move(log_file)) {
  std::vector<std::string> full{controller_binary()};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(full.size() + 1);
  for (const auto& arg : full) {
    argv.push_back(const_cast<char*>(arg.c_str())); // NOLINT(cppcoreguidelines-pro-type-const-cast)
  }
  argv.push_back(nullptr);
  const int log_fd = ::open(m_log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) {
    throw std::runtime_error("cannot open " + m_log_file.string() + ": " + std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  m_pid = ::fork();
  if (m_pid == 0) {
    // The child of a threaded process: only async-signal-safe calls until exec.
    // If the test process dies (a crash, a sanitizer abort), the controller goes with it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
      ::_exit(127);
    }
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(log_fd, 2);
    // Start it as a container runtime would: default signal dispositions (the tests ignore SIGPIPE, which
    // the child would otherwise inherit) and nothing blocked.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (const int number : {SIGPIPE, SIGTERM, SIGINT}) {
      ::sigaction(number, &default_action, nullptr);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(argv[0], argv.data(), environ);
    ::_exit(127);
  }
  const int fork_error = errno;
  ::close(log_fd);
  ::close(null_fd);
  if (m_pid < 0) {
    throw std::runtime_error("cannot start " + full[0] + ": " + std::strerror(fork_error));
  }
}

ControllerProcess::~ControllerProcess() {
  if (m_pid <= 0 || m_exit_code) {
    return;
  }
  ::kill(m_pid, SIGTERM);
  if (!wait_exit(10s)) {
    ::kill(m_pid, SIGKILL);
    int status = 0;
    while (waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

std::string ControllerProcess::log() const {
  return read_text(m_log_file);
}

std::vector<json> ControllerProcess::log_records() const {
  std::vector<json> records;
  std::istringstream lines(log());
  std::string line;
  while (std::getline(lines, line)) {
    json record = json::parse(line, nullptr, false);
    if (record.is_object()) {
      records.push_back(std::move(record));
    }
  }
  return records;
}

bool ControllerProcess::wait_for_log(std::string_view message, std::chrono::milliseconds deadline) const {
  const auto until = ProcessClock::now() + deadline;
  do {
    for (const auto& record : log_records()) {
      if (record.value("msg", "").starts_with(message)) {
        return true;
      }
    }
    std::this_thread::sleep_for(10ms);
  } while (ProcessClock::now() < until);
  return false;
}

bool ControllerProcess::wait_listening(std::chrono::milliseconds deadline, std::string& error) {
  const auto until = ProcessClock::now() + deadline;
  while (true) {
    for (const auto& record : log_records()) {
      if (record.value("msg", "") == "listening") {
        m_webhook_port = record.value("webhookPort", 0);
        m_health_port = record.value("healthPort", 0);
        if (m_webhook_port > 0 && m_health_port > 0) {
          return true;
        }
        error = "the listening line has no ports: " + record.dump();
        return false;
      }
    }
    if (!running()) {
      error = "herd-controller exited with " + std::to_string(m_exit_code.value_or(-1)) +
              " before listening; its log:\n" + log();
      return false;
    }
    if (ProcessClock::now() >= until) {
      error = "herd-controller did not log \"listening\" in time; its log:\n" + log();
      return false;
    }
    std::this_thread::sleep_for(10ms);
  }
}

void ControllerProcess::signal(int number) const {
  if (m_pid > 0 && !m_exit_code) {
    ::kill(m_pid, number);
  }
}

std::optional<int> ControllerProcess::wait_exit(std::chrono::milliseconds deadline) {
  const auto until = ProcessClock::now() + deadline;
  while (!m_exit_code) {
    int status = 0;
    const pid_t reaped = waitpid(m_pid, &status, WNOHANG);
    if (reaped == m_pid) {
      m_exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (reaped < 0 && errno != EINTR) {
      m_exit_code = -1;
      break;
    }
    if (ProcessClock::now() >= until) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(5ms);
  }
  return m_exit_code;
}

bool ControllerProcess::running() {
  return !wait_exit(0ms).has_value();
}

ExitResult run_controller_to_exit(const std::vector<std::string>& args,
                                  const fs::path& log_file,
                                  std::chrono::milliseconds deadline) {
  ExitResult result;
  ControllerProcess process(args, log_file);
  result.code = process.wait_exit(deadline);
  result.log = process.log();
  return result; // the destructor kills it if it is still running
}

// ---------------------------------------------------------------------------------------------------------
// Raw connections

namespace {

int connect_localhost(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string openssl_errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> buffer{};
    ERR_error_string_n(code, buffer.data(), buffer.size());
    text += (text.empty() ? "" : "; ") + std::string(buffer.data());
  }
  return text;
}

int remaining_ms(ProcessClock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - ProcessClock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

} // namespace

TcpSocket::TcpSocket(int port) : m_fd(connect_localhost(port)) {}

TcpSocket::~TcpSocket() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

TlsConnection::TlsConnection(int port, const TlsClientOptions& options)
    : m_context(SSL_CTX_new(TLS_client_method())) {
  if (options.security_level >= 0) {
    SSL_CTX_set_security_level(m_context, options.security_level);
  }
  if (options.min_version != 0) {
    SSL_CTX_set_min_proto_version(m_context, options.min_version);
  }
  if (options.max_version != 0) {
    SSL_CTX_set_max_proto_version(m_context, options.max_version);
  }
  SSL_CTX_set_mode(m_context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (!options.ca_certificate.empty()) {
    if (SSL_CTX_load_verify_locations(m_context, options.ca_certificate.c_str(), nullptr) != 1) {
      m_error = "cannot load the CA: " + openssl_errors();
      return;
    }
    SSL_CTX_set_verify(m_context, SSL_VERIFY_PEER, nullptr);
  }
  m_fd = connect_localhost(port);
  if (m_fd < 0) {
    m_error = "cannot connect: " + std::string(std::strerror(errno));
    return;
  }
  ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) | O_NONBLOCK);
  m_ssl = SSL_new(m_context);
  SSL_set_fd(m_ssl, m_fd);
  SSL_set_tlsext_host_name(m_ssl, "localhost");
  if (!options.ca_certificate.empty()) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(m_ssl), "127.0.0.1");
  }
  const int result =
      drive([this] { return SSL_connect(m_ssl); }, ProcessClock::now() + options.handshake_deadline);
  if (result != 1) {
    if (m_error.empty()) {
      m_error = "handshake failed: " + openssl_errors();
    }
    return;
  }
  m_ok = true;
}

TlsConnection::~TlsConnection() {
  if (m_ssl != nullptr) {
    SSL_free(m_ssl);
  }
  if (m_context != nullptr) {
    SSL_CTX_free(m_context);
  }
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

template <class Operation> int TlsConnection::drive(Operation operation, ProcessClock::time_point deadline) {
  while (true) {
    ERR_clear_error();
    const int result = operation();
    if (result > 0) {
      return result;
    }
    const int error = SSL_get_error(m_ssl, result);
    short events = 0;
    if (error == SSL_ERROR_WANT_READ) {
      events = POLLIN;
    } else if (error == SSL_ERROR_WANT_WRITE) {
      events = POLLOUT;
    } else {
      if (error == SSL_ERROR_ZERO_RETURN) {
        m_error = "the server closed the connection";
      } else if (error == SSL_ERROR_SYSCALL) {
        const std::string queued = openssl_errors();
        m_error = errno != 0 ? std::string(std::strerror(errno)) : "the connection ended";
        m_error += queued.empty() ? "" : " (" + queued + ")";
      } else {
        m_error = "TLS error " + std::to_string(error) + ": " + openssl_errors();
      }
      return result < 0 ? result : 0;
    }
    pollfd descriptor{m_fd, events, 0};
    const int wait = remaining_ms(deadline);
    if (wait == 0 || ::poll(&descriptor, 1, wait) == 0) {
      m_error = "timed out";
      return -2;
    }
  }
}

std::string TlsConnection::protocol() const {
  return m_ssl != nullptr ? SSL_get_version(m_ssl) : "";
}

std::string TlsConnection::peer_common_name() const {
  if (m_ssl == nullptr) {
    return {};
  }
  X509* peer = SSL_get1_peer_certificate(m_ssl);
  if (peer == nullptr) {
    return {};
  }
  std::array<char, 256> name{};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name.data(),
                            static_cast<int>(name.size()));
  X509_free(peer);
  return name.data();
}

std::string TlsConnection::peer_serial() const {
  if (m_ssl == nullptr) {
    return {};
  }
  X509* peer = SSL_get1_peer_certificate(m_ssl);
  if (peer == nullptr) {
    return {};
  }
  BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(peer), nullptr);
  char* hex = BN_bn2hex(number);
  std::string serial = hex;
  OPENSSL_free(hex);
  BN_free(number);
  X509_free(peer);
  return serial;
}

bool TlsConnection::send(std::string_view data, std::chrono::milliseconds deadline) {
  if (!m_ok) {
    return false;
  }
  const auto until = ProcessClock::now() + deadline;
  while (!data.empty()) {
    const int written = drive(
        [&] {
          return SSL_write(m_ssl, data.data(),
                           static_cast<int>(std::min<std::size_t>(data.size(), 1U << 20U)));
        },
        until);
    if (written <= 0) {
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

bool TlsConnection::readable() {
  if (m_ssl == nullptr) {
    return false;
  }
  if (SSL_pending(m_ssl) > 0 || !m_buffer.empty()) {
    return true;
  }
  // Bytes on the socket may be TLS 1.3 session tickets rather than data: peek through the record layer.
  char byte = 0;
  ERR_clear_error();
  const int peeked = SSL_peek(m_ssl, &byte, 1);
  if (peeked > 0) {
    return true;
  }
  const int error = SSL_get_error(m_ssl, peeked);
  return error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE; // the end counts as an answer
}

std::optional<HttpReply> TlsConnection::read_reply(std::chrono::milliseconds deadline) {
  if (m_ssl == nullptr) {
    return std::nullopt;
  }
  const auto until = ProcessClock::now() + deadline;
  bool ended = false;
  auto read_more = [&] {
    std::array<char, 16384> chunk{};
    const int got =
        drive([&] { return SSL_read(m_ssl, chunk.data(), static_cast<int>(chunk.size())); }, until);
    if (got <= 0) {
      ended = true;
      return false;
    }
    m_buffer.append(chunk.data(), static_cast<std::size_t>(got));
    return true;
  };
  std::size_t head_end = std::string::npos;
  while ((head_end = m_buffer.find("\r\n\r\n")) == std::string::npos) {
    if (!read_more()) {
      return std::nullopt;
    }
  }
  HttpReply reply;
  reply.head = m_buffer.substr(0, head_end + 2);
  const std::size_t status_at = reply.head.find(' ');
  reply.status = reply.head.starts_with("HTTP/1.") && status_at != std::string::npos
                     ? static_cast<int>(std::strtol(reply.head.c_str() + status_at + 1, nullptr, 10))
                     : 0;
  if (reply.status == 0) {
    m_error = "not an HTTP reply: " + reply.head;
    return std::nullopt;
  }
  std::optional<std::size_t> length;
  std::string lower = reply.head;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (const std::size_t at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
    length = std::strtoull(lower.c_str() + at + 17, nullptr, 10);
  }
  m_buffer.erase(0, head_end + 4);
  while (!ended && (!length || m_buffer.size() < *length)) {
    if (!read_more() && length) {
      return std::nullopt;
    }
  }
  const std::size_t body_size = length ? *length : m_buffer.size();
  reply.body = m_buffer.substr(0, body_size);
  m_buffer.erase(0, body_size);
  return reply;
}

// ---------------------------------------------------------------------------------------------------------
// Metrics

double metric_value(const std::string& exposition,
                    std::string_view name,
                    const std::vector<std::pair<std::string, std::string>>& labels) {
  double sum = 0;
  std::istringstream lines(exposition);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() == '#' || !line.starts_with(name)) {
      continue;
    }
    const std::size_t after_name = name.size();
    if (after_name < line.size() && line[after_name] != '{' && line[after_name] != ' ') {
      continue; // a longer name with this prefix
    }
    const std::size_t value_at = line.rfind(' ');
    const std::string label_text = line.substr(after_name, value_at - after_name);
    bool matches = true;
    for (const auto& [key, value] : labels) {
      std::string pair = key;
      pair += "=\"";
      pair += value;
      pair += '"';
      if (label_text.find("{" + pair) == std::string::npos &&
          label_text.find("," + pair) == std::string::npos) {
        matches = false;
        break;
      }
    }
    if (matches) {
      sum += std::strtod(line.c_str() + value_at + 1, nullptr);
    }
  }
  return sum;
}

} // namespace herd::webhook::testing
