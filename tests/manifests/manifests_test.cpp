// The deployment manifests of herd-controller (manifests/), as kubectl renders them, and
// scripts/webhook-certs.sh, the no-cert-manager path. Runs the real `kubectl kustomize` (no cluster needed)
// and the real OpenSSL command line.
#include "../support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path k_source_dir = HERD_SOURCE_DIR;
const fs::path k_manifests_dir = k_source_dir / "manifests";
const fs::path k_certs_script = k_source_dir / "scripts" / "webhook-certs.sh";

const std::string k_namespace = "herd-system";
const std::string k_skip_metadata_only_updates =
    R"(request.operation != "UPDATE" || object.spec != oldObject.spec)";

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Scratch directories named after this suite.
class TempDir : public herd::testing::TempDir {
public:
  TempDir() : herd::testing::TempDir("herd-manifests-test") {}
};

void replace(std::string& text, const std::string& placeholder, const std::string& value) {
  const auto at = text.find(placeholder);
  ASSERT_NE(at, std::string::npos) << placeholder;
  text.replace(at, placeholder.size(), value);
}

// Quotes a word for /bin/sh.
std::string quote(const std::string& word) {
  std::string quoted = "'";
  for (const char c : word) {
    if (c == '\'') {
      quoted += R"('\'')";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

struct CommandResult {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs a shell command with no standard input, capturing its standard output and standard error.
CommandResult run(const std::string& command) {
  const TempDir scratch;
  const fs::path err_file = scratch.path() / "stderr";
  CommandResult result;
  // NOLINTNEXTLINE(cert-env33-c): running kubectl, openssl and the script is what this test is about
  FILE* pipe = popen((command + " </dev/null 2>" + quote(err_file.string())).c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.out.append(buffer.data(), n);
  }
  const int status = pclose(pipe);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.err = read_text(err_file);
  return result;
}

std::string scalar(const YAML::Node& node) {
  return node && node.IsScalar() ? node.Scalar() : std::string();
}

std::vector<std::string> scalars(const YAML::Node& node) {
  std::vector<std::string> values;
  if (node && node.IsSequence()) {
    for (const auto& item : node) {
      values.push_back(scalar(item));
    }
  }
  return values;
}

std::set<std::string> scalar_set(const YAML::Node& node) {
  const auto values = scalars(node);
  return {values.begin(), values.end()};
}

std::map<std::string, std::string> string_map(const YAML::Node& node) {
  std::map<std::string, std::string> values;
  if (node && node.IsMap()) {
    for (const auto& item : node) {
      values[item.first.Scalar()] = scalar(item.second);
    }
  }
  return values;
}

// The item of a sequence whose `key` is `value`, or an undefined node.
YAML::Node find_by(const YAML::Node& sequence, const std::string& key, const std::string& value) {
  if (sequence && sequence.IsSequence()) {
    for (const YAML::Node& item : sequence) {
      if (scalar(item[key]) == value) {
        return item;
      }
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

bool contains_all(const std::map<std::string, std::string>& labels,
                  const std::map<std::string, std::string>& selector) {
  return std::ranges::all_of(selector, [&labels](const auto& entry) {
    const auto found = labels.find(entry.first);
    return found != labels.end() && found->second == entry.second;
  });
}

// Whether a container's args have `--name` or `--name=value`, and the value.
struct Flag {
  bool present = false;
  std::string value;
};

Flag flag(const YAML::Node& args, const std::string& name) {
  const std::string prefix = name + "=";
  for (const auto& arg : scalars(args)) {
    if (arg == name) {
      return {true, ""};
    }
    if (arg.starts_with(prefix)) {
      return {true, arg.substr(prefix.size())};
    }
  }
  return {};
}

struct Rendering {
  CommandResult result;
  std::vector<YAML::Node> objects;
  std::string parse_error;
};

Rendering render(const fs::path& kustomization_dir) {
  Rendering rendering;
  rendering.result = run("kubectl kustomize " + quote(kustomization_dir.string()));
  try {
    for (const auto& object : YAML::LoadAll(rendering.result.out)) {
      if (object && object.IsMap()) {
        rendering.objects.push_back(object);
      }
    }
  } catch (const YAML::Exception& error) {
    rendering.parse_error = error.what();
  }
  return rendering;
}

std::map<std::string, int> kind_counts(const std::vector<YAML::Node>& objects) {
  std::map<std::string, int> counts;
  for (const auto& object : objects) {
    ++counts[scalar(object["kind"])];
  }
  return counts;
}

class ManifestsKustomize : public ::testing::Test {
protected:
  static void SetUpTestSuite() { s_rendering = std::make_unique<Rendering>(render(k_manifests_dir)); }
  static void TearDownTestSuite() { s_rendering.reset(); }

  void SetUp() override {
    ASSERT_EQ(s_rendering->result.code, 0) << "kubectl kustomize manifests failed:\n"
                                           << s_rendering->result.err;
    ASSERT_TRUE(s_rendering->parse_error.empty()) << s_rendering->parse_error;
  }

  static const std::vector<YAML::Node>& objects() { return s_rendering->objects; }

  // The one object of `kind` (the exactly-once test reports duplicates).
  static YAML::Node object(const std::string& kind) {
    for (const auto& candidate : objects()) {
      if (scalar(candidate["kind"]) == kind) {
        return candidate;
      }
    }
    ADD_FAILURE() << "kubectl kustomize manifests renders no " << kind;
    return YAML::Node(YAML::NodeType::Undefined);
  }

  static YAML::Node pod_spec() { return object("Deployment")["spec"]["template"]["spec"]; }
  static YAML::Node container() { return pod_spec()["containers"][0]; }
  static std::map<std::string, std::string> pod_labels() {
    return string_map(object("Deployment")["spec"]["template"]["metadata"]["labels"]);
  }
  // The mount path of the pod volume that `volume_field` (secret/configMap) fills from `source_name`.
  static std::string mount_path_of(const std::string& volume_field,
                                   const std::string& name_field,
                                   const std::string& source_name) {
    for (const auto& volume : pod_spec()["volumes"]) {
      const auto source = volume[volume_field];
      if (source && scalar(source[name_field]) == source_name) {
        const auto mount = find_by(container()["volumeMounts"], "name", scalar(volume["name"]));
        return scalar(mount["mountPath"]);
      }
    }
    return {};
  }

private:
  static inline std::unique_ptr<Rendering> s_rendering;
};

TEST_F(ManifestsKustomize, RendersEveryObjectExactlyOnceInTheHerdSystemNamespace) {
  const std::map<std::string, std::string> expected = {
      {"CustomResourceDefinition", "stacks.herd.suse.com"},
      {"Namespace", k_namespace},
      {"ServiceAccount", "herd-controller"},
      {"ClusterRole", "herd-controller"},
      {"ClusterRoleBinding", "herd-controller"},
      {"Role", "herd-controller-leader-election"},
      {"RoleBinding", "herd-controller-leader-election"},
      {"Deployment", "herd-controller"},
      {"PodDisruptionBudget", "herd-controller"},
      {"Service", "herd-webhook"},
      {"ConfigMap", "herd-policy"},
      {"MutatingWebhookConfiguration", "herd-stack-mutating"},
      {"ValidatingWebhookConfiguration", "herd-stack-validating"},
      {"Issuer", "herd-selfsigned"},
      {"Certificate", "herd-webhook-serving-cert"},
  };
  const std::set<std::string> cluster_scoped = {"CustomResourceDefinition",
                                                "Namespace",
                                                "ClusterRole",
                                                "ClusterRoleBinding",
                                                "MutatingWebhookConfiguration",
                                                "ValidatingWebhookConfiguration"};
  const auto counts = kind_counts(objects());
  for (const auto& [kind, count] : counts) {
    EXPECT_TRUE(expected.contains(kind)) << "unexpected kind " << kind;
  }
  for (const auto& [kind, name] : expected) {
    const auto found = counts.find(kind);
    ASSERT_TRUE(found != counts.end()) << "missing " << kind;
    EXPECT_EQ(found->second, 1) << kind;
    const auto item = object(kind);
    EXPECT_EQ(scalar(item["metadata"]["name"]), name) << kind;
    if (cluster_scoped.contains(kind)) {
      EXPECT_FALSE(item["metadata"]["namespace"]) << kind << " is cluster-scoped";
    } else {
      EXPECT_EQ(scalar(item["metadata"]["namespace"]), k_namespace) << kind;
    }
  }
  EXPECT_EQ(scalar(object("Deployment")["spec"]["template"]["spec"]["serviceAccountName"]),
            scalar(object("ServiceAccount")["metadata"]["name"]));
}

// Whether two YAML trees hold the same data (maps compared by key, whatever their order: kustomize sorts).
bool same_yaml(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) {
    return false;
  }
  if (a.IsScalar()) {
    return a.Scalar() == b.Scalar();
  }
  if (a.IsSequence()) {
    if (a.size() != b.size()) {
      return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!same_yaml(a[i], b[i])) {
        return false;
      }
    }
    return true;
  }
  if (a.IsMap()) {
    if (a.size() != b.size()) {
      return false;
    }
    return std::all_of(a.begin(), a.end(), [&b](const auto& entry) {
      const YAML::Node other = b[entry.first.Scalar()];
      return other && same_yaml(entry.second, other);
    });
  }
  return true; // both null
}

// What `kubectl apply -k manifests/` sends: every object is addressable (apiVersion, kind, metadata.name, all
// strings), and no two objects share group, kind, namespace and name.
TEST_F(ManifestsKustomize, EveryRenderedObjectHasApiVersionKindAndName) {
  ASSERT_FALSE(objects().empty());
  std::set<std::string> identities;
  for (const auto& object : objects()) {
    const std::string api_version = scalar(object["apiVersion"]);
    const std::string kind = scalar(object["kind"]);
    const std::string name = scalar(object["metadata"]["name"]);
    EXPECT_FALSE(api_version.empty()) << "an object without apiVersion (kind " << kind << ")";
    EXPECT_FALSE(kind.empty()) << "an object without kind (" << api_version << ")";
    EXPECT_TRUE(object["metadata"] && object["metadata"].IsMap()) << kind << " has no metadata";
    EXPECT_FALSE(name.empty()) << kind << " has no metadata.name";
    const auto slash = api_version.find('/');
    const std::string group = slash == std::string::npos ? std::string() : api_version.substr(0, slash);
    std::string identity = group;
    identity.append("/").append(kind).append("/").append(scalar(object["metadata"]["namespace"]));
    identity.append("/").append(name);
    EXPECT_TRUE(identities.insert(identity).second) << "rendered twice: " << identity;
  }
}

// The schema checks the repository has for what manifests/ renders: the CRD is exactly the generated file
// (herd-tools-tests checks that file's structural schema and that it matches schema/stack.schema.json), and
// no Fleet object is rendered (the Fleet Bundles Herd writes are checked against Fleet's own schema by
// herd-core-tests; a Fleet object added here would need that check too).
TEST_F(ManifestsKustomize, RenderedCrdIsTheCheckedGeneratedOneAndNoFleetObjectIsRendered) {
  const YAML::Node committed =
      YAML::LoadFile((k_manifests_dir / "crds" / "herd.suse.com_stacks.yaml").string());
  const YAML::Node rendered = object("CustomResourceDefinition");
  EXPECT_TRUE(same_yaml(rendered, committed))
      << "kustomize changes the CRD: the structural checks of tests/tools would not cover what is applied";
  for (const auto& item : objects()) {
    EXPECT_EQ(scalar(item["apiVersion"]).find("fleet.cattle.io"), std::string::npos)
        << scalar(item["kind"]) << " " << scalar(item["metadata"]["name"])
        << ": a Fleet object in manifests/ needs the Fleet schema check (tests/core/fleet_schema.hpp)";
  }
}

TEST_F(ManifestsKustomize, DeploymentRunsTwoHardenedNonRootReplicas) {
  const auto deployment = object("Deployment");
  EXPECT_EQ(scalar(deployment["spec"]["replicas"]), "2");
  EXPECT_TRUE(contains_all(pod_labels(), string_map(deployment["spec"]["selector"]["matchLabels"])));
  EXPECT_EQ(pod_labels()["app.kubernetes.io/name"], "herd-controller");
  EXPECT_EQ(pod_labels()["app.kubernetes.io/part-of"], "herd");
  EXPECT_EQ(scalar(pod_spec()["terminationGracePeriodSeconds"]), "30");

  const auto pod_security = pod_spec()["securityContext"];
  EXPECT_EQ(scalar(pod_security["runAsNonRoot"]), "true");
  EXPECT_EQ(scalar(pod_security["runAsUser"]), "65532");
  EXPECT_EQ(scalar(pod_security["runAsGroup"]), "65532");
  EXPECT_EQ(scalar(pod_security["fsGroup"]), "65532");
  EXPECT_EQ(scalar(pod_security["seccompProfile"]["type"]), "RuntimeDefault");

  ASSERT_EQ(pod_spec()["containers"].size(), 1U);
  const auto security = container()["securityContext"];
  EXPECT_EQ(scalar(security["allowPrivilegeEscalation"]), "false");
  EXPECT_EQ(scalar(security["readOnlyRootFilesystem"]), "true");
  EXPECT_EQ(scalar(security["runAsNonRoot"]), "true");
  EXPECT_EQ(scalars(security["capabilities"]["drop"]), std::vector<std::string>{"ALL"});
  EXPECT_FALSE(security["capabilities"]["add"]);
  EXPECT_NE(scalar(security["privileged"]), "true");

  const auto resources = container()["resources"];
  EXPECT_EQ(scalar(resources["requests"]["cpu"]), "50m");
  EXPECT_EQ(scalar(resources["requests"]["memory"]), "32Mi");
  EXPECT_EQ(scalar(resources["limits"]["cpu"]), "500m");
  EXPECT_EQ(scalar(resources["limits"]["memory"]), "128Mi");

  // Replicas prefer different nodes, so one node going down leaves a webhook running.
  const auto preferred =
      pod_spec()["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"];
  ASSERT_TRUE(preferred && preferred.IsSequence() && preferred.size() == 1U);
  const auto term = preferred[0]["podAffinityTerm"];
  EXPECT_EQ(scalar(term["topologyKey"]), "kubernetes.io/hostname");
  EXPECT_TRUE(contains_all(pod_labels(), string_map(term["labelSelector"]["matchLabels"])));
}

TEST_F(ManifestsKustomize, ProbesCheckHealthzAndReadyzOnThePlainHealthPort) {
  const auto ports = container()["ports"];
  EXPECT_EQ(scalar(find_by(ports, "name", "webhook")["containerPort"]), "8443");
  EXPECT_EQ(scalar(find_by(ports, "name", "health")["containerPort"]), "8080");
  const auto liveness = container()["livenessProbe"]["httpGet"];
  EXPECT_EQ(scalar(liveness["path"]), "/healthz");
  EXPECT_EQ(scalar(liveness["port"]), "health");
  EXPECT_FALSE(liveness["scheme"] && scalar(liveness["scheme"]) != "HTTP");
  const auto readiness = container()["readinessProbe"]["httpGet"];
  EXPECT_EQ(scalar(readiness["path"]), "/readyz");
  EXPECT_EQ(scalar(readiness["port"]), "health");
  EXPECT_FALSE(readiness["scheme"] && scalar(readiness["scheme"]) != "HTTP");
}

TEST_F(ManifestsKustomize, ContainerArgsMatchThePortsAndTheMountedFiles) {
  const auto args = container()["args"];
  for (const std::string name :
       {"--bind-address", "--webhook-port", "--health-port", "--tls-cert-file", "--tls-key-file", "--policy",
        "--log-format", "--log-level", "--reconcile", "--leader-elect", "--leader-election-namespace"}) {
    EXPECT_TRUE(flag(args, name).present) << "missing " << name;
  }
  EXPECT_EQ(flag(args, "--bind-address").value, "0.0.0.0");
  EXPECT_EQ(flag(args, "--log-format").value, "json");
  EXPECT_EQ(flag(args, "--log-level").value, "info");
  EXPECT_EQ(flag(args, "--reconcile").value, "true");
  // Two replicas: only the Lease holder may reconcile, and the Role grants Leases in exactly this namespace.
  EXPECT_EQ(flag(args, "--leader-elect").value, "true");
  EXPECT_EQ(flag(args, "--leader-election-namespace").value, scalar(object("Role")["metadata"]["namespace"]));

  const auto ports = container()["ports"];
  EXPECT_EQ(flag(args, "--webhook-port").value, scalar(find_by(ports, "name", "webhook")["containerPort"]));
  EXPECT_EQ(flag(args, "--health-port").value, scalar(find_by(ports, "name", "health")["containerPort"]));

  // The TLS files come from the Secret the Certificate (or webhook-certs.sh) writes.
  const auto tls_secret = scalar(object("Certificate")["spec"]["secretName"]);
  EXPECT_EQ(tls_secret, "herd-webhook-tls");
  const auto tls_dir = mount_path_of("secret", "secretName", tls_secret);
  ASSERT_FALSE(tls_dir.empty()) << "no volume mounts Secret " << tls_secret;
  EXPECT_EQ(flag(args, "--tls-cert-file").value, tls_dir + "/tls.crt");
  EXPECT_EQ(flag(args, "--tls-key-file").value, tls_dir + "/tls.key");

  // --policy names a key of the mounted herd-policy ConfigMap.
  const auto config_map = object("ConfigMap");
  const auto policy_dir = mount_path_of("configMap", "name", scalar(config_map["metadata"]["name"]));
  ASSERT_FALSE(policy_dir.empty()) << "no volume mounts ConfigMap herd-policy";
  const auto policy_file = fs::path(flag(args, "--policy").value);
  EXPECT_EQ(policy_file.parent_path().string(), policy_dir);
  EXPECT_TRUE(config_map["data"][policy_file.filename().string()]) << "the ConfigMap has no key for --policy";

  for (const auto& mount : container()["volumeMounts"]) {
    EXPECT_EQ(scalar(mount["readOnly"]), "true") << scalar(mount["name"]);
  }
}

// Least privilege, rule by rule: a verb added here must be added to the test on purpose, and no wildcard
// ever slips in.
TEST_F(ManifestsKustomize, RbacGrantsTheReconcilerExactlyWhatItUses) {
  using Grants = std::map<std::string, std::set<std::string>>; // "group/resource" -> verbs
  const auto grants_of = [](const YAML::Node& role) {
    Grants grants;
    for (const YAML::Node& rule : role["rules"]) {
      for (const auto& group : scalars(rule["apiGroups"])) {
        const std::string group_prefix = group + "/";
        for (const auto& resource : scalars(rule["resources"])) {
          for (const auto& verb : scalars(rule["verbs"])) {
            grants[group_prefix + resource].insert(verb);
          }
        }
      }
    }
    return grants;
  };
  const Grants cluster_wide = {
      {"herd.suse.com/stacks", {"list", "watch", "patch"}},
      {"herd.suse.com/stacks/status", {"update"}},
      {"fleet.cattle.io/bundles", {"get", "list", "watch", "create", "patch", "delete"}},
      {"fleet.cattle.io/bundledeployments", {"list", "watch"}},
      {"fleet.cattle.io/clusters", {"list", "watch"}},
      {"/configmaps", {"list", "watch"}},
      {"/events", {"create"}},
  };
  EXPECT_EQ(grants_of(object("ClusterRole")), cluster_wide);
  const Grants leader_election = {{"coordination.k8s.io/leases", {"get", "create", "update"}}};
  EXPECT_EQ(grants_of(object("Role")), leader_election);
  EXPECT_EQ(scalar(object("Role")["metadata"]["namespace"]), k_namespace);

  for (const std::string kind : {"ClusterRoleBinding", "RoleBinding"}) {
    const auto binding = object(kind);
    const std::string role_kind = kind == "RoleBinding" ? "Role" : "ClusterRole";
    EXPECT_EQ(scalar(binding["roleRef"]["kind"]), role_kind) << kind;
    EXPECT_EQ(scalar(binding["roleRef"]["name"]), scalar(object(role_kind)["metadata"]["name"])) << kind;
    ASSERT_EQ(binding["subjects"].size(), 1U) << kind;
    EXPECT_EQ(scalar(binding["subjects"][0]["kind"]), "ServiceAccount") << kind;
    EXPECT_EQ(scalar(binding["subjects"][0]["name"]), scalar(object("ServiceAccount")["metadata"]["name"]));
    EXPECT_EQ(scalar(binding["subjects"][0]["namespace"]), k_namespace) << kind;
  }
}

TEST_F(ManifestsKustomize, DisruptionBudgetKeepsOneControllerPod) {
  const auto budget = object("PodDisruptionBudget");
  EXPECT_EQ(scalar(budget["apiVersion"]), "policy/v1");
  EXPECT_EQ(scalar(budget["spec"]["minAvailable"]), "1");
  const auto selector = string_map(budget["spec"]["selector"]["matchLabels"]);
  ASSERT_FALSE(selector.empty());
  EXPECT_EQ(selector, string_map(object("Deployment")["spec"]["selector"]["matchLabels"]));
  EXPECT_TRUE(contains_all(pod_labels(), selector));
}

TEST_F(ManifestsKustomize, ServiceRoutesToTheWebhookAndHealthPorts) {
  const auto service = object("Service");
  const auto selector = string_map(service["spec"]["selector"]);
  ASSERT_FALSE(selector.empty());
  EXPECT_TRUE(contains_all(pod_labels(), selector));
  const auto ports = service["spec"]["ports"];
  EXPECT_EQ(scalar(find_by(ports, "port", "443")["targetPort"]), "webhook");
  const auto metrics = find_by(ports, "name", "metrics");
  EXPECT_EQ(scalar(metrics["port"]), "8080");
  EXPECT_EQ(scalar(metrics["targetPort"]), "health");
}

struct WebhookExpectation {
  std::string kind;
  std::string webhook;
  std::string path;
};

TEST_F(ManifestsKustomize, WebhookConfigurationsFailClosedAndReachTheService) {
  const auto service = object("Service");
  const auto certificate = object("Certificate");
  const auto inject_ca_from =
      scalar(certificate["metadata"]["namespace"]) + "/" + scalar(certificate["metadata"]["name"]);
  for (const auto& expected :
       {WebhookExpectation{"MutatingWebhookConfiguration", "mstack.herd.suse.com", "/mutate-stack"},
        WebhookExpectation{"ValidatingWebhookConfiguration", "vstack.herd.suse.com", "/validate-stack"}}) {
    SCOPED_TRACE(expected.kind);
    const auto configuration = object(expected.kind);
    EXPECT_EQ(scalar(configuration["apiVersion"]), "admissionregistration.k8s.io/v1");
    EXPECT_EQ(scalar(configuration["metadata"]["annotations"]["cert-manager.io/inject-ca-from"]),
              inject_ca_from);
    const auto webhooks = configuration["webhooks"];
    ASSERT_TRUE(webhooks && webhooks.IsSequence());
    ASSERT_EQ(webhooks.size(), 1U);
    const auto webhook = webhooks[0];
    EXPECT_EQ(scalar(webhook["name"]), expected.webhook);
    EXPECT_EQ(scalar(webhook["failurePolicy"]), "Fail");
    EXPECT_EQ(scalar(webhook["sideEffects"]), "None");
    EXPECT_EQ(scalar(webhook["timeoutSeconds"]), "5");
    EXPECT_EQ(scalars(webhook["admissionReviewVersions"]), std::vector<std::string>{"v1"});
    EXPECT_EQ(scalar(webhook["matchPolicy"]), "Equivalent");

    const auto conditions = webhook["matchConditions"];
    ASSERT_TRUE(conditions && conditions.IsSequence());
    ASSERT_EQ(conditions.size(), 1U);
    EXPECT_EQ(scalar(conditions[0]["name"]), "skip-metadata-only-updates");
    EXPECT_EQ(scalar(conditions[0]["expression"]), k_skip_metadata_only_updates);

    const auto selector = webhook["namespaceSelector"];
    EXPECT_FALSE(selector["matchLabels"]);
    const auto expressions = selector["matchExpressions"];
    ASSERT_TRUE(expressions && expressions.IsSequence());
    ASSERT_EQ(expressions.size(), 1U);
    EXPECT_EQ(scalar(expressions[0]["key"]), "kubernetes.io/metadata.name");
    EXPECT_EQ(scalar(expressions[0]["operator"]), "NotIn");
    EXPECT_EQ(scalar_set(expressions[0]["values"]), (std::set<std::string>{"kube-system", k_namespace}));

    const auto rules = webhook["rules"];
    ASSERT_TRUE(rules && rules.IsSequence());
    ASSERT_EQ(rules.size(), 1U);
    EXPECT_EQ(scalars(rules[0]["apiGroups"]), std::vector<std::string>{"herd.suse.com"});
    EXPECT_EQ(scalars(rules[0]["apiVersions"]), std::vector<std::string>{"v1"});
    EXPECT_EQ(scalars(rules[0]["resources"]), std::vector<std::string>{"stacks"}) << "never stacks/status";
    EXPECT_EQ(scalar_set(rules[0]["operations"]), (std::set<std::string>{"CREATE", "UPDATE"}));
    EXPECT_EQ(scalar(rules[0]["scope"]), "Namespaced");

    const auto client = webhook["clientConfig"];
    EXPECT_FALSE(client["url"]);
    EXPECT_EQ(scalar(client["service"]["name"]), scalar(service["metadata"]["name"]));
    EXPECT_EQ(scalar(client["service"]["namespace"]), scalar(service["metadata"]["namespace"]));
    EXPECT_EQ(scalar(client["service"]["path"]), expected.path);
    EXPECT_EQ(scalar(client["service"]["port"]), "443");
    EXPECT_TRUE(find_by(service["spec"]["ports"], "port", scalar(client["service"]["port"])))
        << "the Service has no port " << scalar(client["service"]["port"]);
  }
  EXPECT_EQ(scalar(object("MutatingWebhookConfiguration")["webhooks"][0]["reinvocationPolicy"]), "Never");
}

TEST_F(ManifestsKustomize, CertificateCoversTheServiceDnsNames) {
  const auto service = object("Service");
  const auto service_dns =
      scalar(service["metadata"]["name"]) + "." + scalar(service["metadata"]["namespace"]) + ".svc";
  const auto certificate = object("Certificate");
  EXPECT_EQ(scalar(certificate["apiVersion"]), "cert-manager.io/v1");
  const auto dns_names = scalar_set(certificate["spec"]["dnsNames"]);
  EXPECT_TRUE(dns_names.contains(service_dns)) << service_dns;
  EXPECT_TRUE(dns_names.contains(service_dns + ".cluster.local"));
  EXPECT_EQ(scalar(certificate["spec"]["privateKey"]["algorithm"]), "ECDSA");
  EXPECT_EQ(scalar(certificate["spec"]["privateKey"]["rotationPolicy"]), "Always");

  const auto issuer = object("Issuer");
  EXPECT_EQ(scalar(certificate["spec"]["issuerRef"]["kind"]), "Issuer");
  EXPECT_EQ(scalar(certificate["spec"]["issuerRef"]["name"]), scalar(issuer["metadata"]["name"]));
  EXPECT_TRUE(issuer["spec"]["selfSigned"] && issuer["spec"]["selfSigned"].IsMap());
}

TEST_F(ManifestsKustomize, PolicyConfigMapHoldsTheDefaultPolicyByteForByte) {
  const auto config_map = object("ConfigMap");
  ASSERT_TRUE(config_map["data"]["policy.yaml"]);
  EXPECT_EQ(config_map["data"]["policy.yaml"].as<std::string>(),
            read_text(k_source_dir / "schema" / "default-policy.yaml"))
      << "copy schema/default-policy.yaml to manifests/controller/policy.yaml";
  EXPECT_EQ(config_map["data"].size(), 1U);
}

TEST_F(ManifestsKustomize, ImageIsSetOnlyThroughTheKustomizeImagesField) {
  const auto kustomization = YAML::LoadFile((k_manifests_dir / "kustomization.yaml").string());
  const auto images = kustomization["images"];
  ASSERT_TRUE(images && images.IsSequence());
  ASSERT_EQ(images.size(), 1U);
  const auto name = scalar(images[0]["name"]);
  const auto new_name = scalar(images[0]["newName"]);
  const auto new_tag = scalar(images[0]["newTag"]);
  EXPECT_EQ(name, "herd-controller");
  ASSERT_FALSE(new_name.empty());
  ASSERT_FALSE(new_tag.empty());
  EXPECT_EQ(scalar(container()["image"]), new_name + ":" + new_tag);

  // The Deployment file itself names only the image variable, so one edit (or `kustomize edit set image`)
  // moves every reference.
  const auto source = YAML::LoadFile((k_manifests_dir / "controller" / "deployment.yaml").string());
  EXPECT_EQ(scalar(source["spec"]["template"]["spec"]["containers"][0]["image"]), name);
  for (const auto& entry : fs::directory_iterator(k_manifests_dir / "controller")) {
    EXPECT_EQ(read_text(entry.path()).find(new_name), std::string::npos) << entry.path();
  }
}

// A cluster without cert-manager drops one line of the kustomization (see its comment) and still gets
// everything else.
TEST_F(ManifestsKustomize, RendersWithoutTheCertManagerFile) {
  const TempDir copy;
  fs::copy(k_manifests_dir, copy.path() / "manifests", fs::copy_options::recursive);
  const fs::path kustomization = copy.path() / "manifests" / "kustomization.yaml";
  std::istringstream lines(read_text(kustomization));
  std::string kept;
  int dropped = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("- controller/cert-manager.yaml")) {
      ++dropped;
      continue;
    }
    kept += line + "\n";
  }
  ASSERT_EQ(dropped, 1) << "kustomization.yaml lists controller/cert-manager.yaml on a line of its own";
  write_text(kustomization, kept);

  const auto without = render(copy.path() / "manifests");
  ASSERT_EQ(without.result.code, 0) << without.result.err;
  ASSERT_TRUE(without.parse_error.empty()) << without.parse_error;
  auto expected = kind_counts(objects());
  expected.erase("Certificate");
  expected.erase("Issuer");
  EXPECT_EQ(kind_counts(without.objects), expected);
  for (const auto& object : without.objects) {
    EXPECT_FALSE(scalar(object["apiVersion"]).starts_with("cert-manager.io/")) << scalar(object["kind"]);
  }
}

// scripts/webhook-certs.sh: the no-cert-manager path.
class ManifestsWebhookCerts : public ::testing::Test {
protected:
  static std::string script() { return quote(k_certs_script.string()); }

  static CommandResult openssl(const std::string& args) { return run("openssl " + args); }

  static std::string subject_alt_names(const fs::path& cert) {
    return openssl("x509 -noout -ext subjectAltName -in " + quote(cert.string())).out;
  }

  // Neither output shows a private key: no PEM block, and none of the written keys, as PEM lines or base64.
  static void expect_no_private_key(const CommandResult& result, const fs::path& out = {}) {
    std::vector<std::string> secrets = {"PRIVATE KEY", "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0t"};
    for (const std::string name : {"ca.key", "tls.key"}) {
      if (out.empty() || !fs::exists(out / name)) {
        continue;
      }
      secrets.push_back(openssl("base64 -A -in " + quote((out / name).string())).out);
      std::istringstream pem(read_text(out / name));
      for (std::string line; std::getline(pem, line);) {
        if (!line.starts_with("-----")) {
          secrets.push_back(line);
        }
      }
    }
    for (const auto& secret : secrets) {
      ASSERT_FALSE(secret.empty());
      EXPECT_EQ(result.out.find(secret), std::string::npos) << "stdout shows a private key: " << secret;
      EXPECT_EQ(result.err.find(secret), std::string::npos) << "stderr shows a private key: " << secret;
    }
  }

  static std::set<std::string> file_names(const fs::path& dir) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
      names.insert(entry.path().filename().string());
    }
    return names;
  }

  [[nodiscard]] const fs::path& temp() const { return m_temp.path(); }

private:
  TempDir m_temp;
};

TEST_F(ManifestsWebhookCerts, NoApplyWritesACaAndAServingCertificateForTheServiceDnsNames) {
  const fs::path out = temp() / "certs";
  const auto result = run(script() + " --no-apply --out " + quote(out.string()));
  ASSERT_EQ(result.code, 0) << result.out << result.err;
  expect_no_private_key(result, out);
  EXPECT_EQ(file_names(out), (std::set<std::string>{"ca.crt", "ca.key", "tls.crt", "tls.key"}));

  const auto ca = quote((out / "ca.crt").string());
  const auto cert = quote((out / "tls.crt").string());
  const auto verified = openssl("verify -CAfile " + ca + " " + cert);
  EXPECT_EQ(verified.code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find(": OK"), std::string::npos) << verified.out;

  const auto sans = subject_alt_names(out / "tls.crt");
  EXPECT_NE(sans.find("DNS:herd-webhook.herd-system.svc,"), std::string::npos) << sans;
  EXPECT_NE(sans.find("DNS:herd-webhook.herd-system.svc.cluster.local"), std::string::npos) << sans;

  // The key belongs to the certificate, and neither key is readable by others.
  const auto cert_key = openssl("x509 -noout -pubkey -in " + cert);
  const auto key = openssl("pkey -pubout -in " + quote((out / "tls.key").string()));
  ASSERT_EQ(key.code, 0) << key.err;
  EXPECT_EQ(cert_key.out, key.out);
  for (const std::string name : {"ca.key", "tls.key"}) {
    const auto permissions = fs::status(out / name).permissions();
    EXPECT_EQ(permissions & (fs::perms::group_all | fs::perms::others_all), fs::perms::none) << name;
  }

  // It prints the caBundle to paste into the webhook configurations.
  const auto bundle = openssl("base64 -A -in " + ca).out;
  ASSERT_FALSE(bundle.empty());
  EXPECT_NE(result.out.find("caBundle: " + bundle), std::string::npos) << result.out;
}

TEST_F(ManifestsWebhookCerts, CertificatesHaveTheirRolesAndLifetimes) {
  const fs::path out = temp() / "certs";
  ASSERT_EQ(run(script() + " --no-apply --out " + quote(out.string())).code, 0);
  const auto ca = quote((out / "ca.crt").string());
  const auto cert = quote((out / "tls.crt").string());
  EXPECT_NE(openssl("x509 -noout -ext basicConstraints -in " + ca).out.find("CA:TRUE"), std::string::npos);
  EXPECT_NE(openssl("x509 -noout -ext basicConstraints -in " + cert).out.find("CA:FALSE"), std::string::npos);
  EXPECT_NE(
      openssl("x509 -noout -ext extendedKeyUsage -in " + cert).out.find("TLS Web Server Authentication"),
      std::string::npos);
  constexpr long k_day = 86400;
  // -checkend N exits 0 when the certificate is still valid N seconds from now.
  EXPECT_EQ(openssl("x509 -noout -checkend " + std::to_string(364 * k_day) + " -in " + cert).code, 0);
  EXPECT_NE(openssl("x509 -noout -checkend " + std::to_string(366 * k_day) + " -in " + cert).code, 0);
  EXPECT_EQ(openssl("x509 -noout -checkend " + std::to_string(3649 * k_day) + " -in " + ca).code, 0);
}

TEST_F(ManifestsWebhookCerts, NamespaceAndServiceOptionsChangeTheDnsNames) {
  const fs::path out = temp() / "certs";
  const auto result =
      run(script() + " --no-apply --namespace team-a --service hooks --out " + quote(out.string()));
  ASSERT_EQ(result.code, 0) << result.err;
  const auto sans = subject_alt_names(out / "tls.crt");
  EXPECT_NE(sans.find("DNS:hooks.team-a.svc,"), std::string::npos) << sans;
  EXPECT_NE(sans.find("DNS:hooks.team-a.svc.cluster.local"), std::string::npos) << sans;
  EXPECT_EQ(sans.find("herd-webhook"), std::string::npos) << sans;
}

TEST_F(ManifestsWebhookCerts, HelpAndBadArguments) {
  const auto help = run(script() + " --help");
  EXPECT_EQ(help.code, 0);
  for (const std::string option : {"--namespace", "--service", "--out", "--no-apply"}) {
    EXPECT_NE(help.out.find(option), std::string::npos) << option;
  }
  const auto unknown = run(script() + " --bogus");
  EXPECT_NE(unknown.code, 0);
  EXPECT_NE(unknown.err.find("--bogus"), std::string::npos) << unknown.err;
  const auto missing = run(script() + " --out");
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.err.find("--out"), std::string::npos) << missing.err;
  const auto invalid =
      run(script() + " --no-apply --namespace 'Not_A_Name' --out " + quote((temp() / "certs").string()));
  EXPECT_NE(invalid.code, 0);
  EXPECT_FALSE(fs::exists(temp() / "certs"));
}

