// Shell completion: the hidden `__complete` (cobra's protocol) as the real kubectl (>= 1.26) reaches it
// through kubectl_complete-herd, Stack names from the test API server, and the bash/zsh/fish scripts of
// `kubectl herd completion`.
#include "../../plugin/src/completion_command.hpp"
#include "cli_helpers.hpp"

#include <herd/test_apiserver/api_server.hpp>

#include <CLI/CLI.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using herd::plugin::testing::CliResult;
using herd::plugin::testing::run_cli;
using herd::plugin::testing::run_shell;
using herd::plugin::testing::TempDir;
using nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::IsSupersetOf;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

namespace {

namespace api = herd::test_apiserver;

bool have(const std::string& program) {
  return std::system(("command -v " + program + " >/dev/null 2>&1").c_str()) == 0;
}

std::string bin_dir() {
  return std::filesystem::path(HERD_PLUGIN_BINARY).parent_path().string();
}

// Runs `command` in a shell whose PATH starts with the plugin's folder (kubectl-herd and
// kubectl_complete-herd) and whose HOME is empty (no developer kubeconfig or krew plugins).
CliResult shell(const std::string& command, const std::string& kubeconfig = "/nonexistent") {
  return run_shell("export HOME=$(mktemp -d) PATH=" + bin_dir() + ":$PATH KUBECONFIG=" + kubeconfig + " && " +
                   command);
}

// A completion answer: the candidate lines and the directive of the last line.
struct Answer {
  std::vector<std::string> lines; // "value" or "value\tdescription"
  std::vector<std::string> values;
  int directive = -1;
  std::string raw;
};

Answer parse(const std::string& out) {
  Answer answer;
  answer.raw = out;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(":")) {
      answer.directive = std::stoi(line.substr(1));
      continue;
    }
    answer.lines.push_back(line);
    answer.values.push_back(line.substr(0, line.find('\t')));
  }
  return answer;
}

// `kubectl __complete herd ARGS` through the real kubectl: what a shell's kubectl completion asks.
Answer kubectl_complete(const std::string& args, const std::string& kubeconfig = "/nonexistent") {
  const CliResult result = shell("kubectl __complete herd " + args, kubeconfig);
  EXPECT_EQ(result.code, 0) << result.err;
  return parse(result.out);
}

class KubectlCompletion : public ::testing::Test {
protected:
  void SetUp() override {
    if (!have("kubectl")) {
      GTEST_SKIP() << "kubectl is not on PATH";
    }
  }
};

} // namespace

TEST_F(KubectlCompletion, ListsTheSubcommandsWithDescriptions) {
  const Answer answer = kubectl_complete("''");
  EXPECT_EQ(answer.directive, 4) << answer.raw; // ShellCompDirectiveNoFileComp
  EXPECT_THAT(answer.values,
              IsSupersetOf({"lint", "plan", "get", "rollout", "scaffold", "version", "completion"}));
  EXPECT_THAT(answer.values, Not(Contains("__complete")));
  EXPECT_THAT(answer.values, Not(Contains("__completeNoDesc")));
  EXPECT_THAT(answer.lines, Contains("lint\tCheck Stack files offline: schema, dependencies and policy"));
}

TEST_F(KubectlCompletion, ListsTheRolloutSubcommands) {
  const Answer answer = kubectl_complete("rollout ''");
  EXPECT_EQ(answer.directive, 4) << answer.raw;
  EXPECT_THAT(answer.values, IsSupersetOf({"pause", "resume", "restart"}));
  for (const auto& value : answer.values) {
    EXPECT_THAT((std::vector<std::string>{"status", "pause", "resume", "restart"}), Contains(value));
  }
  EXPECT_THAT(kubectl_complete("rollout pa").values, ElementsAre("pause"));
  EXPECT_THAT(kubectl_complete("rollout re").values, UnorderedElementsAre("resume", "restart"));
}

TEST_F(KubectlCompletion, CompletesFlagsAndTheirValues) {
  const Answer flag = kubectl_complete("lint --o");
  EXPECT_EQ(flag.directive, 4) << flag.raw;
  EXPECT_THAT(flag.lines, ElementsAre("--output\tOutput format"));

  const Answer values = kubectl_complete("lint -o ''");
  EXPECT_THAT(values.values, ElementsAre("text", "json", "sarif", "junit"));
  EXPECT_EQ(values.directive, 4);
  EXPECT_THAT(kubectl_complete("lint --output=s").values, ElementsAre("--output=sarif"));
  // The global flags are offered under every command (CLI11's fallthrough), and their values too.
  EXPECT_THAT(kubectl_complete("get --kube").values, ElementsAre("--kubeconfig"));
  EXPECT_THAT(kubectl_complete("get --color ''").values, ElementsAre("auto", "always", "never"));
  // A flag already given is not offered again.
  EXPECT_THAT(kubectl_complete("lint --strict --s").values, IsEmpty());
  // Short names too.
  EXPECT_THAT(kubectl_complete("plan -").values, IsSupersetOf({"-f", "--filename", "-o", "--output", "-h"}));
}

