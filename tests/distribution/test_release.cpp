// The release archive and krew manifest of scripts/release.sh, made from the kubectl-herd of this build
// (--binary: no Release build here), checked against every rule krew's validator enforces
// (../shared/reference/krew/README.md) and installed per `files` as krew installs it; the same rules on the
// two real manifests of the krew index in ../shared/reference/krew/.
#include "distribution_helpers.hpp"
#include "krew_rules.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace herd::distribution::testing; // NOLINT(google-build-using-namespace): the test helpers
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

namespace {

const fs::path k_release_script = k_source_dir / "scripts" / "release.sh";

// The libraries of `binary` that are not glibc's, as ldd names them (what lib/ must hold).
std::set<std::string> bundled_libraries(const fs::path& binary) {
  static const std::regex k_glibc(
      "^(linux-vdso|ld-linux|libc\\.so|libm\\.so|libpthread\\.so|libdl\\.so|librt\\.so|libresolv\\.so|"
      "libutil\\.so|libanl\\.so|libmvec\\.so).*");
  std::set<std::string> names;
  std::istringstream lines(run("env -u LD_LIBRARY_PATH ldd " + quote(binary)).out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string name;
    std::string arrow;
    words >> name >> arrow;
    if (arrow == "=>" && !std::regex_match(name, k_glibc)) {
      names.insert(name);
    }
  }
  return names;
}

// The cluster commands' module, built next to kubectl-herd.
fs::path cluster_module() {
  return fs::path(HERD_PLUGIN_BINARY).parent_path() / "kubectl-herd-cluster.so";
}

// What lib/ must hold: the libraries of kubectl-herd and of its cluster module.
std::set<std::string> bundled_libraries() {
  std::set<std::string> names = bundled_libraries(HERD_PLUGIN_BINARY);
  names.merge(bundled_libraries(cluster_module()));
  return names;
}

// The version the built kubectl-herd reports, without its v.
std::string binary_version() {
  const std::string out = run(quote(std::string(HERD_PLUGIN_BINARY)) + " version -o json").out;
  std::smatch match;
  static const std::regex k_version(R"re("version": "v([^"]+)")re");
  return std::regex_search(out, match, k_version) ? match[1].str() : std::string();
}

std::string sha256_of(const fs::path& file) {
  const std::string out = run("sha256sum " + quote(file)).out;
  return out.substr(0, out.find(' '));
}

struct Release {
  TempDir dir;
  std::string version;
  CommandResult result;
  fs::path out() const { return dir.path() / "dist"; }
  fs::path archive() const { return out() / ("kubectl-herd_" + version + "_linux_amd64.tar.gz"); }
  fs::path manifest() const { return out() / "herd.yaml"; }
};

class KrewRelease : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    s_release = std::make_unique<Release>();
    s_release->version = binary_version();
    s_release->result = run(quote(k_release_script) + " --binary " + quote(std::string(HERD_PLUGIN_BINARY)) +
                            " --out " + quote(s_release->out()) + " " + quote(s_release->version));
  }
  static void TearDownTestSuite() { s_release.reset(); }

  void SetUp() override {
    ASSERT_FALSE(s_release->version.empty()) << "kubectl-herd version -o json names no version";
    ASSERT_EQ(s_release->result.code, 0) << s_release->result.out << s_release->result.err;
  }

  static const Release& release() { return *s_release; }
  static YAML::Node manifest() { return YAML::LoadFile(release().manifest().string()); }

private:
  static inline std::unique_ptr<Release> s_release;
};

} // namespace

// ----------------------------------------------------------------------------------------- release.sh

