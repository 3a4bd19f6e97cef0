#include <herd/core/linter.hpp>
#include <herd/core/policy.hpp>
#include <herd/core/rule_catalog.hpp>
#include <herd/core/yaml_loader.hpp>
#include <herd/webhook/admission_handler.hpp>
#include <herd/webhook/policy_store.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

namespace herd::webhook {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const std::filesystem::path k_source_dir = HERD_SOURCE_DIR;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

json sample(const std::string& name) {
  return json::parse(read_text(k_source_dir / "tests/fixtures/admission" / name));
}

std::string decode_base64(const std::string& text) {
  std::string out(3 * text.size() / 4 + 3, '\0');
  const int length =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  EXPECT_GE(length, 0);
  out.resize(static_cast<std::size_t>(std::max(length, 0)));
  while (!out.empty() && out.back() == '\0') { // EVP_DecodeBlock counts the padding
    out.pop_back();
  }
  return out;
}

// An AdmissionReview of `operation` on `object`, as the apiserver sends it.
json review_of(const json& object,
               const std::string& operation = "CREATE",
               const json& old_object = nullptr) {
  return {{"apiVersion", "admission.k8s.io/v1"},
          {"kind", "AdmissionReview"},
          {"request",
           {{"uid", "0d7c5e1a-1111-4c1e-9a55-5f0e7d9c2b11"},
            {"kind", {{"group", "herd.suse.com"}, {"version", "v1"}, {"kind", "Stack"}}},
            {"resource", {{"group", "herd.suse.com"}, {"version", "v1"}, {"resource", "stacks"}}},
            {"namespace", "default"},
            {"operation", operation},
            {"userInfo", {{"username", "kubernetes-admin"}}},
            {"object", object},
            {"oldObject", old_object},
            {"dryRun", false}}}};
}

class AdmissionHandlerTest : public ::testing::Test {
public:
  PolicyStore policies;
  AdmissionHandler handler{policies};

  json admit(AdmissionEndpoint endpoint, const json& review, int expected_status = 200) const {
    const AdmissionOutcome outcome = handler.handle(endpoint, review.dump());
    EXPECT_EQ(outcome.http_status, expected_status) << outcome.body;
    return json::parse(outcome.body);
  }
  json validate(const json& review) const { return admit(AdmissionEndpoint::validate, review)["response"]; }
  json mutate(const json& review) const { return admit(AdmissionEndpoint::mutate, review)["response"]; }

  // The object after the mutating webhook's patch, as the apiserver applies it.
  json mutated(const json& object) const {
    const json response = mutate(review_of(object));
    if (!response.contains("patch")) {
      return object;
    }
    return object.patch(json::parse(decode_base64(response["patch"].get<std::string>())));
  }