TEST_F(KubectlCompletion, FilesWhereTheCommandTakesFilesNothingElsewhere) {
  const Answer lint = kubectl_complete("lint ''");
  EXPECT_THAT(lint.values, IsEmpty());
  EXPECT_EQ(lint.directive, 0) << "lint takes files: the shell completes file names";
  EXPECT_EQ(kubectl_complete("plan -f ''").directive, 0);
  EXPECT_EQ(kubectl_complete("--kubeconfig ''").directive, 0);
  EXPECT_EQ(kubectl_complete("plan --values-from ''").directive, 16) << "a directory";
  const Answer scaffold = kubectl_complete("scaffold ''");
  EXPECT_THAT(scaffold.values, IsEmpty());
  EXPECT_EQ(scaffold.directive, 4);
  EXPECT_THAT(kubectl_complete("completion ''").values, ElementsAre("bash", "zsh", "fish"));
  EXPECT_THAT(kubectl_complete("version ''").values, IsEmpty());
}

TEST_F(KubectlCompletion, NoDescVariantDropsDescriptions) {
  const CliResult result = shell("kubectl __completeNoDesc herd ''");
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("lint\n"));
  EXPECT_THAT(result.out, Not(HasSubstr("\t")));
}

TEST_F(KubectlCompletion, UnreachableClusterGivesNoNamesQuickly) {
  const TempDir dir;
  // Port 1 on the loopback: connection refused.
  const std::string kubeconfig = dir.file(
      "kubeconfig",
      "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:1'}\n"
      "contexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n"
      "users:\n- name: u\n  user: {}\n");
  const auto start = std::chrono::steady_clock::now();
  const CliResult result = shell("kubectl __complete herd get ''", kubeconfig);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, ":4\n");
  EXPECT_LT(took, std::chrono::seconds(10));
  // No kubeconfig at all: the same silence.
  EXPECT_EQ(shell("kubectl __complete herd rollout pause ''").out, ":4\n");
}

// ------------------------------------------------------------------------------- Stack names from a cluster

class StackNameCompletion : public KubectlCompletion {
protected:
  void SetUp() override {
    KubectlCompletion::SetUp();
    if (IsSkipped()) {
      return;
    }
    server = std::make_unique<api::ApiServer>(api::Options{});
    server->start();
    server->put({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "team-a"}}}});
    kubeconfig =
        dir.file("kubeconfig", "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n"
                               "    server: " +
                                   server->url() +
                                   "\ncontexts:\n- name: test\n  context: {cluster: test, user: test}\n"
                                   "current-context: test\nusers:\n- name: test\n  user: {}\n");
    server->put(stack("default", "rag-platform", "Deploying"));
    server->put(stack("default", "chat", "Deployed"));
    server->put(stack("team-a", "elsewhere", ""));
  }

  static json stack(const std::string& name_space, const std::string& name, const std::string& phase) {
    json object = {
        {"apiVersion", "herd.suse.com/v1"},
        {"kind", "Stack"},
        {"metadata", {{"name", name}, {"namespace", name_space}}},
        {"spec",
         {{"targets", {{"clusterIds", {"c-m-gpu01"}}}},
          {"charts", {{{"name", "app"}, {"repo", "https://charts.example.com"}, {"version", "1.2.3"}}}}}}};
    if (!phase.empty()) {
      object["status"] = {{"phase", phase}};
    }
    return object;
  }

  Answer complete(const std::string& args) const { return kubectl_complete(args, kubeconfig); }

  TempDir dir;
  std::unique_ptr<api::ApiServer> server;
  std::string kubeconfig;
};

TEST_F(StackNameCompletion, CommandsTakingAStackCompleteItsName) {
  const Answer get = complete("get ''");
  EXPECT_EQ(get.directive, 4) << get.raw;
  EXPECT_THAT(get.lines, ElementsAre("chat\tDeployed", "rag-platform\tDeploying"));
  for (const std::string command : {"rollout pause", "rollout resume", "rollout restart", "plan"}) {
    EXPECT_THAT(complete(command + " ''").values, ElementsAre("chat", "rag-platform")) << command;
  }
  if (std::ranges::count(complete("rollout ''").values, "status") == 1) {
    EXPECT_THAT(complete("rollout status r").values, ElementsAre("rag-platform"));
  }
  EXPECT_THAT(complete("rollout restart r").values, ElementsAre("rag-platform"));
}