TEST(ReleaseScript, RefusesAnythingButASemanticVersionWithoutV) {
  const auto release = [](const std::string& args) { return run(quote(k_release_script) + " " + args); };
  const CommandResult with_v = release("v0.1.0");
  EXPECT_EQ(with_v.code, 2);
  EXPECT_THAT(with_v.err, HasSubstr("give VERSION without the leading v: 0.1.0"));
  for (const std::string bad : {"0.1", "01.0.0", "1.0.0-01", "1.0.0-", "1.2.3.4", "latest", "' '"}) {
    const CommandResult result = release(bad);
    EXPECT_EQ(result.code, 2) << bad;
    EXPECT_THAT(result.err, HasSubstr("is not a semantic version")) << bad;
  }
  const CommandResult missing = release("");
  EXPECT_EQ(missing.code, 2);
  EXPECT_THAT(missing.err, HasSubstr("VERSION is missing"));
  EXPECT_EQ(release("--bogus 0.1.0").code, 2);
  EXPECT_EQ(release("--help").code, 0);
}

TEST(ReleaseScript, RefusesABinaryReportingAnotherVersion) {
  const TempDir dir;
  const CommandResult result =
      run(quote(k_release_script) + " --binary " + quote(std::string(HERD_PLUGIN_BINARY)) + " --out " +
          quote(dir.path()) + " 99.0.0-rc.1");
  EXPECT_EQ(result.code, 2);
  EXPECT_THAT(result.err, HasSubstr("not v99.0.0-rc.1"));
  EXPECT_FALSE(fs::exists(dir.path() / "kubectl-herd_99.0.0-rc.1_linux_amd64.tar.gz"));
}

// ---------------------------------------------------------------------------------------- the archive

TEST_F(KrewRelease, ArchiveHoldsTheBinaryItsLibrariesTheCompletionScriptAndTheLicense) {
  const CommandResult listed = run("tar -tzf " + quote(release().archive()));
  ASSERT_EQ(listed.code, 0) << listed.err;
  std::set<std::string> entries;
  std::istringstream lines(listed.out);
  for (std::string line; std::getline(lines, line);) {
    entries.insert(line);
  }
  std::set<std::string> expected = {"kubectl-herd", "kubectl_complete-herd", "LICENSE", "lib/",
                                    "lib/kubectl-herd-cluster.so"};
  const auto libraries = bundled_libraries();
  EXPECT_THAT(libraries, Contains("libcpp-httplib.so.0.11")) << "Debian's cpp-httplib is a shared library";
  EXPECT_THAT(libraries, Contains("libssl.so.3"));
  // The offline commands start without the network stack: only the cluster module loads it.
  EXPECT_THAT(bundled_libraries(HERD_PLUGIN_BINARY), Not(Contains("libcpp-httplib.so.0.11")));
  EXPECT_THAT(bundled_libraries(HERD_PLUGIN_BINARY), Not(Contains("libssl.so.3")));
  for (const auto& library : libraries) {
    expected.insert("lib/" + library);
  }
  EXPECT_EQ(entries, expected);
  const CommandResult verbose = run("tar -tvzf " + quote(release().archive()));
  EXPECT_THAT(verbose.out, HasSubstr("-rwxr-xr-x 0/0")) << "executables, owned by 0";
  EXPECT_THAT(verbose.out, Not(HasSubstr(" 1000/"))) << verbose.out;
}

TEST_F(KrewRelease, Sha256FileAndManifestNameTheArchive) {
  const std::string sha = sha256_of(release().archive());
  ASSERT_EQ(sha.size(), 64U);
  EXPECT_EQ(read_text(release().archive().string() + ".sha256"),
            sha + "  " + release().archive().filename().string() + "\n");
  const YAML::Node platform = krew_platform(manifest(), "linux", "amd64");
  ASSERT_TRUE(platform) << "no linux/amd64 platform";
  EXPECT_EQ(krew_scalar(platform["sha256"]), sha);
  EXPECT_EQ(krew_scalar(platform["uri"]), "https://github.com/suse/herd/releases/download/v" +
                                              release().version + "/" +
                                              release().archive().filename().string());
  EXPECT_EQ(krew_scalar(platform["bin"]), "kubectl-herd");
  EXPECT_EQ(krew_scalar(manifest()["spec"]["version"]), "v" + release().version);
  EXPECT_EQ(krew_scalar(manifest()["metadata"]["name"]), "herd");
  const std::string caveats = krew_scalar(manifest()["spec"]["caveats"]);
  EXPECT_THAT(caveats, HasSubstr("kubectl_complete-herd"));
  EXPECT_THAT(caveats, HasSubstr("kubectl apply -k manifests/"));
  EXPECT_FALSE(krew_scalar(manifest()["spec"]["description"]).empty());
  EXPECT_FALSE(krew_scalar(manifest()["spec"]["homepage"]).empty());
}