  AdmissionOutcome raw(AdmissionEndpoint endpoint, const std::string& body) const {
    return handler.handle(endpoint, body);
  }
};

TEST_F(AdmissionHandlerTest, AnUpdateThatMovesAChartBetweenNamespacesIsDeniedAsTheApiserverWouldDenyIt) {
  const json expected = sample("response-deny.json")["response"];

  const json response = validate(sample("request-update.json"));

  EXPECT_EQ(response["uid"], expected["uid"]);
  EXPECT_EQ(response["allowed"], false);
  EXPECT_EQ(response["status"]["code"], 422);
  EXPECT_EQ(response["status"]["reason"], "Invalid");
  EXPECT_EQ(response["status"]["status"], "Failure");
  EXPECT_EQ(response["status"]["message"], expected["status"]["message"].get<std::string>() + " [HERD113]");
  EXPECT_EQ(response["status"]["details"]["name"], "rag-inference");
  EXPECT_EQ(response["status"]["details"]["group"], "herd.suse.com");
  EXPECT_EQ(response["status"]["details"]["kind"], "Stack");
  ASSERT_EQ(response["status"]["details"]["causes"].size(), 1U);
  const json& cause = response["status"]["details"]["causes"][0];
  const json& expected_cause = expected["status"]["details"]["causes"][0];
  EXPECT_EQ(cause["field"], expected_cause["field"]);
  EXPECT_EQ(cause["reason"], expected_cause["reason"]);
  EXPECT_EQ(cause["message"], expected_cause["message"].get<std::string>() + " [HERD113]");
  EXPECT_FALSE(response.contains("patch")) << "a validating webhook must not return a patch";
}

TEST_F(AdmissionHandlerTest, AValidCreateIsAllowedWithThePolicyWarnings) {
  const json response = validate(sample("request-create.json"));

  EXPECT_EQ(response["uid"], sample("response-allow.json")["response"]["uid"]);
  EXPECT_EQ(response["allowed"], true);
  EXPECT_EQ(response["warnings"],
            json::array({"spec.env: security enabled by policy for env prod [HERD202]",
                         "spec.env: observability enabled by policy for env prod [HERD202]"}));
}

TEST_F(AdmissionHandlerTest, AServerSideDryRunIsJudgedLikeTheRealThing) {
  const json response = validate(sample("request-create-dryrun.json"));

  EXPECT_EQ(response["allowed"], true);
  EXPECT_EQ(response["uid"], sample("request-create-dryrun.json")["request"]["uid"]);
}

TEST_F(AdmissionHandlerTest, DeleteIsAllowedUntouchedOnBothEndpoints) {
  for (const auto endpoint : {AdmissionEndpoint::validate, AdmissionEndpoint::mutate}) {
    const json response = admit(endpoint, sample("request-delete.json"))["response"];

    EXPECT_EQ(response, json({{"uid", sample("request-delete.json")["request"]["uid"]}, {"allowed", true}}));
  }
}

TEST_F(AdmissionHandlerTest, MutationIsABase64JsonPatchThatInjectsPolicyAndTheEnvLabel) {
  const json review = sample("request-create-mutating-phase.json");

  const json response = mutate(review);

  EXPECT_EQ(response["uid"], review["request"]["uid"]);
  EXPECT_EQ(response["allowed"], true);
  EXPECT_EQ(response["patchType"], "JSONPatch");
  const json patch = json::parse(decode_base64(response["patch"].get<std::string>()));
  ASSERT_TRUE(patch.is_array());
  for (const auto& operation : patch) {
    EXPECT_THAT((std::set<std::string>{"add", "replace"}),
                ::testing::Contains(operation["op"].get<std::string>()))
        << operation.dump();
  }
  const json result = review["request"]["object"].patch(patch);
  EXPECT_EQ(result["metadata"]["labels"]["herd.suse.com/env"], "prod");
  EXPECT_EQ(result["spec"]["security"], "enabled");
  EXPECT_EQ(result["spec"]["observability"], "enabled");
  EXPECT_EQ(result["spec"]["charts"][1]["values"]["inline"]["podLabels"]["io.neuvector.service.name"],
            "rag-inference-qdrant");
  EXPECT_THAT(result["metadata"]["annotations"]["herd.suse.com/policy"].get<std::string>(),
              HasSubstr("herd-default@sha256:"));
  EXPECT_THAT(result["metadata"]["annotations"]["herd.suse.com/injected"].get<std::string>(),
              HasSubstr("/spec/security"));
  EXPECT_EQ(response["auditAnnotations"]["policy"],
            result["metadata"]["annotations"]["herd.suse.com/policy"]);
  for (const auto& [key, value] : response["auditAnnotations"].items()) {
    EXPECT_EQ(key.find('/'), std::string::npos) << "the apiserver prefixes audit keys with the webhook name";
  }
  EXPECT_EQ(response["warnings"].size(), 2U);
}

TEST_F(AdmissionHandlerTest, MutatingTheMutatedObjectAgainYieldsNoPatch) {
  const json review = sample("request-create-mutating-phase.json");
  const json once = mutated(review["request"]["object"]);

  const json response = mutate(review_of(once));

  EXPECT_FALSE(response.contains("patch")) << decode_base64(response.value("patch", ""));
  EXPECT_FALSE(response.contains("patchType"));
  EXPECT_EQ(response["allowed"], true);
}

TEST_F(AdmissionHandlerTest, ExistingLabelsAreKeptWhenTheEnvLabelIsAdded) {
  json object = sample("request-create-mutating-phase.json")["request"]["object"];
  object["metadata"]["labels"] = {{"team", "ml"}};

  const json result = mutated(object);

  EXPECT_EQ(result["metadata"]["labels"], json({{"team", "ml"}, {"herd.suse.com/env", "prod"}}));
}

TEST_F(AdmissionHandlerTest, AStackWithoutNamespaceIsJudgedInTheRequestNamespace) {
  PolicyStore strict;
  ASSERT_TRUE(strict.load(R"(apiVersion: herd.suse.com/v1
kind: StackPolicy
metadata: {name: strict}
environments: {dev: {allowedRepoSchemes: [https]}}
tenancy:
  - namespaces: [team-a]
    workspaces: [fleet-default]
)",
                          "strict.yaml"));
  const AdmissionHandler strict_handler(strict);
  json review = sample("request-create.json");
  review["request"]["object"]["metadata"].erase("namespace");
  review["request"]["object"]["spec"]["env"] = "dev";
  review["request"]["namespace"] = "team-b";

