// Exec credential plugins run for real: small shell scripts written at test time stand in for aws, gcloud or
// kubelogin and record what they were given.
#include "kube_test_support.hpp"

#include <herd/kube/exec_credential.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

namespace herd::kube {
namespace {

using std::chrono::system_clock;
using test::base64;
using test::k_ca_pem;
using test::k_client_pem;
using test::k_key_pem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view k_v1 = "client.authentication.k8s.io/v1";
constexpr std::string_view k_secret = "Zm9vYmFy-SECRET-exec-token";

system_clock::time_point at(std::string_view rfc3339) {
  const auto parsed = parse_rfc3339(rfc3339);
  EXPECT_TRUE(parsed) << rfc3339;
  return parsed.value_or(system_clock::time_point{});
}

class ExecCredentialTest : public ::testing::Test {
protected:
  void SetUp() override {
    // A plugin that counts its runs, records its arguments, environment and KUBERNETES_EXEC_INFO, and prints
    // a token numbered by the run (with the expiration written in `expiration`, if any).
    m_plugin = m_dir.write_script("plugin.sh", "#!/bin/sh\n"
                                               "dir='" +
                                                   m_dir.path().string() + "'\n" +
                                                   R"(n=$(cat "$dir/count" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > "$dir/count"
printf '%s\n' "$@" > "$dir/args"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$dir/info"
printf '%s|%s' "$PLUGIN_VAR" "$HERD_TEST_PARENT_ONLY" > "$dir/env"
exp=$(cat "$dir/expiration" 2>/dev/null)
if [ -n "$exp" ]; then exp=",\"expirationTimestamp\":\"$exp\""; fi
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-%s"%s}}\n' "$n" "$exp"
)");
    ::setenv("PLUGIN_VAR", "from-parent", 1);
    ::setenv("HERD_TEST_PARENT_ONLY", "inherited", 1);
  }
  void TearDown() override {
    ::unsetenv("PLUGIN_VAR");
    ::unsetenv("HERD_TEST_PARENT_ONLY");
  }

  ExecConfig config(std::string command) const {
    ExecConfig exec;
    exec.api_version = k_v1;
    exec.command = std::move(command);
    exec.interactive_mode = "Never";
    exec.origin = "user \"dev\" in test";
    return exec;
  }
  ExecOptions options() {
    ExecOptions out;
    out.clock = [this] { return m_now; };
    return out;
  }
  std::string token(ExecCredentialProvider& provider) {
    auto credential = provider.credential();
    EXPECT_TRUE(credential.ok()) << (credential.ok() ? "" : credential.error().message);
    return credential.ok() ? credential->token : std::string();
  }
  // The error of a plugin script with body `body`.
  std::string failure(std::string_view body, ExecOptions exec_options = {}) {
    const std::string script = m_dir.write_script("failing.sh", "#!/bin/sh\n" + std::string(body) + "\n");
    ExecCredentialProvider provider(config(script), std::nullopt, std::move(exec_options));
    auto credential = provider.credential();
    EXPECT_FALSE(credential.ok()) << body;
    return credential.ok() ? std::string() : credential.error().message;
  }

