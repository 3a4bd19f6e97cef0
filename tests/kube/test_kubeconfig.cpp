#include "kube_test_support.hpp"

#include <herd/kube/kubeconfig.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace herd::kube {
namespace {

using test::base64;
using test::k_ca_pem;
using test::k_client_pem;
using test::k_key_pem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view k_token = "s3cr3t-T0KEN-value-4242";

// One cluster, user and context named `name`, the context current.
std::string single(std::string_view name, std::string_view server, std::string_view extra_user = {}) {
  std::string text = "apiVersion: v1\nkind: Config\ncurrent-context: " + std::string(name) +
                     "\nclusters:\n- name: " + std::string(name) +
                     "\n  cluster:\n    server: " + std::string(server) +
                     "\nusers:\n- name: " + std::string(name) + "\n  user:\n";
  text += extra_user.empty() ? "    token: abc\n" : std::string(extra_user);
  text += "contexts:\n- name: " + std::string(name) + "\n  context:\n    cluster: " + std::string(name) +
          "\n    user: " + std::string(name) + "\n";
  return text;
}

class KubeconfigTest : public ::testing::Test {
protected:
  core::Result<ClusterConfig> load(const KubeconfigOptions& options = {}) {
    KubeconfigOptions with_dir = options;
    with_dir.service_account_dir = m_dir.file("serviceaccount");
    return load_client_config(with_dir, m_env);
  }
  ClusterConfig load_ok(const KubeconfigOptions& options = {}) {
    auto config = load(options);
    EXPECT_TRUE(config.ok()) << (config.ok() ? "" : config.error().message);
    return config.ok() ? std::move(config).value() : ClusterConfig{};
  }
  std::string load_error(const KubeconfigOptions& options = {}) {
    auto config = load(options);
    EXPECT_FALSE(config.ok());
    return config.ok() ? std::string() : config.error().message;
  }
  void in_cluster(std::string_view token = "pod-token\n") {
    m_env.variables["KUBERNETES_SERVICE_HOST"] = "10.43.0.1";
    m_env.variables["KUBERNETES_SERVICE_PORT"] = "443";
    m_dir.write("serviceaccount/token", token);
    m_dir.write("serviceaccount/ca.crt", k_ca_pem);
    m_dir.write("serviceaccount/namespace", "herd-system\n");
  }