TEST_F(StackNameCompletion, FollowsTheNamespaceAndKubeconfigOfTheCommandLine) {
  EXPECT_THAT(complete("-n team-a get ''").lines, ElementsAre("elsewhere"));
  EXPECT_THAT(complete("get --namespace=team-a ''").values, ElementsAre("elsewhere"));
  EXPECT_THAT(complete("rollout pause -n team-a e").values, ElementsAre("elsewhere"));
  // --kubeconfig on the command line wins over KUBECONFIG.
  const CliResult flag = shell("kubectl __complete herd --kubeconfig " + kubeconfig + " get c");
  EXPECT_EQ(parse(flag.out).values, std::vector<std::string>{"chat"}) << flag.out << flag.err;
  // -A: get takes no name across namespaces.
  EXPECT_THAT(complete("get -A ''").values, IsEmpty());
}

TEST_F(StackNameCompletion, OnlyTheFirstPositionalIsAStack) {
  const Answer answer = complete("rollout restart chat ''");
  EXPECT_THAT(answer.values, IsEmpty());
  EXPECT_EQ(answer.directive, 4);
  EXPECT_THAT(complete("rollout restart chat --ch").values, ElementsAre("--chart"));
}

// ------------------------------------------------------------------------------------- kubectl-herd directly

TEST(Completion, TheProtocolInProcess) {
  const CliResult result = run_cli({"__complete", "rollout", "pa"});
  EXPECT_EQ(result.code, 0);
  EXPECT_THAT(result.out, ::testing::MatchesRegex("pause\t[^\n]+\n:4\n"));
  EXPECT_EQ(run_cli({"__completeNoDesc", "rollout", "pa"}).out, "pause\n:4\n");
  EXPECT_EQ(run_cli({"__complete"}).out, run_cli({"__complete", ""}).out);
  // Help never shows the hidden commands.
  EXPECT_THAT(run_cli({"--help"}).out, Not(HasSubstr("__complete")));
  EXPECT_THAT(run_cli({"--help"}).out, HasSubstr("completion"));
}

TEST(Completion, KubectlCompleteHerdIsTheScriptNextToTheBinary) {
  const CliResult result = run_shell("cd / && " + bin_dir() + "/kubectl_complete-herd rollout pa");
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, parse(run_cli({"__complete", "rollout", "pa"}).out).raw);
  // Reached through a symbolic link elsewhere (ln -s onto the PATH), it still finds its kubectl-herd.
  const TempDir dir;
  std::filesystem::create_symlink(bin_dir() + "/kubectl_complete-herd", dir.path() / "kubectl_complete-herd");
  const CliResult linked =
      run_shell("env PATH=/usr/bin:/bin " + (dir.path() / "kubectl_complete-herd").string() + " rollout pa");
  EXPECT_EQ(linked.code, 0) << linked.err;
  EXPECT_EQ(linked.out, result.out);
}