  test::TemporaryDirectory m_dir;
  std::string m_plugin;
  system_clock::time_point m_now = at("2029-06-01T00:00:00Z");
};

TEST_F(ExecCredentialTest, PassesArgumentsEnvironmentAndExecInfo) {
  ExecConfig exec = config(m_plugin);
  exec.args = {"token", "--cluster name", ""};
  exec.env = {{"PLUGIN_VAR", "from-kubeconfig"}};
  exec.provide_cluster_info = true;
  ExecClusterInfo cluster;
  cluster.server = "https://rancher.example.com/k8s/clusters/c-m-1";
  cluster.tls_server_name = "kubernetes";
  cluster.certificate_authority_pem = k_ca_pem;
  cluster.proxy_url = "http://proxy:3128";
  cluster.config = {{"audience", "herd"}};
  ExecCredentialProvider provider(exec, cluster, options());

  EXPECT_EQ(token(provider), "tok-1");

  EXPECT_EQ(m_dir.read("args"), "token\n--cluster name\n\n");
  EXPECT_EQ(m_dir.read("env"), "from-kubeconfig|inherited");
  const auto info = nlohmann::json::parse(m_dir.read("info"));
  EXPECT_EQ(info["apiVersion"], k_v1);
  EXPECT_EQ(info["kind"], "ExecCredential");
  EXPECT_EQ(info["spec"]["interactive"], false);
  EXPECT_EQ(info["spec"]["cluster"]["server"], "https://rancher.example.com/k8s/clusters/c-m-1");
  EXPECT_EQ(info["spec"]["cluster"]["tls-server-name"], "kubernetes");
  EXPECT_EQ(info["spec"]["cluster"]["certificate-authority-data"], base64(k_ca_pem));
  EXPECT_EQ(info["spec"]["cluster"]["proxy-url"], "http://proxy:3128");
  EXPECT_EQ(info["spec"]["cluster"]["config"], nlohmann::json({{"audience", "herd"}}));
  EXPECT_FALSE(info["spec"]["cluster"].contains("insecure-skip-tls-verify"));
}

TEST_F(ExecCredentialTest, ClusterInfoOnlyWhenAskedFor) {
  ExecClusterInfo cluster;
  cluster.server = "https://k8s.example.com";
  ExecCredentialProvider provider(config(m_plugin), cluster, options());

  EXPECT_EQ(token(provider), "tok-1");

  EXPECT_EQ(m_dir.read("info"), R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",)"
                                R"("spec":{"interactive":false}})");
  EXPECT_EQ(m_dir.read("env"), "from-parent|inherited");
}

TEST_F(ExecCredentialTest, CachesUntilTheExpirationTimestamp) {
  m_dir.write("expiration", "2030-01-01T00:00:00Z");
  ExecCredentialProvider provider(config(m_plugin), std::nullopt, options());

  EXPECT_EQ(token(provider), "tok-1");
  m_now = at("2029-12-31T23:59:59Z");
  EXPECT_EQ(token(provider), "tok-1");
  m_now = at("2030-01-01T00:00:00Z"); // client-go: expired only once now is after the timestamp
  EXPECT_EQ(token(provider), "tok-1");
  EXPECT_EQ(provider.runs(), 1);

  m_now = at("2030-01-01T00:00:01Z");
  EXPECT_EQ(token(provider), "tok-2");
  EXPECT_EQ(provider.runs(), 2);
  EXPECT_EQ(m_dir.read("count"), "2\n");
}

TEST_F(ExecCredentialTest, WithoutExpirationCachedUntilInvalidated) {
  ExecCredentialProvider provider(config(m_plugin), std::nullopt, options());
  const auto first = provider.credential();
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->expiration);

  m_now += std::chrono::hours(24 * 365);
  EXPECT_EQ(token(provider), "tok-1");
  EXPECT_EQ(provider.runs(), 1);

  provider.invalidate(); // a 401
  EXPECT_EQ(token(provider), "tok-2");