  test::TemporaryDirectory m_dir;
  test::TestEnvironment m_env;
};

// --- which files
// ----------------------------------------------------------------------------------------------

TEST_F(KubeconfigTest, ExplicitKubeconfigIsTheOnlyFileRead) {
  const std::string a = m_dir.write("a.yaml", single("a", "https://a.example.com"));
  const std::string b = m_dir.write("b.yaml", single("b", "https://b.example.com"));
  m_env.variables["KUBECONFIG"] = a;
  m_env.variables["HOME"] = m_dir.path().string();
  m_dir.write(".kube/config", single("home", "https://home.example.com"));

  const ClusterConfig config = load_ok({.kubeconfig_path = b});

  EXPECT_EQ(config.context, "b");
  EXPECT_EQ(config.server, "https://b.example.com");
  EXPECT_EQ(config.kubeconfig_files, std::vector<std::string>{b});
}

TEST_F(KubeconfigTest, ExplicitKubeconfigMustExist) {
  const std::string missing = m_dir.file("nope.yaml");
  in_cluster(); // even in a pod: an explicit file that does not exist is an error

  const std::string error = load_error({.kubeconfig_path = missing});

  EXPECT_THAT(error, HasSubstr(missing));
  EXPECT_THAT(error, HasSubstr("--kubeconfig"));
  EXPECT_THAT(error, HasSubstr("does not exist"));
}

TEST_F(KubeconfigTest, KubeconfigMergeFirstFileWinsEachNameWhole) {
  const std::string first = m_dir.write("first.yaml", R"(apiVersion: v1
kind: Config
clusters:
- name: shared
  cluster:
    server: https://first.example.com
users:
- name: shared
  user:
    token: first-token
contexts:
- name: shared
  context: {cluster: shared, user: shared, namespace: first-ns}
)");
  const std::string second = m_dir.write("second.yaml", R"(apiVersion: v1
kind: Config
current-context: shared
clusters:
- name: shared
  cluster:
    server: https://second.example.com
    certificate-authority-data: )" + base64(k_ca_pem) + R"(
    tls-server-name: second
users:
- name: shared
  user:
    token: second-token
contexts:
- name: shared
  context: {cluster: shared, user: shared, namespace: second-ns}
)");
  m_env.variables["KUBECONFIG"] = first + ":" + second;

  const ClusterConfig config = load_ok();

  EXPECT_EQ(config.server, "https://first.example.com");
  EXPECT_EQ(config.token, "first-token");
  EXPECT_EQ(config.namespace_name, "first-ns");
  // The first file's entry wins whole: nothing of the second file's "shared" cluster leaks in.
  EXPECT_EQ(config.certificate_authority_pem, "");
  EXPECT_EQ(config.tls_server_name, "");
  EXPECT_EQ(config.kubeconfig_files, (std::vector<std::string>{first, second}));
}

TEST_F(KubeconfigTest, MergeTakesNamesOnlyLaterFilesDefine) {
  const std::string first = m_dir.write("first.yaml", single("dev", "https://dev.example.com"));
  const std::string second = m_dir.write("second.yaml", single("prod", "https://prod.example.com"));
  m_env.variables["KUBECONFIG"] = first + ":" + second;

  const ClusterConfig config = load_ok({.context = "prod"});

  EXPECT_EQ(config.server, "https://prod.example.com");
}

TEST_F(KubeconfigTest, CurrentContextComesFromTheFirstFileThatSetsOne) {
  std::string none = single("a", "https://a.example.com");
  none.replace(none.find("current-context: a\n"), 19, "");
  const std::string a = m_dir.write("a.yaml", none);
  const std::string b = m_dir.write("b.yaml", single("b", "https://b.example.com"));
  const std::string c = m_dir.write("c.yaml", single("c", "https://c.example.com"));
  m_env.variables["KUBECONFIG"] = a + ":" + b + ":" + c;

  const ClusterConfig config = load_ok();

  EXPECT_EQ(config.context, "b");
  EXPECT_EQ(config.server, "https://b.example.com");
}

TEST_F(KubeconfigTest, EmptyMissingAndRepeatedKubeconfigEntriesAreSkipped) {
  const std::string a = m_dir.write("a.yaml", single("a", "https://a.example.com"));
  m_env.variables["KUBECONFIG"] = "::" + m_dir.file("missing.yaml") + ":" + a + ":" + a + ":";

  const ClusterConfig config = load_ok();

  EXPECT_EQ(config.context, "a");
  EXPECT_EQ(config.kubeconfig_files, std::vector<std::string>{a});
}

TEST_F(KubeconfigTest, KubeconfigVariableReplacesTheHomeFile) {
  m_env.variables["HOME"] = m_dir.path().string();
  m_dir.write(".kube/config", single("home", "https://home.example.com"));
  m_env.variables["KUBECONFIG"] = m_dir.file("missing.yaml");

  const std::string error = load_error();

  EXPECT_THAT(error, HasSubstr("no kubeconfig"));
  EXPECT_THAT(error, HasSubstr(m_dir.file("missing.yaml")));
  EXPECT_THAT(error, HasSubstr("set KUBECONFIG, use --kubeconfig, or run in a cluster"));
}

TEST_F(KubeconfigTest, HomeKubeconfigIsTheDefault) {
  m_env.variables["HOME"] = m_dir.path().string();
  const std::string home = m_dir.write(".kube/config", single("home", "https://home.example.com"));

  const ClusterConfig config = load_ok();

  EXPECT_EQ(config.context, "home");
  EXPECT_EQ(config.kubeconfig_files, std::vector<std::string>{home});
}

TEST_F(KubeconfigTest, NoKubeconfigAndNoClusterIsAClearError) {
  m_env.variables["HOME"] = m_dir.path().string();

  const std::string error = load_error();

  EXPECT_THAT(error, HasSubstr("no kubeconfig"));
  EXPECT_THAT(error, HasSubstr(m_dir.file(".kube/config")));
  EXPECT_THAT(error, HasSubstr("set KUBECONFIG, use --kubeconfig, or run in a cluster"));
}

TEST_F(KubeconfigTest, UnreadableOrBrokenKubeconfigFails) {
  const std::string broken = m_dir.write("broken.yaml", "clusters: [\n");
  const std::string good = m_dir.write("good.yaml", single("a", "https://a.example.com"));
  m_env.variables["KUBECONFIG"] = good + ":" + broken;

  const std::string error = load_error();

  EXPECT_THAT(error, HasSubstr(broken + ":"));
}

TEST_F(KubeconfigTest, JsonKubeconfigIsRead) {
  const std::string path = m_dir.write("config.json", R"({"apiVersion": "v1", "kind": "Config",
    "current-context": "j",
    "clusters": [{"name": "j", "cluster": {"server": "https://json.example.com:6443"}}],
    "users": [{"name": "j", "user": {"username": "admin", "password": "pw"}}],
    "contexts": [{"name": "j", "context": {"cluster": "j", "user": "j", "namespace": "apps"}}]})");

  const ClusterConfig config = load_ok({.kubeconfig_path = path});

  EXPECT_EQ(config.server_url.port, 6443);
  EXPECT_EQ(config.username, "admin");
  EXPECT_EQ(config.password, "pw");
  EXPECT_EQ(config.namespace_name, "apps");
}

TEST_F(KubeconfigTest, EmptyKubeconfigIsAnEmptyConfig) {
  const std::string path = m_dir.write("empty.yaml", "");

  const std::string error = load_error({.kubeconfig_path = path});

  EXPECT_THAT(error, HasSubstr("no context"));
  EXPECT_THAT(error, HasSubstr(path));
}

