// End-to-end tests of the real herd-controller process over real TLS: the binary is started with a test CA's
// serving certificate on 127.0.0.1 (ports picked by the kernel), and driven by HTTPS clients the way the
// kube-apiserver drives it. Each test starts its own process; the fixture kills it whatever happens.

#include "controller_process.hpp"

#include <herd/core/diagnostic.hpp>
#include <herd/core/linter.hpp>
#include <herd/core/policy.hpp>
#include <herd/core/yaml_loader.hpp>
#include <herd/test_apiserver/api_server.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

namespace herd::webhook::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr std::size_t k_mebibyte = 1U << 20U;

// ---------------------------------------------------------------------------------------------------------
// Helpers

json sample(std::string_view name) {
  return json::parse(read_text(source_path("tests/fixtures/admission/" + std::string(name))));
}

std::vector<fs::path> sample_files() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(source_path("tests/fixtures/admission"))) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("request-") && name.ends_with(".json")) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string describe(const httplib::Result& result) {
  if (!result) {
    return "no reply: " + httplib::to_string(result.error());
  }
  return "HTTP " + std::to_string(result->status) + ": " + result->body.substr(0, 2000);
}

// The AdmissionReview of a reply, or null (and a test failure) if the reply is not one.
json review_of(const httplib::Result& result) {
  if (!result || result->status != 200) {
    ADD_FAILURE() << "expected HTTP 200, got " << describe(result);
    return nullptr;
  }
  json review = json::parse(result->body, nullptr, false);
  if (!review.is_object() || !review.contains("response")) {
    ADD_FAILURE() << "not an AdmissionReview: " << result->body.substr(0, 2000);
    return nullptr;
  }
  return review;
}

std::string base64_decode(const std::string& text) {
  std::string out(3 * (text.size() / 4), '\0');
  const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),        // NOLINT
                                      reinterpret_cast<const unsigned char*>(text.data()), // NOLINT
                                      static_cast<int>(text.size()));
  if (written < 0) {
    return {};
  }
  out.resize(static_cast<std::size_t>(written));
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) {
    out.pop_back();
  }
  return out;
}

// An AdmissionReview for CREATE of `stack`, as the apiserver sends it to the validating webhook.
json create_review(const json& stack, const std::string& uid) {
  const json metadata = stack.value("metadata", json::object());
  const json group_version_kind = {{"group", "herd.suse.com"}, {"version", "v1"}, {"kind", "Stack"}};
  const json resource = {{"group", "herd.suse.com"}, {"version", "v1"}, {"resource", "stacks"}};
  return {{"apiVersion", "admission.k8s.io/v1"},
          {"kind", "AdmissionReview"},
          {"request",
           {{"uid", uid},
            {"kind", group_version_kind},
            {"resource", resource},
            {"requestKind", group_version_kind},
            {"requestResource", resource},
            {"name", metadata.value("name", "")},
            {"namespace", metadata.value("namespace", "default")},
            {"operation", "CREATE"},
            {"userInfo", {{"username", "e2e-test"}}},
            {"object", stack},
            {"oldObject", nullptr},
            {"dryRun", false},
            {"options", {{"apiVersion", "meta.k8s.io/v1"}, {"kind", "CreateOptions"}}}}}};
}

// request-create.json (the RAG Stack) with `uid` and about `bytes` of padding in userInfo.extra, which the
// webhook does not read.
std::string padded_review(const std::string& uid, std::size_t bytes) {
  json review = sample("request-create.json");
  review["request"]["uid"] = uid;
  review["request"]["userInfo"]["extra"]["e2e.herd.suse.com/padding"] =
      json::array({std::string(bytes, 'x')});
  return review.dump();
}

std::string raw_post_head(const std::string& path, const std::string& extra_headers) {
  return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
         extra_headers + "\r\n";
}

// A policy file: schema/default-policy.yaml with prod limited to OCI repositories.
std::string policy_prod_oci_only() {
  std::string policy = read_text(source_path("schema/default-policy.yaml"));
  const std::string from = "  prod:\n    allowedRepoSchemes: [https, oci]";
  const std::size_t at = policy.find(from);
  if (at == std::string::npos) {
    throw std::runtime_error("schema/default-policy.yaml changed: update policy_prod_oci_only()");
  }
  policy.replace(at, from.size(), "  prod:\n    allowedRepoSchemes: [oci]");
  return policy;
}