  const json response = json::parse(strict_handler.handle(AdmissionEndpoint::validate, review.dump()).body);

  EXPECT_EQ(response["response"]["allowed"], false);
  EXPECT_THAT(response["response"]["status"]["message"].get<std::string>(),
              HasSubstr(R"(allows no Stacks in namespace "team-b")"));
}

TEST_F(AdmissionHandlerTest, TargetsBeyondTheTenancySelectorAreDenied) {
  ASSERT_TRUE(policies.load(R"(apiVersion: herd.suse.com/v1
kind: StackPolicy
metadata: {name: tenants}
environments: {prod: {allowedRepoSchemes: [https], require: {security: true, observability: true}}}
tenancy:
  - namespaces: [default]
    clusterSelector:
      matchLabels: {tenant: team-a}
)",
                            "tenants.yaml"));

  const json response = validate(sample("request-create.json"));

  EXPECT_EQ(response["allowed"], false);
  ASSERT_EQ(response["status"]["details"]["causes"].size(), 1U);
  EXPECT_EQ(response["status"]["details"]["causes"][0]["field"], "spec.targets.selector");
  EXPECT_EQ(response["status"]["details"]["causes"][0]["reason"], "FieldValueForbidden");
  EXPECT_THAT(response["status"]["details"]["causes"][0]["message"].get<std::string>(),
              HasSubstr("[HERD205]"));
}

TEST_F(AdmissionHandlerTest, EveryFindingIsListedWithItsPath) {
  json object = sample("request-create.json")["request"]["object"];
  object["spec"]["charts"][0]["version"] = "^23";
  object["spec"]["charts"][1]["dependsOn"] = json::array({"gpu-operater"});

  const json response = validate(review_of(object));

  EXPECT_EQ(response["allowed"], false);
  const std::string message = response["status"]["message"];
  EXPECT_THAT(message,
              HasSubstr(R"(Stack.herd.suse.com "rag-inference" is invalid: [spec.charts[0].version: )"));
  EXPECT_THAT(message, HasSubstr("[HERD106], spec.charts[1].dependsOn[0]: "));
  EXPECT_THAT(message, HasSubstr(R"(did you mean "gpu-operator"?)"));
  EXPECT_EQ(response["status"]["details"]["causes"].size(), 2U);
}

// Many server threads, few Linters: concurrent validations borrow from a bounded pool and each gets its own
// verdict (an allowed and a denied Stack interleaved), also across a policy reload.
TEST_F(AdmissionHandlerTest, ConcurrentValidationsShareABoundedPoolOfLinters) {
  const AdmissionHandler pooled(policies, AdmissionLimits{.linters = 2});
  const std::string allowed = sample("request-create.json").dump();
  json bad = sample("request-create.json");
  bad["request"]["object"]["spec"]["charts"][0]["version"] = "^1.0";
  const std::string denied = bad.dump();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const bool deny = (t + i) % 2 == 1;
        const json response =
            json::parse(pooled.handle(AdmissionEndpoint::validate, deny ? denied : allowed).body);
        if (response["response"]["allowed"] != !deny) {
          wrong.fetch_add(1);
        }
      }
    });
  }
  // A policy reload while they run: borrowed Linters of the old snapshot are retired when returned.
  ASSERT_TRUE(policies.load(read_text(std::filesystem::path(HERD_SOURCE_DIR) / "schema/default-policy.yaml"),
                            "default-policy.yaml"));
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(AdmissionHandlerTest, ARequestForAnotherResourceIsLetThroughWithAWarning) {
  json review = sample("request-create.json");
  review["request"]["resource"]["resource"] = "configmaps";
  review["request"]["resource"]["group"] = "";

  for (const auto endpoint : {AdmissionEndpoint::validate, AdmissionEndpoint::mutate}) {
    const json response = admit(endpoint, review)["response"];

    EXPECT_EQ(response["allowed"], true);
    EXPECT_FALSE(response.contains("patch"));
    ASSERT_EQ(response["warnings"].size(), 1U);
    EXPECT_THAT(response["warnings"][0].get<std::string>(),
                HasSubstr("configmaps was let through unchecked"));
  }
}