// --- contexts, clusters, users, namespaces
// --------------------------------------------------------------------

constexpr std::string_view k_two_contexts = R"(apiVersion: v1
kind: Config
current-context: staging
clusters:
- name: staging
  cluster: {server: "https://staging.example.com"}
- name: production
  cluster: {server: "https://production.example.com"}
users:
- name: ops
  user: {token: ops-token}
contexts:
- name: staging
  context: {cluster: staging, user: ops, namespace: team-a}
- name: production
  context: {cluster: production, user: ops}
)";

TEST_F(KubeconfigTest, ContextFlagOverridesCurrentContext) {
  const std::string path = m_dir.write("config", k_two_contexts);

  const ClusterConfig config = load_ok({.kubeconfig_path = path, .context = "production"});

  EXPECT_EQ(config.context, "production");
  EXPECT_EQ(config.cluster_name, "production");
  EXPECT_EQ(config.user_name, "ops");
  EXPECT_EQ(config.server, "https://production.example.com");
  EXPECT_EQ(config.namespace_name, "default");
  EXPECT_FALSE(config.namespace_overridden);
}

TEST_F(KubeconfigTest, NamespaceComesFromFlagThenContextThenDefault) {
  const std::string path = m_dir.write("config", k_two_contexts);

  EXPECT_EQ(load_ok({.kubeconfig_path = path}).namespace_name, "team-a");
  EXPECT_EQ(load_ok({.kubeconfig_path = path, .context = "production"}).namespace_name, "default");
  const ClusterConfig flagged = load_ok({.kubeconfig_path = path, .namespace_override = "other"});
  EXPECT_EQ(flagged.namespace_name, "other");
  EXPECT_TRUE(flagged.namespace_overridden);
}

TEST_F(KubeconfigTest, UnknownContextFlagSuggestsTheClosestName) {
  const std::string path = m_dir.write("config", k_two_contexts);

  const std::string error = load_error({.kubeconfig_path = path, .context = "prodution"});

  EXPECT_THAT(error, HasSubstr("context \"prodution\" (--context) not found in kubeconfig " + path));
  EXPECT_THAT(error, HasSubstr("did you mean \"production\"?"));
}

TEST_F(KubeconfigTest, UnknownCurrentContextNamesTheFileAndLine) {
  std::string text(k_two_contexts);
  text.replace(text.find("current-context: staging"), 24, "current-context: stagin");
  const std::string path = m_dir.write("config", text);

  const std::string error = load_error({.kubeconfig_path = path});

  EXPECT_THAT(error, HasSubstr(path + ":3:"));
  EXPECT_THAT(error, HasSubstr("current-context: context \"stagin\" not found"));
  EXPECT_THAT(error, HasSubstr("did you mean \"staging\"?"));
}

TEST_F(KubeconfigTest, MissingClusterOfTheContextIsNamed) {
  std::string text(k_two_contexts);
  text.replace(text.find("cluster: staging, user"), 16, "cluster: stagign");
  const std::string path = m_dir.write("config", text);

  const std::string error = load_error({.kubeconfig_path = path});

  EXPECT_THAT(error, HasSubstr("cluster \"stagign\" of context \"staging\" not found"));
  EXPECT_THAT(error, HasSubstr("did you mean \"staging\"?"));
  EXPECT_THAT(error, HasSubstr(path + ":14:"));
}

TEST_F(KubeconfigTest, MissingUserOfTheContextIsNamed) {
  std::string text(k_two_contexts);
  text.replace(text.find("user: ops, namespace"), 9, "user: opz");
  const std::string path = m_dir.write("config", text);

  const std::string error = load_error({.kubeconfig_path = path});

  EXPECT_THAT(error, HasSubstr("user \"opz\" of context \"staging\" not found"));
  EXPECT_THAT(error, HasSubstr("did you mean \"ops\"?"));
}

TEST_F(KubeconfigTest, ContextWithoutUserIsAnonymous) {
  const std::string path = m_dir.write("config", R"(current-context: anon
clusters: [{name: c, cluster: {server: "https://c.example.com"}}]
contexts: [{name: anon, context: {cluster: c}}]
)");

  const ClusterConfig config = load_ok({.kubeconfig_path = path});

  EXPECT_EQ(config.user_name, "");
  EXPECT_EQ(config.token, "");
  EXPECT_FALSE(config.exec);
}

TEST_F(KubeconfigTest, ClusterWithoutServerIsAnError) {
  const std::string path = m_dir.write("config", R"(current-context: x
clusters: [{name: x, cluster: {insecure-skip-tls-verify: true}}]
contexts: [{name: x, context: {cluster: x}}]
)");

  EXPECT_THAT(load_error({.kubeconfig_path = path}), HasSubstr("no server found for cluster \"x\""));
}