  provider.invalidate_if_current(*first); // a late 401 for the old token: already replaced
  EXPECT_EQ(token(provider), "tok-2");
  EXPECT_EQ(provider.runs(), 2);
}

TEST_F(ExecCredentialTest, ConcurrentCallersShareOneRun) {
  ExecCredentialProvider provider(config(m_plugin), std::nullopt, options());
  std::vector<std::thread> threads;
  std::vector<std::string> tokens(4);
  threads.reserve(tokens.size());
  for (auto& slot : tokens) {
    threads.emplace_back([&provider, &slot] {
      auto credential = provider.credential();
      slot = credential.ok() ? credential->token : credential.error().message;
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(provider.runs(), 1);
  EXPECT_EQ(tokens, std::vector<std::string>(4, "tok-1"));
}

TEST_F(ExecCredentialTest, ClientCertificateCredential) {
  nlohmann::json output = {{"apiVersion", k_v1},
                           {"kind", "ExecCredential"},
                           {"status",
                            {{"clientCertificateData", k_client_pem},
                             {"clientKeyData", k_key_pem},
                             {"expirationTimestamp", "2030-01-01T00:00:00Z"}}}};
  m_dir.write("out.json", output.dump());
  const std::string script =
      m_dir.write_script("cert.sh", "#!/bin/sh\ncat '" + m_dir.file("out.json") + "'\n");
  ExecCredentialProvider provider(config(script), std::nullopt, options());

  const auto credential = provider.credential();

  ASSERT_TRUE(credential.ok()) << credential.error().message;
  EXPECT_EQ(credential->token, "");
  EXPECT_EQ(credential->client_certificate_pem, k_client_pem);
  EXPECT_EQ(credential->client_key_pem, k_key_pem);
  EXPECT_EQ(credential->expiration, at("2030-01-01T00:00:00Z"));
}

TEST_F(ExecCredentialTest, NonZeroExitReportsTheCodeAndStderr) {
  const std::string error = failure("echo 'error: SSO session expired, run aws sso login' >&2\nexit 3");

  EXPECT_THAT(error, HasSubstr("failing.sh"));
  EXPECT_THAT(error, HasSubstr("user \"dev\" in test"));
  EXPECT_THAT(error, HasSubstr("failed with exit code 3"));
  EXPECT_THAT(error, HasSubstr("SSO session expired, run aws sso login"));
}

TEST_F(ExecCredentialTest, LongStderrIsTruncated) {
  const std::string error =
      failure("i=0; while [ $i -lt 3000 ]; do echo 'a line of noise' >&2; i=$((i+1)); done; exit 1");

  EXPECT_THAT(error, HasSubstr("[...]"));
  EXPECT_LT(error.size(), 2000U);
}

TEST_F(ExecCredentialTest, CommandNotFoundShowsTheInstallHint) {
  ExecConfig exec = config("herd-test-no-such-credential-plugin");
  exec.install_hint = "Install the plugin: brew install herd-test-plugin";
  ExecCredentialProvider provider(exec, std::nullopt, options());

  const auto credential = provider.credential();

  ASSERT_FALSE(credential.ok());
  EXPECT_THAT(credential.error().message, HasSubstr("\"herd-test-no-such-credential-plugin\""));
  EXPECT_THAT(credential.error().message, HasSubstr("not installed"));
  EXPECT_THAT(credential.error().message, HasSubstr("Install the plugin: brew install herd-test-plugin"));
}

TEST_F(ExecCredentialTest, BadJsonIsAnErrorThatDoesNotQuoteTheOutput) {
  const std::string error =
      failure(R"(echo '{"apiVersion":"client.authentication.k8s.io/v1","status":{"token":")" +
              std::string(k_secret) + "'");

  EXPECT_THAT(error, HasSubstr("not valid JSON"));
  EXPECT_THAT(error, Not(HasSubstr(k_secret)));
}

TEST_F(ExecCredentialTest, WrongApiVersionOrKindIsAnError) {
  const std::string version = failure(
      R"(echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":")" +
      std::string(k_secret) + R"("}}')");
  EXPECT_THAT(version,
              HasSubstr("exec plugin is configured to use API version client.authentication.k8s.io/v1, "
                        "plugin returned version \"client.authentication.k8s.io/v1beta1\""));
  EXPECT_THAT(version, Not(HasSubstr(k_secret)));

  const std::string kind =
      failure(R"(echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"Secret","status":{"token":")" +
              std::string(k_secret) + R"("}}')");
  EXPECT_THAT(kind, HasSubstr("kind \"Secret\", want ExecCredential"));
  EXPECT_THAT(kind, Not(HasSubstr(k_secret)));
}

TEST_F(ExecCredentialTest, OutputWithoutCredentialsIsAnError) {
  EXPECT_THAT(failure(R"(echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"}')"),
              HasSubstr("didn't return a status field"));
  EXPECT_THAT(
      failure(
          R"(echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{}}')"),
      HasSubstr("didn't return a token or cert/key pair"));
}