TEST_F(AdmissionHandlerTest, TheStatusSubresourceIsLetThrough) {
  json review = sample("request-update.json");
  review["request"]["subResource"] = "status";

  EXPECT_EQ(validate(review)["allowed"], true);
}

struct BadBody {
  const char* name;
  std::string body;
  const char* message;
};

TEST_F(AdmissionHandlerTest, MalformedReviewsAreBadRequestsWithAClearMessage) {
  json no_uid = sample("request-create.json");
  no_uid["request"].erase("uid");
  json beta = sample("request-create.json");
  beta["apiVersion"] = "admission.k8s.io/v1beta1";
  json wrong_kind = sample("request-create.json");
  wrong_kind["kind"] = "Stack";
  json no_object = sample("request-create.json");
  no_object["request"]["object"] = nullptr;
  const std::vector<BadBody> cases = {
      {"truncated", R"({"apiVersion": "admission.k8s.io/v1", "kind": )", "the body is not valid JSON"},
      {"empty", "", "the body is not valid JSON"},
      {"invalid UTF-8", "{\"apiVersion\": \"\xff\xfe\"}", "the body is not valid JSON"},
      {"an array", "[]", "not an AdmissionReview object"},
      {"no uid", no_uid.dump(), "has no uid"},
      {"v1beta1", beta.dump(), "admissionReviewVersions: [v1]"},
      {"wrong kind", wrong_kind.dump(), R"(expected kind AdmissionReview, got "Stack")"},
      {"no request", R"({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"})", "has no request"},
      {"null object on CREATE", no_object.dump(), "the CREATE request has no object"},
      {"a million levels", std::string(1'000'000, '['), "nests deeper than 1024 levels"},
  };
  for (const auto& bad : cases) {
    for (const auto endpoint : {AdmissionEndpoint::validate, AdmissionEndpoint::mutate}) {
      const AdmissionOutcome outcome = raw(endpoint, bad.body);

      EXPECT_EQ(outcome.http_status, 400) << bad.name;
      EXPECT_EQ(outcome.verdict, "bad-request") << bad.name;
      const json status = json::parse(outcome.body);
      EXPECT_EQ(status["kind"], "Status") << bad.name;
      EXPECT_EQ(status["code"], 400) << bad.name;
      EXPECT_THAT(status["message"].get<std::string>(), HasSubstr(bad.message)) << bad.name;
    }
  }
}

TEST_F(AdmissionHandlerTest, AStackNestedDeeperThanLintAllowsIsDeniedWithLintsRule) {
  json object = sample("request-create.json")["request"]["object"];
  json deep = 1;
  for (int i = 0; i < 130; ++i) {
    deep = json{{"a", deep}};
  }
  object["spec"]["charts"][0]["values"] = {{"inline", deep}};

  const json response = validate(review_of(object));
  const json mutation = mutate(review_of(object));

  EXPECT_EQ(response["allowed"], false);
  EXPECT_THAT(response["status"]["message"].get<std::string>(),
              HasSubstr("nesting deeper than 128 levels [HERD001]"));
  EXPECT_EQ(mutation["allowed"], true);
  EXPECT_FALSE(mutation.contains("patch"));
}

TEST_F(AdmissionHandlerTest, WarningsFitTheApiserversLimit) {
  json object = sample("request-create.json")["request"]["object"];
  // A chart whose timeout is ignored (no wait) and whose name is long makes a long warning.
  object["spec"]["charts"][1]["timeout"] = "10m";
  object["spec"]["charts"][1]["wait"] = false;
  object["spec"]["charts"][1]["name"] = std::string(50, 'q');
  object["spec"]["charts"][1]["chart"] = "qdrant";
  object["spec"]["charts"][1]["namespace"] = "qdrant";
  object["spec"]["charts"][1]["releaseName"] = "qdrant";

  const json response = validate(review_of(object));

  ASSERT_TRUE(response.contains("warnings"));
  for (const auto& warning : response["warnings"]) {
    EXPECT_LE(warning.get<std::string>().size(), 256U);
  }
}