TEST_F(KubeconfigTest, NoCurrentContextListsTheContexts) {
  std::string text(k_two_contexts);
  text.replace(text.find("current-context: staging\n"), 25, "");
  const std::string path = m_dir.write("config", text);

  const std::string error = load_error({.kubeconfig_path = path});

  EXPECT_THAT(error, HasSubstr("sets no current-context"));
  EXPECT_THAT(error, HasSubstr("production, staging"));
}

// --- server URL
// -----------------------------------------------------------------------------------------------

TEST_F(KubeconfigTest, ServerPathPrefixesEveryRequestAndHttpsDefaultsToPort443) {
  const std::string path =
      m_dir.write("config", single("rancher", "https://rancher.example.com/k8s/clusters/c-m-xk2p9/"));

  const ClusterConfig config = load_ok({.kubeconfig_path = path});

  EXPECT_EQ(config.server_url.scheme, "https");
  EXPECT_EQ(config.server_url.host, "rancher.example.com");
  EXPECT_EQ(config.server_url.port, 443);
  EXPECT_FALSE(config.server_url.explicit_port);
  EXPECT_EQ(config.server_url.path, "/k8s/clusters/c-m-xk2p9");
  EXPECT_EQ(config.server_url.request_path("/api/v1/namespaces"),
            "/k8s/clusters/c-m-xk2p9/api/v1/namespaces");
  EXPECT_EQ(config.server_url.host_port(), "rancher.example.com:443");
}

TEST_F(KubeconfigTest, ServerWithPortAndIpv6) {
  const std::string path = m_dir.write("config", single("v6", "\"https://[fd00::1]:6443\""));

  const ClusterConfig config = load_ok({.kubeconfig_path = path});

  EXPECT_EQ(config.server_url.host, "fd00::1");
  EXPECT_EQ(config.server_url.port, 6443);
  EXPECT_EQ(config.server_url.host_port(), "[fd00::1]:6443");
  EXPECT_EQ(config.server_url.request_path("/version"), "/version");
}

TEST_F(KubeconfigTest, PlainHttpServerGetsNoCredentialsAsInKubectl) {
  const std::string path = m_dir.write("config", single("local", "http://127.0.0.1:8080"));

  const ClusterConfig config = load_ok({.kubeconfig_path = path});

  EXPECT_EQ(config.server_url.scheme, "http");
  EXPECT_EQ(config.server_url.port, 8080);
  EXPECT_EQ(config.token, ""); // client-go's IsConfigTransportTLS: no auth over plain HTTP
}

TEST_F(KubeconfigTest, ServerWithoutSchemeIsHttpAsInKubectl) {
  const std::string path = m_dir.write("config", single("bare", "10.0.0.5:6443"));

  const ClusterConfig config = load_ok({.kubeconfig_path = path});

  EXPECT_EQ(config.server_url.scheme, "http");
  EXPECT_EQ(config.server_url.port, 6443);
}

TEST_F(KubeconfigTest, InvalidServerUrlIsAnError) {
  const std::string path = m_dir.write("config", single("bad", "\"https://exa mple.com\""));

  const std::string error = load_error({.kubeconfig_path = path});

  EXPECT_THAT(error, HasSubstr("clusters[0].cluster.server"));
  EXPECT_THAT(error, HasSubstr("invalid URL"));
}

// --- TLS and credentials
// --------------------------------------------------------------------------------------

TEST_F(KubeconfigTest, RelativeFilesResolveAgainstTheKubeconfigDirectory) {
  m_dir.write("clusters/certs/ca.crt", k_ca_pem);
  m_dir.write("clusters/certs/client.crt", k_client_pem);
  m_dir.write("clusters/certs/client.key", k_key_pem);
  const std::string path = m_dir.write("clusters/config", R"(current-context: c
clusters:
- name: c
  cluster:
    server: https://c.example.com:6443
    certificate-authority: certs/ca.crt
users:
- name: u
  user:
    client-certificate: ./certs/client.crt
    client-key: certs/../certs/client.key
contexts:
- name: c
  context: {cluster: c, user: u}
)");
  m_env.variables["KUBECONFIG"] = path;

  const ClusterConfig config = load_ok();

  EXPECT_EQ(config.certificate_authority_pem, k_ca_pem);
  EXPECT_EQ(config.certificate_authority_file, m_dir.file("clusters/certs/ca.crt"));
  EXPECT_EQ(config.client_certificate_pem, k_client_pem);
  EXPECT_EQ(config.client_key_pem, k_key_pem);
}