TEST(Completion, CompleteWordsWalksAnyCli11AppAndAsksTheListerWithTheCommandLinesFlags) {
  // The pure part on an app of its own: nothing about Herd's commands is hard-wired.
  CLI::App app("test", "tool");
  app.fallthrough();
  std::string value;
  bool flag = false;
  app.add_option("--kubeconfig", value, "Path to the kubeconfig file");
  app.add_option("-n,--namespace", value, "Namespace");
  app.add_option("--request-timeout", value, "Timeout");
  CLI::App* show = app.add_subcommand("show", "Show one");
  show->add_option("STACK", value, "The Stack");
  show->add_flag("--all", flag, "All");
  CLI::App* hidden = app.add_subcommand("secret", "Hidden");
  hidden->group("");

  std::vector<herd::plugin::GlobalOptions> asked;
  const herd::plugin::StackLister lister = [&asked](const herd::plugin::GlobalOptions& global) {
    asked.push_back(global);
    return std::vector<herd::plugin::CompletionCandidate>{{"alpha", "Deployed"}, {"beta", ""}};
  };
  const auto values = [](const herd::plugin::CompletionResult& result) {
    std::vector<std::string> out;
    for (const auto& candidate : result.candidates) {
      out.push_back(candidate.value);
    }
    return out;
  };
  EXPECT_THAT(values(herd::plugin::complete_words(app, {""}, lister)), ElementsAre("show"));
  const auto names =
      herd::plugin::complete_words(app, {"--kubeconfig", "/k", "show", "-n", "ns", "a"}, lister);
  EXPECT_THAT(values(names), ElementsAre("alpha"));
  EXPECT_EQ(names.candidates[0].description, "Deployed");
  ASSERT_EQ(asked.size(), 1U);
  EXPECT_EQ(asked[0].kubeconfig, "/k");
  EXPECT_EQ(asked[0].namespace_name, "ns");
  EXPECT_EQ(asked[0].request_timeout, "2s") << "a short timeout unless the command line gives one";
  herd::plugin::complete_words(app, {"--request-timeout=9s", "show", ""}, lister);
  ASSERT_EQ(asked.size(), 2U);
  EXPECT_EQ(asked[1].request_timeout, "9s");
  EXPECT_THAT(values(herd::plugin::complete_words(app, {"show", "--"}, lister)),
              UnorderedElementsAre("--all", "--kubeconfig", "--namespace", "--request-timeout", "--help"));
  EXPECT_THAT(values(herd::plugin::complete_words(app, {"show", "alpha", ""}, lister)), IsEmpty());
  EXPECT_EQ(asked.size(), 2U) << "no positional left: the cluster is not asked";
}

// ------------------------------------------------------------------------------------------- the scripts

TEST(CompletionScripts, BashScriptParsesAndCompletesThroughKubectl) {
  if (!have("kubectl") || !have("bash")) {
    GTEST_SKIP() << "kubectl or bash is not on PATH";
  }
  const TempDir dir;
  const std::string script = (dir.path() / "herd.bash").string();
  const CliResult written = shell("kubectl herd completion bash > " + script);
  ASSERT_EQ(written.code, 0) << written.err;
  const CliResult syntax = run_shell("bash -n " + script);
  EXPECT_EQ(syntax.code, 0) << syntax.err;

  // What bash does on TAB: COMP_LINE/COMP_POINT set, the registered function called, COMPREPLY read.
  const auto tab = [&](const std::string& line) {
    return shell("bash -c 'source " + script + " && COMP_LINE=\"" + line +
                 "\" && COMP_POINT=${#COMP_LINE} && read -r -a COMP_WORDS <<<\"$COMP_LINE\" && "
                 "COMP_CWORD=${#COMP_WORDS[@]} && __kubectl_herd_complete; printf \"%s\\n\" "
                 "\"${COMPREPLY[@]}\"'")
        .out;
  };
  EXPECT_EQ(tab("kubectl herd rollout pa"), "pause\n");
  EXPECT_EQ(tab("kubectl-herd rollout pa"), "pause\n");
  EXPECT_EQ(tab("kubectl herd lint --output=js"), "json\n") << "bash replaces only what follows =";
  EXPECT_EQ(tab("kubectl herd completion "), "bash\nzsh\nfish\n");
  const CliResult registered = shell("bash -c 'source " + script + " && complete -p kubectl-herd kubectl'");
  EXPECT_THAT(registered.out, HasSubstr("-F __kubectl_herd_complete kubectl-herd"));
}

TEST(CompletionScripts, ZshScriptParses) {
  if (!have("zsh")) {
    GTEST_SKIP() << "zsh is not installed (not needed for anything else): its script is not syntax-checked";
  }
  const CliResult result = shell("kubectl-herd completion zsh | zsh -n");
  EXPECT_EQ(result.code, 0) << result.err;
}

TEST(CompletionScripts, FishScriptParses) {
  if (!have("fish")) {
    GTEST_SKIP() << "fish is not installed (not needed for anything else): its script is not syntax-checked";
  }
  const CliResult result = shell("kubectl-herd completion fish | fish --no-execute");
  EXPECT_EQ(result.code, 0) << result.err;
}

TEST(CompletionScripts, EveryScriptAsksKubectlHerdComplete) {
  for (const std::string shell_name : {"bash", "zsh", "fish"}) {
    const CliResult result = run_cli({"completion", shell_name});
    EXPECT_EQ(result.code, 0) << shell_name;
    EXPECT_THAT(result.out, HasSubstr("kubectl herd __complete")) << shell_name;
    EXPECT_THAT(result.out, HasSubstr("kubectl-herd")) << shell_name;
  }
  EXPECT_EQ(run_cli({"completion", "tcsh"}).code, 2);
  EXPECT_EQ(run_cli({"completion"}).code, 2);
}
