// herd-controller's image. No Docker engine runs here, so the Dockerfile's build stage is a script that CI
// runs: scripts/build-controller.sh, here with --binary (the herd-controller of this build) to exercise its
// staging (the binary plus every shared library it loads but glibc's) without a second full build; and the
// Dockerfile itself is checked to run that script and to run as the Deployment's non-root user.
#include "../support/text_lines.hpp"
#include "distribution_helpers.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace herd::distribution::testing; // NOLINT(google-build-using-namespace): the test helpers
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using herd::testing::lines_of;

namespace {

const fs::path k_build_script = k_source_dir / "scripts" / "build-controller.sh";

// The Dockerfile's instructions (comments and continuation lines joined), as "INSTRUCTION arguments".
std::vector<std::string> instructions() {
  std::vector<std::string> result;
  std::string pending;
  for (const auto& line : lines_of(read_text(k_source_dir / "Dockerfile"))) {
    if (line.empty() || line.starts_with("#")) {
      continue;
    }
    pending += line;
    if (pending.ends_with("\\")) {
      pending.pop_back();
      continue;
    }
    result.push_back(pending);
    pending.clear();
  }
  return result;
}

std::vector<std::string> starting_with(const std::string& prefix) {
  std::vector<std::string> found;
  for (const auto& instruction : instructions()) {
    if (instruction.starts_with(prefix)) {
      found.push_back(instruction);
    }
  }
  return found;
}

} // namespace

TEST(ControllerImage, BuildScriptStagesTheBinaryAndEveryLibraryItLoads) {
  const TempDir dir;
  const fs::path out = dir.path() / "out";
  const CommandResult result = run(quote(k_build_script) + " --binary " +
                                   quote(std::string(HERD_CONTROLLER_BINARY)) + " --out " + quote(out));
  ASSERT_EQ(result.code, 0) << result.out << result.err;

  const fs::path binary = out / "herd-controller";
  ASSERT_TRUE(fs::is_regular_file(binary));
  EXPECT_NE(fs::status(binary).permissions() & fs::perms::owner_exec, fs::perms::none);
  std::set<std::string> staged;
  for (const auto& entry : fs::directory_iterator(out / "lib")) {
    staged.insert(entry.path().filename().string());
  }
  // What the runtime image lacks: cpp-httplib and what it pulls, yaml-cpp.
  EXPECT_THAT(staged, Contains("libcpp-httplib.so.0.11"));
  EXPECT_THAT(staged, Contains("libssl.so.3"));
  EXPECT_THAT(staged, Contains("libcrypto.so.3"));
  EXPECT_THAT(staged, Contains("libyaml-cpp.so.0.7"));
  for (const auto& name : staged) {
    EXPECT_FALSE(std::regex_match(name, std::regex("^(libc|libm|libpthread|libdl|librt|ld-linux.*)\\.so.*")))
        << name << " belongs to glibc: the image's own must be used";
  }

  // The staged binary runs with only its staged libraries (LD_LIBRARY_PATH stands in for the DT_RPATH of a
  // -DHERD_RELEASE=ON build, which this test build lacks).
  const CommandResult help =
      run("cd / && env LD_LIBRARY_PATH=" + quote(out / "lib") + " " + quote(binary) + " --help");
  EXPECT_EQ(help.code, 0) << help.err;
  EXPECT_THAT(help.out, HasSubstr("--webhook-port"));
}

TEST(ControllerImage, BuildScriptNeedsAnOutputDirectory) {
  const CommandResult result =
      run(quote(k_build_script) + " --binary " + quote(std::string(HERD_CONTROLLER_BINARY)));
  EXPECT_EQ(result.code, 2);
  EXPECT_THAT(result.err, HasSubstr("--out DIR is required"));
}

TEST(ControllerImage, DockerfileBuildsWithTheScriptAndRunsNonRootOnDebianSlim) {
  const auto from = starting_with("FROM ");
  ASSERT_EQ(from.size(), 2U) << "two stages: build and runtime";
  EXPECT_EQ(from[0], "FROM debian:bookworm AS build");
  EXPECT_EQ(from[1], "FROM debian:bookworm-slim");
  // The build stage runs the script CI runs, nothing else.
  EXPECT_THAT(starting_with("RUN "), ElementsAre(HasSubstr("./scripts/build-controller.sh")));
  EXPECT_THAT(starting_with("RUN ")[0], HasSubstr("--out /out"));
  EXPECT_THAT(starting_with("COPY --from=build "), ElementsAre("COPY --from=build /out/ /opt/herd/"));
  EXPECT_THAT(starting_with("ENTRYPOINT "), ElementsAre(R"(ENTRYPOINT ["/opt/herd/herd-controller"])"));

  // The user is the Deployment's.
  const auto user = starting_with("USER ");
  ASSERT_EQ(user.size(), 1U);
  const YAML::Node deployment =
      YAML::LoadFile((k_source_dir / "manifests" / "controller" / "deployment.yaml").string());
  const YAML::Node security = deployment["spec"]["template"]["spec"]["securityContext"];
  EXPECT_EQ(user[0], "USER " + security["runAsUser"].Scalar() + ":" + security["runAsGroup"].Scalar());
  EXPECT_EQ(user[0], "USER 65532:65532");
  EXPECT_TRUE(security["runAsNonRoot"].as<bool>());

  // The build context leaves out build trees and release archives.
  const std::string ignored = read_text(k_source_dir / ".dockerignore");
  EXPECT_THAT(ignored, HasSubstr("/build*/"));
  EXPECT_THAT(ignored, HasSubstr("/dist/"));
}