TEST_F(KubeconfigTest, DataFieldsAreBase64Decoded) {
  const std::string path = m_dir.write("config", R"(current-context: c
clusters:
- name: c
  cluster:
    server: https://c.example.com
    certificate-authority-data: )" + base64(k_ca_pem) +
                                                     R"(
    tls-server-name: kubernetes.default
users:
- name: u
  user:
    client-certificate-data: )" + base64(k_client_pem) +
                                                     R"(
    client-key-data: )" + base64(k_key_pem) + R"(
contexts:
- name: c
  context: {cluster: c, user: u}
)");

  const ClusterConfig config = load_ok({.kubeconfig_path = path});

  EXPECT_EQ(config.certificate_authority_pem, k_ca_pem);
  EXPECT_EQ(config.certificate_authority_file, "");
  EXPECT_EQ(config.tls_server_name, "kubernetes.default");
  EXPECT_EQ(config.client_certificate_pem, k_client_pem);
  EXPECT_EQ(config.client_key_pem, k_key_pem);
}

TEST_F(KubeconfigTest, InvalidBase64NamesTheFieldAndTheFile) {
  const std::string path = m_dir.write("config", R"(current-context: c
clusters:
- name: c
  cluster:
    server: https://c.example.com
    certificate-authority-data: "not*base64"
contexts:
- name: c
  context: {cluster: c}
)");

  const std::string error = load_error({.kubeconfig_path = path});

  EXPECT_THAT(error,
              HasSubstr(path + ":6:33: clusters[0].cluster.certificate-authority-data: invalid base64"));
}

TEST_F(KubeconfigTest, InvalidBase64InAnUnusedEntryStillFailsAsInKubectl) {
  const std::string path = m_dir.write("config", single("c", "https://c.example.com") + R"(- name: other
  context: {cluster: c}
)");
  std::string text = m_dir.read("config");
  text.replace(text.find("users:\n"), 7, "users:\n- name: unused\n  user: {client-key-data: \"a\"}\n");
  m_dir.write("config", text);

  EXPECT_THAT(load_error({.kubeconfig_path = path}),
              HasSubstr("users[0].user.client-key-data: invalid base64"));
}

TEST_F(KubeconfigTest, MissingCertificateAuthorityFileIsAnError) {
  const std::string path = m_dir.write("config", R"(current-context: c
clusters:
- name: c
  cluster: {server: "https://c.example.com", certificate-authority: ca.pem}
contexts: [{name: c, context: {cluster: c}}]
)");

  const std::string error = load_error({.kubeconfig_path = path});

  EXPECT_THAT(error, HasSubstr("certificate-authority"));
  EXPECT_THAT(error, HasSubstr(m_dir.file("ca.pem")));
  EXPECT_THAT(error, HasSubstr("No such file or directory"));
}

TEST_F(KubeconfigTest, CertificateAuthorityAndInsecureTogetherAreRefused) {
  const std::string path = m_dir.write("config", R"(current-context: c
clusters:
- name: c
  cluster:
    server: https://c.example.com
    insecure-skip-tls-verify: true
    certificate-authority-data: )" + base64(k_ca_pem) +
                                                     R"(
contexts: [{name: c, context: {cluster: c}}]
)");

  EXPECT_THAT(load_error({.kubeconfig_path = path}), HasSubstr("insecure-skip-tls-verify"));
}

TEST_F(KubeconfigTest, InsecureSkipTlsVerifyAcceptsYamlBooleans) {
  const std::string path = m_dir.write("config", R"(current-context: c
clusters: [{name: c, cluster: {server: "https://c.example.com", insecure-skip-tls-verify: yes}}]
contexts: [{name: c, context: {cluster: c}}]
)");

  EXPECT_TRUE(load_ok({.kubeconfig_path = path}).insecure_skip_tls_verify);
}

TEST_F(KubeconfigTest, WrongFieldTypeIsAnError) {
  const std::string path = m_dir.write("config", single("c", "https://c.example.com", "    token: 12345\n"));

  const std::string error = load_error({.kubeconfig_path = path});

  EXPECT_THAT(error, HasSubstr("users[0].user.token: expected a string, got a number"));
}

TEST_F(KubeconfigTest, DuplicateNameInOneFileIsAnError) {
  const std::string path = m_dir.write("config", R"(clusters:
- name: c
  cluster: {server: "https://one.example.com"}
- name: c
  cluster: {server: "https://two.example.com"}
)");

  const std::string error = load_error({.kubeconfig_path = path});

  EXPECT_THAT(error, HasSubstr(path + ":4:"));
  EXPECT_THAT(error, HasSubstr("duplicate name \"c\" in clusters"));
}

TEST_F(KubeconfigTest, WrongKindIsAnError) {
  const std::string path = m_dir.write("config", "apiVersion: v1\nkind: Pod\n");

  EXPECT_THAT(load_error({.kubeconfig_path = path}), HasSubstr("kind Config"));
}

TEST_F(KubeconfigTest, TokenFileIsReadWhenThereIsNoToken) {
  m_dir.write("token", "  file-token\n");
  const std::string path =
      m_dir.write("config", single("c", "https://c.example.com", "    tokenFile: token\n"));

  const ClusterConfig config = load_ok({.kubeconfig_path = path});

  EXPECT_EQ(config.token, "file-token");
  EXPECT_EQ(config.token_file, m_dir.file("token"));
}