TEST_F(KrewRelease, ManifestPassesEveryKrewRule) {
  EXPECT_THAT(krew_manifest_errors(release().manifest()), IsEmpty());
  // krew/herd.yaml.in is what the script renders: same text, placeholders filled.
  std::string rendered = read_text(k_source_dir / "krew" / "herd.yaml.in");
  for (const auto& [placeholder, value] : std::vector<std::pair<std::string, std::string>>{
           {"@VERSION@", release().version}, {"@SHA256@", sha256_of(release().archive())}}) {
    for (auto at = rendered.find(placeholder); at != std::string::npos; at = rendered.find(placeholder)) {
      rendered.replace(at, placeholder.size(), value);
    }
  }
  EXPECT_EQ(read_text(release().manifest()), rendered);
}

TEST_F(KrewRelease, InstallingPerFilesGivesARunnableBinaryAndALicense) {
  const TempDir dir;
  const fs::path unpacked = dir.path() / "download";
  const fs::path install = dir.path() / "store" / "herd" / ("v" + release().version);
  fs::create_directories(unpacked);
  ASSERT_EQ(run("tar -xzf " + quote(release().archive()) + " -C " + quote(unpacked)).code, 0);
  const YAML::Node platform = krew_platform(manifest(), "linux", "amd64");
  ASSERT_THAT(krew_install_files(platform, unpacked, install), IsEmpty());

  const fs::path bin = install / krew_scalar(platform["bin"]);
  ASSERT_TRUE(fs::is_regular_file(bin));
  EXPECT_NE(fs::status(bin).permissions() & fs::perms::owner_exec, fs::perms::none)
      << "bin is not executable";
  const CommandResult version = run("cd / && env -u LD_LIBRARY_PATH " + quote(bin) + " version");
  EXPECT_EQ(version.code, 0) << version.err;
  EXPECT_THAT(version.out, HasSubstr("kubectl-herd v" + release().version + " "));
  for (const auto& library : bundled_libraries()) {
    EXPECT_TRUE(fs::is_regular_file(install / "lib" / library)) << library;
  }
  EXPECT_TRUE(fs::is_regular_file(install / "lib" / "kubectl-herd-cluster.so"));

  // krew links bin into ~/.krew/bin; the user links kubectl_complete-herd next to it (the caveats say how).
  const fs::path krew_bin = dir.path() / "bin";
  fs::create_directories(krew_bin);
  fs::create_symlink(bin, krew_bin / "kubectl-herd");
  fs::create_symlink(install / "kubectl_complete-herd", krew_bin / "kubectl_complete-herd");
  const CommandResult linked = run("cd / && " + quote(krew_bin / "kubectl-herd") + " version");
  EXPECT_THAT(linked.out, HasSubstr("kubectl-herd v" + release().version + " ")) << linked.err;
  // Through the link too, a cluster command loads the module from the install's lib/ and gets as far as the
  // (missing) kubeconfig.
  const CommandResult cluster = run("cd / && env -u LD_LIBRARY_PATH " + quote(krew_bin / "kubectl-herd") +
                                    " get --kubeconfig " + quote(dir.path() / "no-such-kubeconfig"));
  EXPECT_EQ(cluster.code, 2);
  EXPECT_THAT(cluster.err, HasSubstr("no-such-kubeconfig"));
  EXPECT_THAT(cluster.err, Not(HasSubstr("kubectl-herd-cluster.so")));
  const CommandResult completion =
      run("cd / && env PATH=/usr/bin:/bin " + quote(krew_bin / "kubectl_complete-herd") + " rollout pa");
  EXPECT_EQ(completion.code, 0) << completion.err;
  EXPECT_THAT(completion.out, HasSubstr("pause\t"));

  // validate-krew-manifest requires a license file among the installed files.
  bool licensed = false;
  for (const auto& entry : fs::directory_iterator(install)) {
    const std::string name = lower_case(entry.path().filename().string());
    licensed = licensed || std::find(k_krew_license_names.begin(), k_krew_license_names.end(), name) !=
                               k_krew_license_names.end();
  }
  EXPECT_TRUE(licensed) << "no license file krew accepts in the install directory";
}