// The verdict parity of DESIGN §1: `kubectl herd lint` on a file and the validating webhook on the same
// Stack, after the mutating webhook, agree on allowed/denied and on the rules found.
struct Verdict {
  bool allowed = true;
  std::set<std::string> rules; // errors and warnings
};

Verdict lint_verdict(const std::filesystem::path& file, const core::Policy& policy) {
  auto linter = core::Linter::create(policy);
  std::ifstream in(file, std::ios::binary);
  core::Diagnostics findings;
  linter.value()->lint_stream(in, file.string(), findings);
  Verdict verdict;
  for (const auto& finding : findings) {
    verdict.rules.insert(finding.rule);
    verdict.allowed = verdict.allowed && finding.severity != core::Severity::error;
  }
  return verdict;
}

// What `kubectl apply` shows: the mutating webhook's warnings, then the validating webhook's verdict on the
// mutated object.
Verdict webhook_verdict(AdmissionHandlerTest& test, const json& object) {
  const json mutation = test.mutate(review_of(object));
  const json stored = test.mutated(object);
  const json response = test.validate(review_of(stored));
  Verdict verdict;
  verdict.allowed = response["allowed"];
  for (const json* warnings : {&mutation, &response}) {
    for (const auto& warning : warnings->value("warnings", json::array())) {
      const std::string text = warning;
      verdict.rules.insert(text.substr(text.rfind('[') + 1, 7));
    }
  }
  for (const auto& cause : response.value("status", json::object())
                               .value("details", json::object())
                               .value("causes", json::array())) {
    const std::string text = cause["message"];
    verdict.rules.insert(text.substr(text.rfind('[') + 1, 7));
  }
  return verdict;
}

std::vector<std::filesystem::path> yaml_files(const std::filesystem::path& directory) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.path().extension() == ".yaml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

json only_stack(const std::filesystem::path& file) {
  const core::YamlDocument document = core::parse_yaml_document(read_text(file), file.string());
  return document.parsed ? document.value : json();
}

TEST_F(AdmissionHandlerTest, EveryExampleGetsTheSameVerdictFromLintAndTheWebhook) {
  const auto files = yaml_files(k_source_dir / "examples");
  ASSERT_GE(files.size(), 8U);
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::size_t stacks = 0;
    core::read_yaml_stream(in, file.string(), [&](core::YamlDocument& document) {
      ASSERT_TRUE(document.parsed) << file;
      ++stacks;
      const Verdict lint = lint_verdict(file, core::default_policy());
      const Verdict webhook = webhook_verdict(*this, document.value);

      EXPECT_TRUE(lint.allowed) << file;
      EXPECT_EQ(webhook.allowed, lint.allowed) << file;
      EXPECT_EQ(webhook.rules, lint.rules) << file;
    });
    EXPECT_EQ(stacks, 1U) << file;
  }
}

// tests/corpus/*.yaml: one bad Stack each, its first line `# expect: HERDnnn` (or `ok`).
TEST_F(AdmissionHandlerTest, EveryCorpusStackGetsTheSameVerdictFromLintAndTheWebhook) {
  const auto files = yaml_files(k_source_dir / "tests/corpus");
  ASSERT_GE(files.size(), 15U);
  for (const auto& file : files) {
    std::string expectation;
    std::getline(std::ifstream(file) >> std::ws, expectation);
    ASSERT_TRUE(expectation.starts_with("# expect: ")) << file;
    const std::string expected_rule = expectation.substr(10);
    const Verdict lint = lint_verdict(file, core::default_policy());

    if (expected_rule == "ok") {
      EXPECT_TRUE(lint.allowed) << file;
    } else {
      EXPECT_FALSE(lint.allowed) << file;
      EXPECT_TRUE(lint.rules.contains(expected_rule)) << file << " lacks " << expected_rule;
    }
    const json object = only_stack(file);
    if (expected_rule == core::rules::duplicate_key || object.is_null()) {
      continue; // YAML-level: the apiserver never sends duplicate keys; unparsable YAML never reaches it
    }
    const Verdict webhook = webhook_verdict(*this, object);
    EXPECT_EQ(webhook.allowed, lint.allowed) << file;
    EXPECT_EQ(webhook.rules, lint.rules) << file;
  }
}

} // namespace
} // namespace herd::webhook