bool has_cause_with_rule(const json& review, std::string_view rule) {
  const std::string tag = "[" + std::string(rule) + "]";
  return std::ranges::any_of(review["response"]["status"]["details"]["causes"], [&](const json& cause) {
    return cause.value("message", "").find(tag) != std::string::npos;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Fixture

class WebhookServerTest : public ::testing::Test {
protected:
  // A client writing a body the server has already refused gets EPIPE, not a signal that ends the test.
  static void SetUpTestSuite() { (void)std::signal(SIGPIPE, SIG_IGN); }

  void SetUp() override {
    pki = TestPki::create(dir.path());
    fs::create_directories(dir.path() / "tls");
    certificate_file = dir.path() / "tls" / "tls.crt";
    key_file = dir.path() / "tls" / "tls.key";
    fs::copy_file(pki.serving_a.certificate, certificate_file);
    fs::copy_file(pki.serving_a.key, key_file);
  }

  void TearDown() override {
    if (controller && HasFailure()) {
      std::cerr << "herd-controller log:\n" << controller->log() << "\n";
    }
    controller.reset(); // SIGTERM, SIGKILL after 10 s
  }

  // The flags every test gives, then `extra`.
  [[nodiscard]] std::vector<std::string> flags(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> all{"--reconcile=false",
                                 "--bind-address",
                                 "127.0.0.1",
                                 "--webhook-port",
                                 "0",
                                 "--health-port",
                                 "0",
                                 "--tls-cert-file",
                                 certificate_file.string(),
                                 "--tls-key-file",
                                 key_file.string(),
                                 "--log-level",
                                 "debug",
                                 "--log-format",
                                 "json"};
    all.insert(all.end(), extra.begin(), extra.end());
    return all;
  }

  ::testing::AssertionResult start(const std::vector<std::string>& extra = {}) {
    controller = std::make_unique<ControllerProcess>(flags(extra), dir.path() / "controller.log");
    std::string error;
    if (!controller->wait_listening(20s * k_slowdown, error)) {
      return ::testing::AssertionFailure() << error;
    }
    return ::testing::AssertionSuccess();
  }

  [[nodiscard]] std::unique_ptr<httplib::SSLClient> client() const {
    auto https = std::make_unique<httplib::SSLClient>("127.0.0.1", controller->webhook_port());
    https->set_ca_cert_path(pki.ca_certificate.string());
    https->enable_server_certificate_verification(true);
    https->set_connection_timeout(5, 0);
    https->set_read_timeout(time_t{10} * k_slowdown, 0);
    https->set_write_timeout(10, 0);
    https->set_tcp_nodelay(true); // as the kube-apiserver's Go client does
    return https;
  }

  [[nodiscard]] std::unique_ptr<httplib::Client> health_client() const {
    auto http = std::make_unique<httplib::Client>("127.0.0.1", controller->health_port());
    http->set_connection_timeout(5, 0);
    http->set_read_timeout(10, 0);
    return http;
  }

  httplib::Result post(const std::string& path, const std::string& body) const {
    return client()->Post(path, body, "application/json");
  }

  httplib::Result post(const std::string& path, const json& review) const {
    return post(path, review.dump());
  }

  [[nodiscard]] std::string metrics() const {
    const auto result = health_client()->Get("/metrics");
    EXPECT_TRUE(result && result->status == 200) << describe(result);
    return result ? result->body : std::string();
  }

  // Polls /metrics until `name{labels}` reaches `at_least`.
  bool wait_for_metric(std::string_view name,
                       const std::vector<std::pair<std::string, std::string>>& labels,
                       double at_least,
                       std::chrono::milliseconds deadline) const {
    const auto until = Clock::now() + deadline;
    do {
      if (metric_value(metrics(), name, labels) >= at_least) {
        return true;
      }
      std::this_thread::sleep_for(20ms);
    } while (Clock::now() < until);
    return false;
  }

  [[nodiscard]] TlsClientOptions verifying() const {
    TlsClientOptions options;
    options.ca_certificate = pki.ca_certificate;
    return options;
  }

  // NOLINTBEGIN(cppcoreguidelines-non-private-member-variables-in-classes): what TEST_F bodies use
  TempDir dir;
  TestPki pki;
  fs::path certificate_file;
  fs::path key_file;
  std::unique_ptr<ControllerProcess> controller;
  // NOLINTEND(cppcoreguidelines-non-private-member-variables-in-classes)
};

// ---------------------------------------------------------------------------------------------------------
// AdmissionReview samples (tests/fixtures/admission)

TEST_F(WebhookServerTest, EverySampleOnBothEndpointsGetsAnAdmissionReviewWithItsUid) {
  ASSERT_TRUE(start());
  const auto files = sample_files();
  ASSERT_GE(files.size(), 5U);
  for (const auto& file : files) {
    const json request = json::parse(read_text(file));
    for (const std::string path : {"/validate-stack?timeout=10s", "/mutate-stack?timeout=10s"}) {
      SCOPED_TRACE(file.filename().string() + " on " + path);
      const json review = review_of(post(path, request));
      ASSERT_FALSE(review.is_null());
      EXPECT_EQ(review["apiVersion"], "admission.k8s.io/v1");
      EXPECT_EQ(review["kind"], "AdmissionReview");
      EXPECT_EQ(review["response"]["uid"], request["request"]["uid"]);
      EXPECT_TRUE(review["response"]["allowed"].is_boolean());
      if (path.starts_with("/validate")) {
        EXPECT_FALSE(review["response"].contains("patch")) << "a validating webhook must not patch";
      } else {
        EXPECT_EQ(review["response"].contains("patch"), review["response"].contains("patchType"))
            << "a mutating webhook returns both or neither";
      }
    }
  }
}

TEST_F(WebhookServerTest, UpdateMovingAChartToAnotherNamespaceIsDenied422InvalidWithTheFieldAsCause) {
  ASSERT_TRUE(start());
  const json review = review_of(post("/validate-stack?timeout=10s", sample("request-update.json")));
  ASSERT_FALSE(review.is_null());
  const json& response = review["response"];
  EXPECT_EQ(response["allowed"], false);
  EXPECT_EQ(response["status"]["code"], 422);
  EXPECT_EQ(response["status"]["reason"], "Invalid");
  EXPECT_THAT(response["status"]["message"].get<std::string>(), HasSubstr("spec.charts[0].namespace"));
  std::vector<std::string> fields;
  for (const auto& cause : response["status"]["details"]["causes"]) {
    fields.push_back(cause.value("field", ""));
  }
  EXPECT_THAT(fields, Contains("spec.charts[0].namespace"));
}

TEST_F(WebhookServerTest, CreateAndDryRunCreateOfTheRagStackAreAllowed) {
  ASSERT_TRUE(start());
  for (const char* name : {"request-create.json", "request-create-dryrun.json"}) {
    SCOPED_TRACE(name);
    const json review = review_of(post("/validate-stack?timeout=10s", sample(name)));
    ASSERT_FALSE(review.is_null());
    EXPECT_EQ(review["response"]["allowed"], true) << review.dump(2);
  }
}

TEST_F(WebhookServerTest, DeleteIsAllowedUntouchedOnBothEndpoints) {
  ASSERT_TRUE(start());
  for (const char* path : {"/validate-stack", "/mutate-stack"}) {
    SCOPED_TRACE(path);
    const json review = review_of(post(path, sample("request-delete.json")));
    ASSERT_FALSE(review.is_null());
    EXPECT_EQ(review["response"]["allowed"], true);
    EXPECT_FALSE(review["response"].contains("patch"));
    EXPECT_FALSE(review["response"].contains("patchType"));
  }
}

TEST_F(WebhookServerTest, MutationAddsTheEnvLabelAsABase64JsonPatchThatIsIdempotent) {
  ASSERT_TRUE(start());
  const json request = sample("request-create-mutating-phase.json");
  const json review = review_of(post("/mutate-stack?timeout=10s", request));
  ASSERT_FALSE(review.is_null());
  const json& response = review["response"];
  EXPECT_EQ(response["allowed"], true);
  ASSERT_EQ(response.value("patchType", ""), "JSONPatch") << response.dump(2);
  const json patch = json::parse(base64_decode(response.value("patch", "")), nullptr, false);
  ASSERT_TRUE(patch.is_array()) << response.dump(2);
  bool labels_env_prod = false;
  for (const auto& operation : patch) {
    EXPECT_THAT(operation.value("op", ""), ::testing::AnyOf("add", "replace")) << operation.dump();
    if (operation.value("path", "") == "/metadata/labels") {
      labels_env_prod = operation["value"].value("herd.suse.com/env", "") == "prod";
    } else if (operation.value("path", "") == "/metadata/labels/herd.suse.com~1env") {
      labels_env_prod = operation["value"] == "prod";
    }
  }
  EXPECT_TRUE(labels_env_prod) << patch.dump(2);

  // The apiserver applies the patch and may call again (reinvocation): nothing more to change.
  json again = request;
  again["request"]["object"] = request["request"]["object"].patch(patch);
  again["request"]["uid"] = "5f0c3b9e-0000-4000-8000-000000000001";
  const json second = review_of(post("/mutate-stack", again));
  ASSERT_FALSE(second.is_null());
  EXPECT_EQ(second["response"]["allowed"], true);
  EXPECT_FALSE(second["response"].contains("patch")) << base64_decode(second["response"].value("patch", ""));
}

TEST_F(WebhookServerTest, TimeoutQueryDoesNotChangeRouting) {
  ASSERT_TRUE(start());
  for (const char* name : {"request-update.json", "request-create-mutating-phase.json"}) {
    for (const std::string endpoint : {"/validate-stack", "/mutate-stack"}) {
      SCOPED_TRACE(std::string(name) + " on " + endpoint);
      const auto plain = post(endpoint, sample(name));
      const auto with_query = post(endpoint + "?timeout=10s", sample(name));
      ASSERT_TRUE(plain && with_query);
      EXPECT_EQ(plain->status, 200);
      EXPECT_EQ(with_query->status, plain->status);
      EXPECT_EQ(with_query->body, plain->body);
    }
  }
}

// Go's transport (the kube-apiserver's) always sends Accept-Encoding: gzip; deflating a 200-byte answer
// costs more CPU than it saves, so answers go uncompressed.
TEST_F(WebhookServerTest, AnswersAreNotCompressedEvenWhenTheClientAcceptsGzip) {
  ASSERT_TRUE(start());
  const httplib::Headers headers = {{"Accept-Encoding", "gzip"}};

  const auto result =
      client()->Post("/validate-stack", headers, sample("request-create.json").dump(), "application/json");

  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_FALSE(result->has_header("Content-Encoding")) << result->get_header_value("Content-Encoding");
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/json; charset=utf-8");
}

TEST_F(WebhookServerTest, OtherResourcesAreAllowedWithAWarning) {
  ASSERT_TRUE(start());
  json request = sample("request-create.json");
  request["request"]["resource"] = {{"group", "apps"}, {"version", "v1"}, {"resource", "deployments"}};
  const json review = review_of(post("/validate-stack", request));
  ASSERT_FALSE(review.is_null());
  EXPECT_EQ(review["response"]["allowed"], true);
  ASSERT_TRUE(review["response"].contains("warnings"));
  EXPECT_THAT(review["response"]["warnings"].dump(), HasSubstr("deployments"));
}

// ---------------------------------------------------------------------------------------------------------
// Same verdict as `kubectl herd lint`

TEST_F(WebhookServerTest, EveryExampleStackGetsTheVerdictAndWarningsOfLint) {
  ASSERT_TRUE(start());
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(source_path("examples"))) {
    if (entry.path().extension() == ".yaml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 5U);
  // Stacks lint rejects, so that both verdicts are compared.
  const std::string head = "apiVersion: herd.suse.com/v1\nkind: Stack\nmetadata:\n  name: broken\n"
                           "  namespace: default\nspec:\n  targets:\n    clusterIds: [local]\n";
  const std::vector<std::pair<std::string, std::string>> broken = {
      {"unknown-dependency.yaml", head + "  charts:\n    - {name: a, repo: 'https://charts.example.com', "
                                         "version: '1.0.0', dependsOn: [nope]}\n"},
      {"cycle.yaml",
       head + "  charts:\n"
              "    - {name: a, repo: 'https://charts.example.com', version: '1.0.0', dependsOn: [b]}\n"
              "    - {name: b, repo: 'https://charts.example.com', version: '1.0.0', dependsOn: [a]}\n"},
      {"http-in-prod.yaml",
       head +
           "  env: prod\n  charts:\n    - {name: a, repo: 'http://charts.example.com', version: '1.0.0'}\n"},
      {"unknown-field.yaml",
       head +
           "  charts:\n    - {name: a, repo: 'https://charts.example.com', version: '1.0.0', valuez: {}}\n"},
  };
  for (const auto& [name, text] : broken) {
    write_text(dir.path() / name, text);
    files.push_back(dir.path() / name);
  }

  auto linter = core::Linter::create(core::default_policy());
  ASSERT_TRUE(linter);
  int denied = 0;
  int warned = 0;
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    core::Diagnostics lint;
    std::ifstream in(file);
    (*linter)->lint_stream(in, file.string(), lint);
    const bool lint_passes = !core::has_errors(lint);

    std::vector<json> stacks;
    std::ifstream again(file);
    core::read_yaml_stream(again, file.string(), [&](core::YamlDocument& document) {
      if (document.parsed) {
        stacks.push_back(document.value);
      }
    });
    ASSERT_EQ(stacks.size(), 1U);
    const json review = review_of(
        post("/validate-stack?timeout=10s", create_review(stacks[0], "uid-" + file.stem().string())));
    ASSERT_FALSE(review.is_null());
    const json& response = review["response"];
    EXPECT_EQ(response["allowed"], lint_passes) << response.dump(2);
    const std::string warnings = response.value("warnings", json::array()).dump();
    for (const auto& finding : lint) {
      const std::string rule = "[" + finding.rule + "]";
      if (finding.severity == core::Severity::warning) {
        EXPECT_THAT(warnings, AllOf(HasSubstr(finding.message), HasSubstr(rule))) << finding.message;
      } else {
        EXPECT_THAT(response["status"].value("message", ""), HasSubstr(rule)) << finding.message;
      }
    }
    denied += lint_passes ? 0 : 1;
    warned += response.contains("warnings") ? 1 : 0;
  }
  EXPECT_EQ(denied, static_cast<int>(broken.size()));
  EXPECT_GE(warned, 1) << "some examples have warnings (env prod turns security on)";
}

// ---------------------------------------------------------------------------------------------------------
// TLS

TEST_F(WebhookServerTest, ClientsLimitedToTls11CannotConnect) {
  ASSERT_TRUE(start());
  TlsClientOptions old = verifying();
  old.max_version = TLS1_1_VERSION;
  old.security_level = 0; // let the client offer TLS 1.1 at all
  const TlsConnection connection(controller->webhook_port(), old);
  EXPECT_FALSE(connection.ok()) << "negotiated " << connection.protocol();
}

TEST_F(WebhookServerTest, Tls12AndTls13ClientsConnectAndVerifyTheServingCertificate) {
  ASSERT_TRUE(start());
  for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    TlsClientOptions options = verifying();
    options.min_version = version;
    options.max_version = version;
    TlsConnection connection(controller->webhook_port(), options);
    ASSERT_TRUE(connection.ok()) << connection.error();
    EXPECT_EQ(connection.protocol(), version == TLS1_2_VERSION ? "TLSv1.2" : "TLSv1.3");
    EXPECT_EQ(connection.peer_common_name(), pki.serving_a.common_name);
    const std::string body = sample("request-create.json").dump();
    ASSERT_TRUE(connection.send(
        raw_post_head("/validate-stack", "Content-Length: " + std::to_string(body.size()) + "\r\n") + body));
    const auto reply = connection.read_reply(10s * k_slowdown);
    ASSERT_TRUE(reply) << connection.error();
    EXPECT_EQ(reply->status, 200);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Bodies the webhook refuses

TEST_F(WebhookServerTest, DeclaredBodyOverEightMiBIsRefused413BeforeItArrives) {
  ASSERT_TRUE(start());
  TlsConnection connection(controller->webhook_port(), verifying());
  ASSERT_TRUE(connection.ok()) << connection.error();
  const auto sent = Clock::now();
  ASSERT_TRUE(connection.send(raw_post_head("/validate-stack", "Content-Length: 1000000000\r\n")));
  const auto reply = connection.read_reply(2s);
  ASSERT_TRUE(reply) << "no 413 within 2 s: " << connection.error();
  EXPECT_EQ(reply->status, 413) << reply->head << reply->body;
  EXPECT_LT(Clock::now() - sent, 2s);

  const json review = review_of(post("/validate-stack", sample("request-create.json")));
  EXPECT_FALSE(review.is_null()) << "the server still answers other clients";
}

TEST_F(WebhookServerTest, ChunkedBodyOverEightMiBIsRefused413) {
  ASSERT_TRUE(start());
  TlsConnection connection(controller->webhook_port(), verifying());
  ASSERT_TRUE(connection.ok()) << connection.error();
  ASSERT_TRUE(connection.send(raw_post_head("/validate-stack", "Transfer-Encoding: chunked\r\n")));
  const std::size_t chunk_size = std::size_t{64} * 1024U;
  const std::string chunk =
      (std::stringstream() << std::hex << chunk_size).str() + "\r\n" + std::string(chunk_size, ' ') + "\r\n";
  std::size_t sent = 0;
  // Like a real client, stop sending once the server has answered.
  while (sent < 9 * k_mebibyte && !connection.readable() && connection.send(chunk)) {
    sent += chunk_size;
  }
  if (sent >= 9 * k_mebibyte) {
    connection.send("0\r\n\r\n");
  }
  const auto reply = connection.read_reply(10s * k_slowdown);
  ASSERT_TRUE(reply) << "after " << sent << " bytes: " << connection.error();
  EXPECT_EQ(reply->status, 413) << reply->head << reply->body;
  EXPECT_GT(sent, 8 * k_mebibyte - chunk_size) << "refused before 8 MiB had arrived";

  EXPECT_FALSE(review_of(post("/validate-stack", sample("request-create.json"))).is_null());
}

TEST_F(WebhookServerTest, BodiesUpToEightMiBAreAnswered) {
  ASSERT_TRUE(start());
  const std::string body = padded_review("uid-seven-mebibytes", 7 * k_mebibyte + k_mebibyte / 2);
  ASSERT_LT(body.size(), 8 * k_mebibyte);
  const json review = review_of(post("/validate-stack", body));
  ASSERT_FALSE(review.is_null());
  EXPECT_EQ(review["response"]["uid"], "uid-seven-mebibytes");
  EXPECT_EQ(review["response"]["allowed"], true);
}

TEST_F(WebhookServerTest, CompressedBodyIsRefused415) {
  ASSERT_TRUE(start());
  const httplib::Headers headers = {{"Content-Encoding", "gzip"}};
  const auto result =
      client()->Post("/validate-stack", headers, std::string("\x1f\x8b\x08\x00", 4), "application/json");
  ASSERT_TRUE(result) << describe(result);
  EXPECT_EQ(result->status, 415);
  EXPECT_THAT(result->body, HasSubstr("Content-Encoding"));
}

TEST_F(WebhookServerTest, MalformedJsonIsRefused400WithAMessage) {
  ASSERT_TRUE(start());
  const auto result =
      post("/validate-stack", std::string(R"({"apiVersion": "admission.k8s.io/v1", "kind": )"));
  ASSERT_TRUE(result) << describe(result);
  EXPECT_EQ(result->status, 400);
  const json status = json::parse(result->body, nullptr, false);
  ASSERT_TRUE(status.is_object()) << result->body;
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_THAT(status.value("message", ""), HasSubstr("not valid JSON"));
}

TEST_F(WebhookServerTest, WrongKindOrApiVersionIsRefused400) {
  ASSERT_TRUE(start());
  json wrong_kind = sample("request-create.json");
  wrong_kind["kind"] = "ConversionReview";
  const auto kind = post("/validate-stack", wrong_kind);
  ASSERT_TRUE(kind) << describe(kind);
  EXPECT_EQ(kind->status, 400);
  EXPECT_THAT(kind->body, HasSubstr("ConversionReview"));

  json v1beta1 = sample("request-create.json");
  v1beta1["apiVersion"] = "admission.k8s.io/v1beta1";
  const auto version = post("/validate-stack", v1beta1);
  ASSERT_TRUE(version) << describe(version);
  EXPECT_EQ(version->status, 400);
  EXPECT_THAT(version->body, HasSubstr("v1beta1"));
}

TEST_F(WebhookServerTest, MissingUidIsRefused400) {
  ASSERT_TRUE(start());
  json request = sample("request-create.json");
  request["request"].erase("uid");
  const auto result = post("/mutate-stack", request);
  ASSERT_TRUE(result) << describe(result);
  EXPECT_EQ(result->status, 400);
  EXPECT_THAT(result->body, HasSubstr("uid"));
}

TEST_F(WebhookServerTest, MillionLevelsOfNestingAreRefused400Quickly) {
  ASSERT_TRUE(start());
  const auto sent = Clock::now();
  const auto result = post("/validate-stack", std::string(1'000'000, '['));
  ASSERT_TRUE(result) << describe(result);
  EXPECT_EQ(result->status, 400);
  EXPECT_THAT(result->body, HasSubstr("deeper"));
  EXPECT_LT(Clock::now() - sent, 2s * k_slowdown);
}

TEST_F(WebhookServerTest, GetOnAnAdmissionPathIs405AndUnknownPathsAre404) {
  ASSERT_TRUE(start());
  const auto get = client()->Get("/validate-stack");
  ASSERT_TRUE(get) << describe(get);
  EXPECT_EQ(get->status, 405);
  const auto unknown = post("/validate-deployment", sample("request-create.json"));
  ASSERT_TRUE(unknown) << describe(unknown);
  EXPECT_EQ(unknown->status, 404);
}

TEST_F(WebhookServerTest, PlainHttpOnTheTlsPortIsRefusedAndTheServerKeepsServing) {
  ASSERT_TRUE(start());
  httplib::Client plain("127.0.0.1", controller->webhook_port());
  plain.set_connection_timeout(5, 0);
  plain.set_read_timeout(5, 0);
  const auto result = plain.Post("/validate-stack", sample("request-create.json").dump(), "application/json");
  EXPECT_FALSE(result && result->status == 200) << describe(result);
  EXPECT_FALSE(review_of(post("/validate-stack", sample("request-create.json"))).is_null());
}

// ---------------------------------------------------------------------------------------------------------
// Connections and load

TEST_F(WebhookServerTest, IdleConnectionsDoNotBlockOtherClients) {
  ASSERT_TRUE(start());
  // More idle connections than cpp-httplib's default pool of 8 threads: TLS connections that never send a
  // request, then plain TCP connections that never even start the handshake.
  std::vector<std::unique_ptr<TlsConnection>> silent_tls;
  for (int i = 0; i < 6; ++i) {
    silent_tls.push_back(std::make_unique<TlsConnection>(controller->webhook_port(), verifying()));
    ASSERT_TRUE(silent_tls.back()->ok()) << silent_tls.back()->error();
  }
  std::vector<std::unique_ptr<TcpSocket>> silent_tcp;
  for (int i = 0; i < 6; ++i) {
    silent_tcp.push_back(std::make_unique<TcpSocket>(controller->webhook_port()));
    ASSERT_GE(silent_tcp.back()->fd(), 0);
  }
  const json request = sample("request-create.json");
  const auto started = Clock::now();
  for (int i = 0; i < 20; ++i) {
    const auto result = post("/validate-stack", request); // a new connection each time
    ASSERT_TRUE(result && result->status == 200) << "request " << i << ": " << describe(result);
  }
  // Stalled behind the idle connections, they would wait for the 5 s keep-alive or 10 s read timeout.
  EXPECT_LT(Clock::now() - started, 3s * k_slowdown);
}

TEST_F(WebhookServerTest, ConcurrentClientsAllGetTheirOwnAnswers) {
  ASSERT_TRUE(start());
  constexpr int k_threads = 8;
  constexpr int k_requests = k_sanitized ? 15 : 50;
  const json rag = sample("request-create.json");
  std::mutex mutex;
  std::vector<std::string> failures;
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  threads.reserve(k_threads);
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      auto https = client();
      https->set_keep_alive(true);
      for (int i = 0; i < k_requests; ++i) {
        json request = rag;
        const std::string uid = "uid-" + std::to_string(t) + "-" + std::to_string(i);
        request["request"]["uid"] = uid;
        const char* path = (i + t) % 2 == 0 ? "/validate-stack" : "/mutate-stack";
        const auto result = https->Post(path, request.dump(), "application/json");
        const json review =
            result && result->status == 200 ? json::parse(result->body, nullptr, false) : json();
        if (!review.is_object() || review["response"].value("uid", "") != uid ||
            !review["response"].value("allowed", false)) {
          const std::lock_guard lock(mutex);
          failures.push_back(std::string(path) + " " + uid + ": " + describe(result));
        } else {
          ++answered;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_THAT(failures, ::testing::IsEmpty());
  EXPECT_EQ(answered, k_threads * k_requests);
}

// Posts the RAG AdmissionReview in a loop until stopped, counting what fails.
class LoadThread {
public:
  LoadThread(std::function<std::unique_ptr<httplib::SSLClient>()> make_client, bool keep_alive, int id)
      : m_thread([this, make_client = std::move(make_client), keep_alive, id] {
          const json rag = sample("request-create.json");
          std::unique_ptr<httplib::SSLClient> kept;
          for (int i = 0; !m_stop; ++i) {
            if (!kept || !keep_alive) {
              kept = make_client();
              kept->set_keep_alive(keep_alive);
            }
            json request = rag;
            const std::string uid = "load-" + std::to_string(id) + "-" + std::to_string(i);
            request["request"]["uid"] = uid;
            const auto result = kept->Post("/validate-stack", request.dump(), "application/json");
            const json review =
                result && result->status == 200 ? json::parse(result->body, nullptr, false) : json();
            if (review.is_object() && review["response"].value("uid", "") == uid) {
              ++m_succeeded;
            } else {
              const std::lock_guard lock(m_mutex);
              m_failures.push_back(uid + (keep_alive ? " (keep-alive): " : ": ") + describe(result));
            }
          }
        }) {}
  ~LoadThread() { stop(); }
  LoadThread(const LoadThread&) = delete;
  LoadThread& operator=(const LoadThread&) = delete;

  void stop() {
    m_stop = true;
    if (m_thread.joinable()) {
      m_thread.join();
    }
  }
  [[nodiscard]] int succeeded() const { return m_succeeded; }
  [[nodiscard]] std::vector<std::string> failures() {
    const std::lock_guard lock(m_mutex);
    return m_failures;
  }

private:
  std::atomic<bool> m_stop{false};
  std::atomic<int> m_succeeded{0};
  std::mutex m_mutex;
  std::vector<std::string> m_failures;
  std::thread m_thread; // last: starts once the members above exist
};

TEST_F(WebhookServerTest, CertificateRotationUnderLoadFailsNoRequest) {
  ASSERT_TRUE(start({"--reload-interval", "100ms"}));
  {
    const TlsConnection before(controller->webhook_port(), verifying());
    ASSERT_TRUE(before.ok()) << before.error();
    ASSERT_EQ(before.peer_serial(), pki.serving_a.serial);
  }
  std::vector<std::unique_ptr<LoadThread>> load;
  load.reserve(4);
  for (int i = 0; i < 4; ++i) {
    load.push_back(std::make_unique<LoadThread>([this] { return client(); }, /*keep_alive=*/i % 2 == 1, i));
  }
  std::this_thread::sleep_for(300ms);

  // As a careless rotation does: the new key first, the certificate a moment later (several reload
  // intervals, so the server does see a key that does not match its certificate).
  replace_file(key_file, read_text(pki.serving_b.key));
  std::this_thread::sleep_for(400ms);
  replace_file(certificate_file, read_text(pki.serving_b.certificate));

  std::string serial;
  const auto until = Clock::now() + 5s * k_slowdown;
  while (Clock::now() < until) {
    const TlsConnection probe(controller->webhook_port(), verifying());
    ASSERT_TRUE(probe.ok()) << probe.error();
    serial = probe.peer_serial();
    if (serial == pki.serving_b.serial) {
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(serial, pki.serving_b.serial) << "new connections still get the old certificate";
  std::this_thread::sleep_for(300ms);

  int succeeded = 0;
  std::vector<std::string> failures;
  for (auto& thread : load) {
    thread->stop();
    succeeded += thread->succeeded();
    for (auto& failure : thread->failures()) {
      failures.push_back(std::move(failure));
    }
  }
  EXPECT_THAT(failures, ::testing::IsEmpty());
  EXPECT_GE(succeeded, 20) << "the load did not run";
  const std::string text = metrics();
  EXPECT_GE(metric_value(text, "herd_webhook_tls_reloads_total", {{"result", "success"}}), 1.0) << text;
  // The half-done rotation was refused (and said so), not served.
  EXPECT_GE(metric_value(text, "herd_webhook_tls_reloads_total", {{"result", "failure"}}), 1.0) << text;
  bool logged = false;
  for (const auto& record : controller->log_records()) {
    logged = logged || (record.value("level", "") == "error" &&
                        record.value("msg", "").find("certificate") != std::string::npos);
  }
  EXPECT_TRUE(logged) << controller->log();
}

// ---------------------------------------------------------------------------------------------------------
// Policy reload

TEST_F(WebhookServerTest, ChangedPolicyFileAppliesWithoutRestart) {
  const fs::path policy = dir.path() / "policy.yaml";
  write_text(policy, read_text(source_path("schema/default-policy.yaml")));
  ASSERT_TRUE(start({"--policy", policy.string(), "--reload-interval", "100ms"}));
  const json request = sample("request-create.json"); // env prod, https repositories
  const json before = review_of(post("/validate-stack", request));
  ASSERT_FALSE(before.is_null());
  ASSERT_EQ(before["response"]["allowed"], true) << before.dump(2);

  replace_file(policy, policy_prod_oci_only());
  json after;
  const auto until = Clock::now() + 5s * k_slowdown;
  do {
    std::this_thread::sleep_for(50ms);
    after = review_of(post("/validate-stack", request));
    ASSERT_FALSE(after.is_null());
  } while (after["response"]["allowed"] == true && Clock::now() < until);
  EXPECT_EQ(after["response"]["allowed"], false) << "the new policy was not applied";
  EXPECT_TRUE(has_cause_with_rule(after, "HERD201")) << after.dump(2);
  EXPECT_GE(metric_value(metrics(), "herd_policy_reloads_total", {{"result", "success"}}), 1.0);
}

TEST_F(WebhookServerTest, BrokenPolicyFileKeepsThePreviousPolicyAndLogsAnError) {
  const fs::path policy = dir.path() / "policy.yaml";
  write_text(policy, policy_prod_oci_only());
  ASSERT_TRUE(start({"--policy", policy.string(), "--reload-interval", "100ms"}));
  const json request = sample("request-create.json");
  const json before = review_of(post("/validate-stack", request));
  ASSERT_FALSE(before.is_null());
  ASSERT_TRUE(has_cause_with_rule(before, "HERD201")) << before.dump(2);

  replace_file(policy, "apiVersion: herd.suse.com/v1\nkind: StackPolicy\nenvironments: {prod: [unclosed\n");
  ASSERT_TRUE(wait_for_metric("herd_policy_reloads_total", {{"result", "failure"}}, 1, 5s * k_slowdown));

  const json after = review_of(post("/validate-stack", request));
  ASSERT_FALSE(after.is_null());
  EXPECT_EQ(after["response"]["allowed"], false);
  EXPECT_TRUE(has_cause_with_rule(after, "HERD201")) << "the previous policy must stay: " << after.dump(2);
  bool logged = false;
  for (const auto& record : controller->log_records()) {
    logged = logged || (record.value("level", "") == "error" &&
                        record.value("msg", "").find("policy") != std::string::npos);
  }
  EXPECT_TRUE(logged) << controller->log();
}

// ---------------------------------------------------------------------------------------------------------
// Health and metrics

TEST_F(WebhookServerTest, HealthzAndReadyzAnswer200) {
  ASSERT_TRUE(start());
  for (const char* path : {"/healthz", "/readyz"}) {
    const auto result = health_client()->Get(path);
    ASSERT_TRUE(result) << path << ": " << describe(result);
    EXPECT_EQ(result->status, 200) << path;
  }
}

TEST_F(WebhookServerTest, MetricsCountRequestsByEndpointAndVerdictWithALatencyHistogram) {
  ASSERT_TRUE(start());
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(review_of(post("/validate-stack", sample("request-create.json"))).is_null());
  }
  ASSERT_FALSE(review_of(post("/validate-stack", sample("request-update.json"))).is_null());
  for (int i = 0; i < 2; ++i) {
    ASSERT_FALSE(review_of(post("/mutate-stack", sample("request-create-mutating-phase.json"))).is_null());
  }
  const auto bad = post("/mutate-stack", std::string("{"));
  ASSERT_TRUE(bad && bad->status == 400) << describe(bad);

  const std::string text = metrics();
  const std::string requests = "herd_webhook_requests_total";
  EXPECT_EQ(metric_value(text, requests, {{"endpoint", "validate-stack"}, {"verdict", "allowed"}}), 3)
      << text;
  EXPECT_EQ(metric_value(text, requests, {{"endpoint", "validate-stack"}, {"verdict", "denied"}}), 1) << text;
  EXPECT_EQ(metric_value(text, requests, {{"endpoint", "mutate-stack"}, {"verdict", "patched"}}), 2) << text;
  EXPECT_EQ(metric_value(text, requests, {{"endpoint", "mutate-stack"}, {"verdict", "bad-request"}}), 1)
      << text;
  const std::string buckets = "herd_webhook_request_duration_seconds_bucket";
  EXPECT_EQ(metric_value(text, buckets, {{"endpoint", "validate-stack"}, {"le", "+Inf"}}), 4) << text;
  EXPECT_GE(metric_value(text, buckets, {{"endpoint", "mutate-stack"}, {"le", "+Inf"}}), 2) << text;
  EXPECT_THAT(text, HasSubstr("# TYPE herd_webhook_request_duration_seconds histogram"));
}

TEST_F(WebhookServerTest, LogsSayWhatWasDeniedWithoutTheStacksValues) {
  ASSERT_TRUE(start());
  json request = sample("request-create.json");
  json& charts = request["request"]["object"]["spec"]["charts"];
  charts[0]["repo"] = "https://robot:s3cr3t-t0ken@helm.ngc.nvidia.com/nvidia";
  charts[1]["dependsOn"] = json::array({"no-such-chart"});
  const json review = review_of(post("/validate-stack", request));
  ASSERT_FALSE(review.is_null());
  ASSERT_EQ(review["response"]["allowed"], false) << review.dump(2);

  json denial;
  for (const auto& record : controller->log_records()) {
    if (record.value("uid", "") == request["request"]["uid"] && record.value("verdict", "") == "denied") {
      denial = record;
    }
  }
  ASSERT_TRUE(denial.is_object()) << "no log line for the denial:\n" << controller->log();
  EXPECT_EQ(denial.value("level", ""), "info");
  EXPECT_EQ(denial.value("name", ""), "rag-inference");
  EXPECT_THAT(denial.dump(), HasSubstr("spec.charts[1].dependsOn"));
  EXPECT_THAT(controller->log(), ::testing::Not(HasSubstr("s3cr3t"))) << "a credential reached the log";
}

// ---------------------------------------------------------------------------------------------------------
// Process lifecycle

TEST_F(WebhookServerTest, SigtermAnswersRequestsInFlightThenExitsZero) {
  ASSERT_TRUE(start());
  // Three requests whose bodies are half sent: the server is inside each of them.
  constexpr int k_slow = 3;
  std::vector<std::string> bodies;
  std::vector<std::unique_ptr<TlsConnection>> slow;
  for (int i = 0; i < k_slow; ++i) {
    bodies.push_back(padded_review("slow-" + std::to_string(i), 7 * k_mebibyte));
    slow.push_back(std::make_unique<TlsConnection>(controller->webhook_port(), verifying()));
    ASSERT_TRUE(slow.back()->ok()) << slow.back()->error();
    const std::string& body = bodies.back();
    ASSERT_TRUE(slow.back()->send(raw_post_head("/validate-stack?timeout=10s",
                                                "Content-Length: " + std::to_string(body.size()) + "\r\n") +
                                  body.substr(0, body.size() / 2)));
  }
  ASSERT_TRUE(wait_for_metric("herd_webhook_in_flight_requests", {}, k_slow, 5s * k_slowdown));

  controller->signal(SIGTERM);
  ASSERT_TRUE(controller->wait_for_log("shutting down", 5s));
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(controller->running()) << "exited with requests in flight";
  const auto ready = health_client()->Get("/readyz");
  // Draining: the health port stays up and says so, so Kubernetes takes the pod out of the Service.
  ASSERT_TRUE(ready) << describe(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(ready->body, "shutting down\n");
  for (int i = 0; i < k_slow; ++i) {
    SCOPED_TRACE(i);
    const std::string& body = bodies[static_cast<std::size_t>(i)];
    ASSERT_TRUE(slow[static_cast<std::size_t>(i)]->send(body.substr(body.size() / 2)))
        << slow[static_cast<std::size_t>(i)]->error();
    const auto reply = slow[static_cast<std::size_t>(i)]->read_reply(10s * k_slowdown);
    ASSERT_TRUE(reply) << slow[static_cast<std::size_t>(i)]->error();
    EXPECT_EQ(reply->status, 200);
    const json review = json::parse(reply->body, nullptr, false);
    ASSERT_TRUE(review.is_object()) << reply->body.substr(0, 500);
    EXPECT_EQ(review["response"]["uid"], "slow-" + std::to_string(i));
  }
  slow.clear();
  EXPECT_EQ(controller->wait_exit(10s), 0);
  EXPECT_TRUE(controller->wait_for_log("stopped", 1s)) << controller->log();
}

TEST_F(WebhookServerTest, SigtermWithAnIdleKeepAliveClientExitsWithinTenSeconds) {
  ASSERT_TRUE(start());
  auto kept = client(); // the kube-apiserver keeps its connections open between calls
  kept->set_keep_alive(true);
  ASSERT_FALSE(
      review_of(kept->Post("/validate-stack", sample("request-create.json").dump(), "application/json"))
          .is_null());
  const auto signalled = Clock::now();
  controller->signal(SIGTERM);
  EXPECT_EQ(controller->wait_exit(10s), 0);
  EXPECT_LT(Clock::now() - signalled, 10s);
  EXPECT_TRUE(controller->wait_for_log("stopped", 1s)) << controller->log();
}

TEST_F(WebhookServerTest, MissingTlsFlagsExit2) {
  const auto result = run_controller_to_exit(
      {"--reconcile=false", "--webhook-port", "0", "--health-port", "0"}, dir.path() / "controller.log");
  EXPECT_EQ(result.code, 2) << result.log;
  EXPECT_THAT(result.log, HasSubstr("--tls-cert-file"));
}

TEST_F(WebhookServerTest, UnusableCertificateFilesExit1NamingTheProblem) {
  const fs::path missing = dir.path() / "absent" / "tls.crt";
  const fs::path garbage = dir.path() / "garbage.crt";
  write_text(garbage, "not a certificate\n");
  struct Case {
    std::string certificate;
    std::string key;
    std::string says;
  };
  const std::vector<Case> cases = {
      {missing.string(), key_file.string(), missing.string()},
      {garbage.string(), key_file.string(), "certificate"},
      {pki.serving_a.certificate.string(), pki.serving_b.key.string(), "does not match"},
  };
  for (const auto& [certificate, key, says] : cases) {
    SCOPED_TRACE(certificate);
    SCOPED_TRACE(key);
    const auto result = run_controller_to_exit({"--reconcile=false", "--webhook-port", "0", "--health-port",
                                                "0", "--tls-cert-file", certificate, "--tls-key-file", key},
                                               dir.path() / "controller.log");
    EXPECT_EQ(result.code, 1) << result.log;
    EXPECT_THAT(result.log, AllOf(HasSubstr("\"level\":\"error\""), HasSubstr(says)));
  }
}

TEST_F(WebhookServerTest, ReconcilerWithAnUnreadableKubeconfigExits1NamingTheFile) {
  const fs::path missing = dir.path() / "absent" / "kubeconfig";
  const auto result = run_controller_to_exit({"--webhook-port", "0", "--health-port", "0", "--tls-cert-file",
                                              certificate_file.string(), "--tls-key-file", key_file.string(),
                                              "--kubeconfig", missing.string()},
                                             dir.path() / "controller.log");
  EXPECT_EQ(result.code, 1) << result.log;
  EXPECT_THAT(result.log,
              AllOf(HasSubstr("cannot configure the Kubernetes client"), HasSubstr(missing.string())));
}

// The real binary, outside a cluster, against a kubeconfig: it behaves as in-cluster. It reconciles a Stack
// into its Bundles and status while holding the Lease, and hands the Lease back on SIGTERM.
TEST_F(WebhookServerTest, ReconcilesTheStacksOfAKubeconfigClusterAndReleasesTheLeaseOnSigterm) {
  test_apiserver::ApiServer cluster;
  cluster.start();
  for (const std::string name : {"fleet-local", "herd-system"}) {
    cluster.put({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}});
  }
  const core::YamlDocument stack =
      core::parse_yaml_document(read_text(source_path("examples/minimal.yaml")), "minimal.yaml");
  ASSERT_TRUE(stack.parsed);
  cluster.put(stack.value);
  const fs::path kubeconfig = dir.path() / "kubeconfig";
  write_text(
      kubeconfig,
      "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: " + cluster.url() +
          "\ncontexts:\n- name: test\n  context: {cluster: test, user: test, namespace: default}\n"
          "current-context: test\nusers:\n- name: test\n  user: {}\n");
  controller = std::make_unique<ControllerProcess>(
      std::vector<std::string>{"--bind-address", "127.0.0.1", "--webhook-port", "0", "--health-port", "0",
                               "--tls-cert-file", certificate_file.string(), "--tls-key-file",
                               key_file.string(), "--log-format", "json", "--kubeconfig",
                               kubeconfig.string()},
      dir.path() / "controller.log");
  std::string error;
  ASSERT_TRUE(controller->wait_listening(10s * k_slowdown, error)) << error;
  ASSERT_TRUE(controller->wait_for_log("reconciling Stacks", 20s * k_slowdown)) << controller->log();

  const auto deadline = std::chrono::steady_clock::now() + 20s * k_slowdown;
  std::optional<nlohmann::json> stored;
  while (std::chrono::steady_clock::now() < deadline) {
    stored = cluster.get("herd.suse.com/v1", "stacks", "default", "ollama-simple");
    if (stored && stored->contains("status") && (*stored)["status"].contains("phase")) {
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(stored && stored->contains("status")) << controller->log();
  EXPECT_EQ((*stored)["status"]["phase"], "Deploying") << (*stored)["status"].dump(2);
  EXPECT_EQ((*stored)["metadata"]["finalizers"], nlohmann::json::array({"herd.suse.com/bundles"}));
  const auto bundle =
      cluster.get("fleet.cattle.io/v1alpha1", "bundles", "fleet-local", "default-ollama-simple-ollama");
  ASSERT_TRUE(bundle) << controller->log();
  EXPECT_EQ((*bundle)["metadata"]["labels"]["app.kubernetes.io/managed-by"], "herd");
  EXPECT_EQ((*bundle)["spec"]["helm"]["version"], "0.59.0");
  const auto lease = cluster.get("coordination.k8s.io/v1", "leases", "herd-system", "herd-controller");
  ASSERT_TRUE(lease);
  EXPECT_FALSE((*lease)["spec"].value("holderIdentity", std::string()).empty());

  controller->signal(SIGTERM);
  EXPECT_EQ(controller->wait_exit(20s * k_slowdown), 0) << controller->log();
  const auto released = cluster.get("coordination.k8s.io/v1", "leases", "herd-system", "herd-controller");
  ASSERT_TRUE(released);
  EXPECT_EQ((*released)["spec"]["holderIdentity"], "") << "a standby takes over at once";
}

} // namespace
} // namespace herd::webhook::testing