TEST_F(KrewRelease, ArchiveIsReproducible) {
  const TempDir again;
  const CommandResult result =
      run(quote(k_release_script) + " --binary " + quote(std::string(HERD_PLUGIN_BINARY)) + " --out " +
          quote(again.path()) + " " + quote(release().version));
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(sha256_of(again.path() / release().archive().filename()), sha256_of(release().archive()));
}

// ----------------------------------------------------------------------------------- the rules themselves

// Each rule catches what it is about: the rendered manifest, broken one way at a time.
TEST_F(KrewRelease, RulesCatchEachViolation) {
  const TempDir dir;
  const auto errors_of = [&dir](const std::function<void(YAML::Node&)>& change,
                                const std::string& file = "herd.yaml") {
    YAML::Node plugin = manifest();
    change(plugin);
    YAML::Emitter emitter;
    emitter << plugin;
    write_text(dir.path() / file, emitter.c_str());
    std::string all;
    for (const auto& error : krew_manifest_errors(dir.path() / file)) {
      all += error + "\n";
    }
    return all;
  };
  EXPECT_EQ(errors_of([](YAML::Node&) {}), "");
  EXPECT_THAT(errors_of([](YAML::Node&) {}, "herd.yml"), HasSubstr("extension"));
  EXPECT_THAT(errors_of([](YAML::Node&) {}, "kubectl-herd.yaml"), HasSubstr("is not the file name"));
  EXPECT_THAT(
      errors_of([](YAML::Node& p) { p["apiVersion"] = "krew.googlecontainertools.github.com/v1alpha1"; }),
      HasSubstr("apiVersion"));
  EXPECT_THAT(errors_of([](YAML::Node& p) { p["kind"] = "Plugins"; }), HasSubstr("kind"));
  EXPECT_THAT(errors_of([](YAML::Node& p) { p["metadata"]["name"] = "Lpt1"; }, "Lpt1.yaml"),
              HasSubstr("reserved Windows device name"));
  EXPECT_THAT(errors_of([](YAML::Node& p) { p["metadata"]["name"] = "her.d"; }, "her.d.yaml"),
              HasSubstr("does not match"));
  EXPECT_THAT(errors_of([](YAML::Node& p) { p["spec"]["shortDescription"] = "two\nlines"; }),
              HasSubstr("line break"));
  EXPECT_THAT(errors_of([](YAML::Node& p) { p["spec"].remove("shortDescription"); }), HasSubstr("missing"));
  for (const std::string bad : {"0.1.0", "v0.1", "v01.0.0", "v1.0.0-01", "version"}) {
    EXPECT_THAT(errors_of([&bad](YAML::Node& p) { p["spec"]["version"] = bad; }),
                HasSubstr("semantic version"))
        << bad;
  }
  EXPECT_EQ(errors_of([](YAML::Node& p) { p["spec"]["version"] = "v1.0.0-rc.1+build.5"; }), "");
  EXPECT_THAT(errors_of([](YAML::Node& p) { p["spec"]["platforms"] = YAML::Node(YAML::NodeType::Sequence); }),
              HasSubstr("no platforms"));
  const auto platform_errors = [&errors_of](const std::function<void(YAML::Node&)>& change) {
    return errors_of([&change](YAML::Node& p) {
      YAML::Node platform = p["spec"]["platforms"][0];
      change(platform);
    });
  };
  EXPECT_THAT(platform_errors([](YAML::Node& p) { p.remove("uri"); }), HasSubstr("uri is unset"));
  EXPECT_THAT(platform_errors([](YAML::Node& p) { p.remove("bin"); }), HasSubstr("bin is unset"));
  EXPECT_THAT(platform_errors([](YAML::Node& p) { p["sha256"] = std::string(64, 'A'); }),
              HasSubstr("^[a-f0-9]{64}$"));
  EXPECT_THAT(platform_errors([](YAML::Node& p) { p["files"] = YAML::Node(YAML::NodeType::Sequence); }),
              HasSubstr("files is given but empty"));
  EXPECT_THAT(platform_errors([](YAML::Node& p) { p["files"][0].remove("to"); }),
              HasSubstr("lacks from or to"));
  EXPECT_THAT(platform_errors([](YAML::Node& p) { p.remove("selector"); }), HasSubstr("missing or empty"));
  EXPECT_THAT(platform_errors([](YAML::Node& p) { p["selector"]["matchLabels"]["distro"] = "debian"; }),
              HasSubstr("\"distro\" is not os or arch"));
  EXPECT_THAT(platform_errors([](YAML::Node& p) {
                p["selector"]["matchLabels"] = YAML::Node(YAML::NodeType::Map);
                p["selector"]["matchExpressions"] = YAML::Load("[{key: os, operator: In, values: [linux]}]");
              }),
              HasSubstr("matchLabels is given but empty"));
  EXPECT_THAT(platform_errors([](YAML::Node& p) { p["selector"]["matchLabels"]["os"] = "plan9"; }),
              HasSubstr("matches no supported os/arch pair"));
  EXPECT_THAT(errors_of([](YAML::Node& p) {
                YAML::Node twin = YAML::Clone(p["spec"]["platforms"][0]);
                twin["selector"] =
                    YAML::Load("{matchExpressions: [{key: os, operator: In, values: [linux]}]}");
                p["spec"]["platforms"].push_back(twin);
              }),
              HasSubstr("linux/amd64 is matched by two platforms"));
}