TEST_F(ExecCredentialTest, TimeoutKillsThePlugin) {
  ExecOptions short_timeout;
  short_timeout.timeout = std::chrono::milliseconds(300);
  const auto started = std::chrono::steady_clock::now();

  const std::string error = failure("sleep 30 &\nsleep 30", short_timeout);

  EXPECT_THAT(error, HasSubstr("did not finish within"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST_F(ExecCredentialTest, OversizedOutputKillsThePlugin) {
  ExecOptions small;
  small.max_output = 1000;

  const std::string error = failure(
      "i=0; while [ $i -lt 1000 ]; do echo 0123456789012345678901234567890123456789; i=$((i+1)); done",
      small);

  EXPECT_THAT(error, HasSubstr("more than 1000 bytes"));
}

TEST_F(ExecCredentialTest, KubeconfigExecPluginRunsEndToEnd) {
  const std::string kubeconfig = m_dir.write("config", R"(current-context: c
clusters:
- name: c
  cluster:
    server: https://c.example.com:6443
    certificate-authority-data: )" + base64(k_ca_pem) + R"(
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./plugin.sh
      args: [get-token]
      env: [{name: PLUGIN_VAR, value: from-kubeconfig}]
      provideClusterInfo: true
      interactiveMode: IfAvailable
contexts: [{name: c, context: {cluster: c, user: u}}]
)");
  const auto config = load_client_config({.kubeconfig_path = kubeconfig}, system_environment());
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_TRUE(config->exec);

  ExecCredentialProvider provider(*config->exec, exec_cluster_info(*config), options());

  EXPECT_EQ(token(provider), "tok-1");
  EXPECT_EQ(m_dir.read("args"), "get-token\n");
  EXPECT_EQ(m_dir.read("env"), "from-kubeconfig|inherited");
  const auto info = nlohmann::json::parse(m_dir.read("info"));
  EXPECT_EQ(info["spec"]["cluster"]["server"], "https://c.example.com:6443");
  EXPECT_EQ(info["spec"]["cluster"]["certificate-authority-data"], base64(k_ca_pem));
}

TEST(ParseExecCredentialTest, ChecksTheStatus) {
  const std::string prefix =
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":)";
  EXPECT_TRUE(parse_exec_credential(prefix + R"({"token":"t","expirationTimestamp":null}})", k_v1).ok());
  EXPECT_THAT(parse_exec_credential(prefix + R"({"clientCertificateData":"x"}})", k_v1).error().message,
              HasSubstr("only certificate or key"));
  EXPECT_THAT(parse_exec_credential(prefix + R"({"token":"t","expirationTimestamp":"tomorrow"}})", k_v1)
                  .error()
                  .message,
              HasSubstr("not an RFC 3339 time"));
  EXPECT_THAT(parse_exec_credential(prefix + R"({"token":5}})", k_v1).error().message,
              HasSubstr("status.token is not a string"));
  EXPECT_THAT(parse_exec_credential("[]", k_v1).error().message, HasSubstr("not an ExecCredential"));
  EXPECT_THAT(parse_exec_credential(R"({"kind":"ExecCredential"})", k_v1).error().message,
              HasSubstr("no apiVersion"));
}

TEST(ParseRfc3339Test, ReadsWhatGoWrites) {
  using std::chrono::hours;
  using std::chrono::milliseconds;
  const auto base = std::chrono::sys_days(std::chrono::year(2024) / 5 / 1);
  EXPECT_EQ(parse_rfc3339("2024-05-01T10:00:00Z"), base + hours(10));
  EXPECT_EQ(parse_rfc3339("2024-05-01T12:00:00.5+02:00"), base + hours(10) + milliseconds(500));
  EXPECT_EQ(parse_rfc3339("2024-05-01T05:30:00.123456789-04:30"),
            base + hours(10) + std::chrono::nanoseconds(123456789));
  EXPECT_FALSE(parse_rfc3339("2024-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2024-02-30T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2024-05-01t10:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2024-05-01T10:00:00"));
  EXPECT_FALSE(parse_rfc3339("2024-05-01T24:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2024-05-01T10:00:00.Z"));
  EXPECT_FALSE(parse_rfc3339("2024-05-01T10:00:00Z "));
  EXPECT_FALSE(parse_rfc3339(""));
}

} // namespace
} // namespace herd::kube