TEST_F(KubeconfigTest, TokenWinsOverTokenFileWhichIsStillKeptForRereading) {
  const std::string path = m_dir.write(
      "config", single("c", "https://c.example.com", "    token: inline\n    tokenFile: /does/not/exist\n"));

  const ClusterConfig config = load_ok({.kubeconfig_path = path});

  EXPECT_EQ(config.token, "inline");
  EXPECT_EQ(config.token_file, "/does/not/exist");
}

TEST_F(KubeconfigTest, TokenAndBasicAuthTogetherAreRefused) {
  const std::string path = m_dir.write(
      "config", single("c", "https://c.example.com", "    token: t\n    username: u\n    password: p\n"));

  EXPECT_THAT(load_error({.kubeconfig_path = path}), HasSubstr("more than one authentication method"));
}

TEST_F(KubeconfigTest, ClientCertificateWithoutKeyIsRefused) {
  const std::string path =
      m_dir.write("config", single("c", "https://c.example.com",
                                   "    client-certificate-data: " + base64(k_client_pem) + "\n"));

  EXPECT_THAT(load_error({.kubeconfig_path = path}),
              HasSubstr("client-key-data or client-key must be specified"));
}

TEST_F(KubeconfigTest, ImpersonationIsRead) {
  const std::string path = m_dir.write("config", single("c", "https://c.example.com", R"(    token: t
    as: jane
    as-groups: [devs, ops]
    as-user-extra: {scopes: [view]}
)"));

  const ClusterConfig config = load_ok({.kubeconfig_path = path});

  EXPECT_EQ(config.impersonate_user, "jane");
  EXPECT_EQ(config.impersonate_groups, (std::vector<std::string>{"devs", "ops"}));
  EXPECT_EQ(config.impersonate_extra.at("scopes"), std::vector<std::string>{"view"});
}

TEST_F(KubeconfigTest, AuthProviderIsRefusedWithAdvice) {
  const std::string path =
      m_dir.write("config", single("gke", "https://gke.example.com", R"(    auth-provider:
      name: gcp
      config: {access-token: old}
)"));

  const std::string error = load_error({.kubeconfig_path = path});

  EXPECT_THAT(error, HasSubstr("auth-provider \"gcp\""));
  EXPECT_THAT(error, HasSubstr("removed from kubectl"));
  EXPECT_THAT(error, HasSubstr("gke-gcloud-auth-plugin"));
  EXPECT_THAT(error, HasSubstr("exec"));
}

// --- exec plugins
// ---------------------------------------------------------------------------------------------

TEST_F(KubeconfigTest, ExecPluginIsResolved) {
  const std::string path = m_dir.write("dir/config", R"(current-context: c
clusters:
- name: c
  cluster:
    server: https://c.example.com
    extensions:
    - name: client.authentication.k8s.io/exec
      extension: {audience: herd}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: ./bin/plugin
      args: [token, --cluster, c]
      env:
      - {name: AWS_PROFILE, value: prod}
      installHint: "install it\u001b[1m now"
      provideClusterInfo: true
contexts: [{name: c, context: {cluster: c, user: u}}]
)");

  const ClusterConfig config = load_ok({.kubeconfig_path = path});

  ASSERT_TRUE(config.exec);
  EXPECT_EQ(config.exec->command, m_dir.file("dir/bin/plugin"));
  EXPECT_EQ(config.exec->args, (std::vector<std::string>{"token", "--cluster", "c"}));
  ASSERT_EQ(config.exec->env.size(), 1U);
  EXPECT_EQ(config.exec->env[0].name, "AWS_PROFILE");
  EXPECT_EQ(config.exec->env[0].value, "prod");
  EXPECT_EQ(config.exec->interactive_mode, "IfAvailable"); // the v1beta1 default
  EXPECT_TRUE(config.exec->provide_cluster_info);
  EXPECT_EQ(config.exec->install_hint, "install itU+001B[1m now");
  EXPECT_EQ(config.exec->cluster_config, nlohmann::json({{"audience", "herd"}}));
  EXPECT_THAT(config.exec->origin, HasSubstr("user \"u\" in " + path));
}

TEST_F(KubeconfigTest, ExecCommandWithoutSlashIsLookedUpOnPath) {
  const std::string path = m_dir.write("config", single("c", "https://c.example.com", R"(    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: aws
      interactiveMode: Never
)"));

  const ClusterConfig config = load_ok({.kubeconfig_path = path});

  ASSERT_TRUE(config.exec);
  EXPECT_EQ(config.exec->command, "aws");
}

TEST_F(KubeconfigTest, ExecV1NeedsInteractiveMode) {
  const std::string path = m_dir.write("config", single("c", "https://c.example.com", R"(    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: aws
)"));

  EXPECT_THAT(load_error({.kubeconfig_path = path}), HasSubstr("interactiveMode must be specified"));
}

TEST_F(KubeconfigTest, ExecAlwaysInteractiveIsRefused) {
  const std::string path = m_dir.write("config", single("c", "https://c.example.com", R"(    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: aws
      interactiveMode: Always
)"));

  EXPECT_THAT(load_error({.kubeconfig_path = path}), HasSubstr("non-interactively"));
}

TEST_F(KubeconfigTest, ExecWithUnsupportedApiVersionIsRefused) {
  const std::string path = m_dir.write("config", single("c", "https://c.example.com", R"(    exec:
      apiVersion: client.authentication.k8s.io/v1alpha1
      command: aws
)"));

  EXPECT_THAT(load_error({.kubeconfig_path = path}), HasSubstr("v1alpha1 was removed"));
}

TEST_F(KubeconfigTest, TokenTakesPrecedenceOverExec) {
  const std::string path = m_dir.write("config", single("c", "https://c.example.com", R"(    token: t
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: aws
      interactiveMode: Never
)"));

  const ClusterConfig config = load_ok({.kubeconfig_path = path});

  EXPECT_EQ(config.token, "t");
  EXPECT_FALSE(config.exec);
}

// --- proxies
// --------------------------------------------------------------------------------------------------

TEST_F(KubeconfigTest, ProxyUrlOfTheClusterWinsOverTheEnvironment) {
  const std::string path = m_dir.write("config", R"(current-context: c
clusters:
- name: c
  cluster: {server: "https://c.example.com", proxy-url: "socks5://user:pw@bastion:1080"}
contexts: [{name: c, context: {cluster: c}}]
)");
  m_env.variables["HTTPS_PROXY"] = "http://corporate:3128";
  m_env.variables["NO_PROXY"] = "c.example.com";

  const ClusterConfig config = load_ok({.kubeconfig_path = path});

  ASSERT_TRUE(config.proxy);
  EXPECT_EQ(config.proxy->scheme, "socks5");
  EXPECT_EQ(config.proxy->host, "bastion");
  EXPECT_EQ(config.proxy->to_string(), "socks5://user:xxxxx@bastion:1080");
  EXPECT_TRUE(config.proxy_from_kubeconfig);
}

TEST_F(KubeconfigTest, ProxyUrlWithUnsupportedSchemeIsRefused) {
  const std::string path = m_dir.write("config", R"(current-context: c
clusters: [{name: c, cluster: {server: "https://c.example.com", proxy-url: "ftp://proxy"}}]
contexts: [{name: c, context: {cluster: c}}]
)");

  EXPECT_THAT(load_error({.kubeconfig_path = path}), HasSubstr("must be http, https, or socks5"));
}

TEST_F(KubeconfigTest, HttpsProxyFromTheEnvironmentUnlessNoProxyMatches) {
  const std::string path = m_dir.write("config", single("c", "https://api.corp.example.com:6443"));
  m_env.variables["https_proxy"] = "proxy.corp:3128";

  const ClusterConfig proxied = load_ok({.kubeconfig_path = path});
  ASSERT_TRUE(proxied.proxy);
  EXPECT_EQ(proxied.proxy->to_string(), "http://proxy.corp:3128");
  EXPECT_FALSE(proxied.proxy_from_kubeconfig);

  m_env.variables["no_proxy"] = "localhost,.corp.example.com";
  EXPECT_FALSE(load_ok({.kubeconfig_path = path}).proxy);
}

// --- in-cluster
// -----------------------------------------------------------------------------------------------

TEST_F(KubeconfigTest, InClusterWhenThereIsNoKubeconfig) {
  in_cluster();
  m_env.variables["HOME"] = m_dir.path().string();

  const ClusterConfig config = load_ok();

  EXPECT_TRUE(config.in_cluster);
  EXPECT_EQ(config.server, "https://10.43.0.1:443");
  EXPECT_EQ(config.token, "pod-token");
  EXPECT_EQ(config.token_file, m_dir.file("serviceaccount/token"));
  EXPECT_EQ(config.certificate_authority_pem, k_ca_pem);
  EXPECT_EQ(config.namespace_name, "herd-system");
}

TEST_F(KubeconfigTest, InClusterNamespaceFromPodNamespaceThenFlag) {
  in_cluster();
  m_env.variables["POD_NAMESPACE"] = "from-downward-api";

  EXPECT_EQ(load_ok().namespace_name, "from-downward-api");
  EXPECT_EQ(load_ok({.namespace_override = "flag"}).namespace_name, "flag");
}

TEST_F(KubeconfigTest, InClusterWhenTheKubeconfigSelectsNoContext) {
  in_cluster();
  std::string text(k_two_contexts);
  text.replace(text.find("current-context: staging\n"), 25, "");
  m_env.variables["KUBECONFIG"] = m_dir.write("config", text);

  EXPECT_TRUE(load_ok().in_cluster);
  EXPECT_FALSE(load_ok({.context = "staging"}).in_cluster); // --context never falls back
}

TEST_F(KubeconfigTest, KubeconfigWinsOverInClusterUnlessPreferred) {
  in_cluster();
  m_env.variables["KUBECONFIG"] = m_dir.write("config", k_two_contexts);

  EXPECT_FALSE(load_ok().in_cluster);
  EXPECT_TRUE(load_ok({.prefer_in_cluster = true}).in_cluster);
  EXPECT_FALSE(load_ok({.context = "production", .prefer_in_cluster = true}).in_cluster);
}

TEST_F(KubeconfigTest, PreferredInClusterFallsBackToTheKubeconfigWhenItFails) {
  in_cluster("\n"); // an empty token: in-cluster config fails
  m_env.variables["KUBECONFIG"] = m_dir.write("config", k_two_contexts);

  const ClusterConfig config = load_ok({.prefer_in_cluster = true});

  EXPECT_FALSE(config.in_cluster);
  EXPECT_EQ(config.context, "staging");
}

TEST_F(KubeconfigTest, KubeconfigContextWithoutNamespaceTakesThePodNamespaceInACluster) {
  // DeferredLoadingClientConfig.Namespace: an implicit "default" gives way to the in-cluster namespace.
  in_cluster();
  m_env.variables["KUBECONFIG"] = m_dir.write("config", k_two_contexts);

  EXPECT_EQ(load_ok({.context = "production"}).namespace_name, "herd-system");
  EXPECT_EQ(load_ok({.context = "staging"}).namespace_name, "team-a");
}

TEST_F(KubeconfigTest, InClusterIpv6ServiceHost) {
  in_cluster();
  m_env.variables["KUBERNETES_SERVICE_HOST"] = "fd00:10:43::1";

  const ClusterConfig config = load_ok();

  EXPECT_EQ(config.server, "https://[fd00:10:43::1]:443");
  EXPECT_EQ(config.server_url.host, "fd00:10:43::1");
}

TEST_F(KubeconfigTest, InClusterWithEmptyTokenIsAnError) {
  in_cluster("\n");

  EXPECT_THAT(load_error(), HasSubstr("is empty"));
}

TEST_F(KubeconfigTest, InClusterWithoutTokenFileIsNotPossible) {
  in_cluster();
  std::filesystem::remove(m_dir.file("serviceaccount/token"));

  EXPECT_THAT(load_error(), HasSubstr("no kubeconfig"));
}

TEST_F(KubeconfigTest, InClusterHonoursTheProxyEnvironment) {
  in_cluster();
  m_env.variables["HTTPS_PROXY"] = "http://egress:3128";

  ASSERT_TRUE(load_ok().proxy);

  m_env.variables["NO_PROXY"] = "10.43.0.0/16";
  EXPECT_FALSE(load_ok().proxy);
}

// --- secrets stay out of messages
// -----------------------------------------------------------------------------

TEST_F(KubeconfigTest, ErrorsNeverContainTheToken) {
  const std::string token(k_token);
  const std::vector<std::string> broken = {
      // a user with a token and a problem elsewhere
      single("c", "https://c.example.com", "    token: " + token + "\n    username: u\n"),
      single("c", "\"https://exa mple.com\"", "    token: " + token + "\n"),
      single("c", "https://c.example.com",
             "    token: " + token + "\n    client-certificate-data: " + token + "\n"),
      single("c", "https://c.example.com", "    password: " + token + "\n    as-uid: x\n"),
      single("c", "https://c.example.com", "    token: [" + token + "]\n"),
      "current-context: c\nusers:\n- name: u\n  user: {token: " + token + "}\n  user: {token: " + token +
          "\n",
      "current-context: c\nusers:\n- name: u\n  user: {token: " + token +
          "}\ncontexts: [{name: c, context: {user: u}}]\n",
  };
  for (const std::string& text : broken) {
    const std::string path = m_dir.write("config", text);
    const std::string error = load_error({.kubeconfig_path = path});
    EXPECT_THAT(error, Not(HasSubstr(token))) << text;
    EXPECT_FALSE(error.empty()) << text;
  }
}

TEST(MemoryEnvironmentTest, ServesVariablesAndFiles) {
  MemoryEnvironment env;
  env.set_variable("KUBECONFIG", "/k");
  env.set_file("/k", single("m", "https://m.example.com"));
  env.set_unreadable_file("/locked");

  const auto config = load_client_config({}, env);

  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server, "https://m.example.com");
  EXPECT_EQ(env.read_file("/locked", 10).status, FileRead::Status::failed);
  EXPECT_EQ(env.read_file("/nothing", 10).status, FileRead::Status::missing);
  EXPECT_EQ(env.read_file("/k", 10).status, FileRead::Status::too_large);
}

TEST(KubeconfigLimitsTest, DeepNestingIsAnErrorNotACrash) {
  MemoryEnvironment env;
  env.set_file("/k", "clusters: " + std::string(100000, '[') + "\n");

  const auto config = load_client_config({.kubeconfig_path = "/k"}, env);

  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message, HasSubstr("/k:"));
}

} // namespace
} // namespace herd::kube