// The real manifests of the krew index pass the same checks (and show both selector forms).
TEST(KrewReferenceManifests, PassTheSameRules) {
  const fs::path reference = k_source_dir / ".." / "shared" / "reference" / "krew";
  if (!fs::is_directory(reference)) {
    GTEST_SKIP() << reference << " is absent (a clone without the shared reference data)";
  }
  for (const std::string name : {"ctx.yaml", "tree.yaml"}) {
    EXPECT_THAT(krew_manifest_errors(reference / name), IsEmpty()) << name;
  }
  EXPECT_TRUE(krew_platform(YAML::LoadFile((reference / "ctx.yaml").string()), "darwin", "amd64"));
  EXPECT_FALSE(krew_platform(YAML::LoadFile((reference / "ctx.yaml").string()), "windows", "amd64"));
  // ctx's files extract its LICENSE from a folder of the tag tarball (kubectx-*/LICENSE).
  TempDir dir;
  fs::create_directories(dir.path() / "download" / "kubectx-0.11.0");
  write_text(dir.path() / "download" / "kubectx-0.11.0" / "kubectx", "#!/bin/sh\n");
  write_text(dir.path() / "download" / "kubectx-0.11.0" / "LICENSE", "license\n");
  const YAML::Node ctx = krew_platform(YAML::LoadFile((reference / "ctx.yaml").string()), "linux", "amd64");
  EXPECT_THAT(krew_install_files(ctx, dir.path() / "download", dir.path() / "install"), IsEmpty());
  EXPECT_TRUE(fs::exists(dir.path() / "install" / "kubectx"));
  EXPECT_TRUE(fs::exists(dir.path() / "install" / "LICENSE"));
}