// The apply path against a kubectl stand-in that records what it is asked to do (`create --dry-run=client`,
// which needs no cluster, goes to the real kubectl).
TEST_F(ManifestsWebhookCerts, AppliesTheSecretAndPatchesBothWebhookConfigurations) {
  const auto real_kubectl = run("command -v kubectl");
  ASSERT_EQ(real_kubectl.code, 0) << "kubectl is not on PATH";
  const fs::path bin = temp() / "bin";
  const fs::path log = temp() / "kubectl.log";
  const fs::path applied = temp() / "applied.yaml";
  fs::create_directories(bin);
  std::string stub = R"(#!/bin/sh
printf '%s\n' "$*" >>@LOG@
case " $* " in
  *' create '*) exec @KUBECTL@ "$@" ;; # create --dry-run=client -o yaml needs no cluster
  *' apply '*) cat >@APPLIED@; echo 'secret/herd-webhook-tls configured' ;;
  *' get '*go-template*) printf 1 ;; # the number of webhooks in a configuration
esac
exit 0
)";
  replace(stub, "@LOG@", quote(log.string()));
  replace(stub, "@KUBECTL@", quote(real_kubectl.out.substr(0, real_kubectl.out.find('\n'))));
  replace(stub, "@APPLIED@", quote(applied.string()));
  write_text(bin / "kubectl", stub);
  fs::permissions(bin / "kubectl", fs::perms::owner_all);

  const fs::path out = temp() / "certs";
  const auto result =
      run("PATH=" + quote(bin.string()) + ":\"$PATH\" " + script() + " --out " + quote(out.string()));
  ASSERT_EQ(result.code, 0) << result.out << result.err << read_text(log);
  expect_no_private_key(result, out);
  EXPECT_EQ(file_names(out), (std::set<std::string>{"ca.crt", "ca.key", "tls.crt", "tls.key"}));

  const auto secret = YAML::LoadFile(applied.string());
  EXPECT_EQ(scalar(secret["kind"]), "Secret");
  EXPECT_EQ(scalar(secret["metadata"]["name"]), "herd-webhook-tls");
  EXPECT_EQ(scalar(secret["metadata"]["namespace"]), k_namespace);
  EXPECT_EQ(scalar(secret["type"]), "kubernetes.io/tls");
  const auto ca_bundle = openssl("base64 -A -in " + quote((out / "ca.crt").string())).out;
  ASSERT_FALSE(ca_bundle.empty());
  EXPECT_EQ(scalar(secret["data"]["ca.crt"]), ca_bundle);
  EXPECT_EQ(scalar(secret["data"]["tls.crt"]),
            openssl("base64 -A -in " + quote((out / "tls.crt").string())).out);
  EXPECT_EQ(scalar(secret["data"]["tls.key"]),
            openssl("base64 -A -in " + quote((out / "tls.key").string())).out);

  std::map<std::string, YAML::Node> patches;
  std::istringstream calls(read_text(log));
  for (std::string call; std::getline(calls, call);) {
    if (!call.starts_with("patch ")) {
      continue;
    }
    std::istringstream words(call);
    std::string verb;
    std::string kind;
    std::string name;
    words >> verb >> kind >> name;
    EXPECT_NE(call.find("--type=json"), std::string::npos) << call;
    const auto json_start = call.find("-p [");
    ASSERT_NE(json_start, std::string::npos) << call;
    kind += '/';
    kind += name;
    patches[kind] = YAML::Load(call.substr(json_start + 3));
  }
  ASSERT_EQ(patches.size(), 2U) << read_text(log);
  for (const std::string target : {"mutatingwebhookconfiguration/herd-stack-mutating",
                                   "validatingwebhookconfiguration/herd-stack-validating"}) {
    SCOPED_TRACE(target);
    ASSERT_TRUE(patches.contains(target));
    const auto patch = patches[target];
    ASSERT_TRUE(patch.IsSequence());
    ASSERT_EQ(patch.size(), 1U);
    EXPECT_EQ(scalar(patch[0]["op"]), "add");
    EXPECT_EQ(scalar(patch[0]["path"]), "/webhooks/0/clientConfig/caBundle");
    EXPECT_EQ(scalar(patch[0]["value"]), ca_bundle);
  }
}

TEST_F(ManifestsWebhookCerts, FailsClearlyAndWritesNothingWithoutACluster) {
  const fs::path kubeconfig = temp() / "kubeconfig";
  write_text(kubeconfig, "apiVersion: v1\nkind: Config\n"
                         "clusters: [{name: none, cluster: {server: 'https://127.0.0.1:1'}}]\n"
                         "users: [{name: none, user: {token: unused}}]\n"
                         "contexts: [{name: none, context: {cluster: none, user: none}}]\n"
                         "current-context: none\n");
  const fs::path out = temp() / "certs";
  const auto result =
      run("KUBECONFIG=" + quote(kubeconfig.string()) + " " + script() + " --out " + quote(out.string()));
  EXPECT_NE(result.code, 0);
  EXPECT_NE(result.err.find("webhook-certs: error: cannot read namespace 'herd-system'"), std::string::npos)
      << result.err;
  expect_no_private_key(result);
  EXPECT_FALSE(fs::exists(out));
}

} // namespace
