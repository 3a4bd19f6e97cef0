// The README is the user's reference: this suite runs it, so it cannot drift from the product.
//
// How README.md's fenced code blocks are read (its Development section says the same in one sentence):
// - ```console blocks are transcripts. A line `$ COMMAND` is a command (a trailing `\` continues it on the
//   next line); the lines after it, up to the next `$ ` line or the end of the block, are exactly what it
//   prints, stdout and stderr together (either stream first: they are separate pipes). In an output line,
//   `<commit>` stands for the 12-hex-digit git commit the binary was built from (`unknown` outside git).
//   A command must exit 0 unless its line ends with `# exit N`.
// - ```sh blocks are commands to copy. Every command (comments and blank lines skipped, `\` continuations
//   joined) is run and must exit 0, or N when its trailing comment starts with `exit N`. A command that
//   cannot run here is listed in k_not_run, with the reason.
// - `<!-- doctest: transcript of FILE TEST -->` before a ```text block: the block must be the lines TEST in
//   FILE asserts (its `std::vector<std::string>{...}` of string literals), so a transcript no static cluster
//   can produce (a watched rollout) is still output the product really prints.
// - `<!-- doctest: cluster -->` on the line just before a fence runs the block against a fresh test API
//   server (tests/apiserver) seeded from tests/fixtures/readme/cluster/, through a kubeconfig whose context
//   is `demo`. Without it, KUBECONFIG names a file that does not exist: no cluster.
// - Each block runs in a fresh directory holding copies of examples/, manifests/ and
//   tests/fixtures/readme/sandbox/, under `bash -o pipefail -c` (the README's commands are bash: `source
//   <(…)`), with the built kubectl-herd first on PATH, so `kubectl herd` is the real kubectl finding the
//   plugin, and NO_COLOR=1. The commands of one block share the directory, in order.
// Other blocks (```text, ```yaml, no language) are illustrations and are not run; neither is inline code.
#include "../support/temp_dir.hpp"
#include "../support/text_lines.hpp"
#include "../support/timestamps.hpp"
#include "cli_helpers.hpp"

#include <herd/core/bundle_renderer.hpp>
#include <herd/core/diagnostic_sink.hpp>
#include <herd/core/linter.hpp>
#include <herd/core/policy.hpp>
#include <herd/core/rule_catalog.hpp>
#include <herd/core/stack.hpp>
#include <herd/core/yaml_loader.hpp>
#include <herd/test_apiserver/api_server.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <spawn.h>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using herd::plugin::testing::source_path;
using nlohmann::json;
using ::testing::HasSubstr;

using herd::testing::ago;
using herd::testing::lines_of;

namespace {

namespace fs = std::filesystem;
namespace api = herd::test_apiserver;

const std::string k_readme = "README.md";
const std::string k_cluster_marker = "<!-- doctest: cluster -->";
const std::string k_transcript_marker = "<!-- doctest: transcript of ";
// A README command that hangs (a rollout status waiting forever) fails the test instead of hanging it.
constexpr std::chrono::seconds k_command_deadline{60};

// Commands of ```sh blocks this test does not run. Each entry is the start of a README command; a command
// starting with none of them is run, and an entry no README command starts with is stale (the test fails).
struct NotRun {
  std::string_view command_start;
  std::string_view reason;
  // Run the part before the first ` | ` instead: only the program after the pipe is missing here.
  bool run_before_pipe = false;
};

constexpr std::array k_not_run = {
    NotRun{"./scripts/install-deps.sh && cmake",
           "the quick start itself: CI and the fresh-root check run it on a bare Debian 12"},
    NotRun{"./scripts/test.sh", "it is the test run this test is part of"},
    NotRun{"./scripts/release.sh", "a full Release build; herd-distribution-tests runs it"},
    NotRun{"./scripts/check-release.sh", "needs root and debootstrap"},
    NotRun{"kubectl krew ", "krew is not installed here"},
    NotRun{"ln -s \"$HOME/.krew/", "needs a krew installation of the plugin"},
    NotRun{"docker ", "no Docker engine here"},
    NotRun{"(cd manifests && kustomize edit",
           "the kustomize binary is not installed (kubectl has no `edit`)"},
    NotRun{"kubectl apply -k manifests/",
           "needs a real cluster: Deployment, Service, RBAC and cert-manager kinds the test API server does "
           "not serve"},
    NotRun{"kubectl delete -k manifests/", "needs a real cluster, as kubectl apply -k manifests/"},
    NotRun{"./scripts/webhook-certs.sh",
           "needs a real cluster (herd-manifests-tests runs it with --no-apply)"},
    NotRun{"kubectl -n herd-system ",
           "needs a real cluster: Deployments, Pods, Endpoints, Secrets of herd-system"},
    NotRun{"kubectl delete stacks --all -A --wait", "waits for herd-controller to release each Stack's "
                                                    "finalizer; the test API server runs no controller"},
    NotRun{"kubectl get validatingwebhookconfiguration herd-stack-validating -o jsonpath",
           "reads the caBundle cert-manager or webhook-certs.sh injects, which only a real cluster has"},
    NotRun{"kubectl herd plan -f rag.yaml -o dot | dot -Tsvg", "Graphviz is not installed here", true},
};

struct SourceLine {
  int number = 0; // 1-based, in README.md
  std::string text;
};

struct CodeBlock {
  int fence_line = 0;
  std::string language;
  bool cluster = false;
  std::string transcript_of; // "FILE TEST" of a transcript marker
  std::vector<SourceLine> lines;
};

struct Readme {
  std::vector<CodeBlock> blocks;
  std::vector<SourceLine> problems; // malformed fences or markers, at their line
};

std::string read_file(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string readme() {
  return read_file(source_path(k_readme));
}

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// The fenced code blocks, with the indentation of their fence (a block in a list item) removed.
Readme parse_readme(const std::string& text) {
  const std::vector<std::string> lines = lines_of(text);
  const std::string unknown_marker = "unknown doctest marker (the markers are " + k_cluster_marker + " and " +
                                     k_transcript_marker + "FILE TEST -->)";
  Readme readme;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = trimmed(lines[i]);
    const int number = static_cast<int>(i) + 1;
    if (line.starts_with("<!-- doctest")) {
      if (line != k_cluster_marker && !(line.starts_with(k_transcript_marker) && line.ends_with(" -->"))) {
        readme.problems.push_back({number, unknown_marker});
      } else if (i + 1 >= lines.size() || !trimmed(lines[i + 1]).starts_with("```")) {
        readme.problems.push_back({number, "a doctest marker must be on the line just before a fence"});
      }
      continue;
    }
    if (!line.starts_with("```")) {
      continue;
    }
    CodeBlock block;
    block.fence_line = number;
    block.language = std::string(trimmed(line.substr(3)));
    const std::string_view marker = i > 0 ? trimmed(lines[i - 1]) : std::string_view();
    block.cluster = marker == k_cluster_marker;
    if (marker.starts_with(k_transcript_marker) && marker.ends_with(" -->")) {
      block.transcript_of = std::string(
          marker.substr(k_transcript_marker.size(), marker.size() - k_transcript_marker.size() - 4));
    }
    const std::size_t indent = lines[i].find_first_not_of(' ');
    bool closed = false;
    for (++i; i < lines.size(); ++i) {
      if (trimmed(lines[i]) == "```") {
        closed = true;
        break;
      }
      const std::size_t spaces = std::min(indent, lines[i].find_first_not_of(' '));
      block.lines.push_back({static_cast<int>(i) + 1, lines[i].substr(std::min(spaces, lines[i].size()))});
    }
    if (!closed) {
      readme.problems.push_back({block.fence_line, "this fence is never closed"});
    }
    readme.blocks.push_back(std::move(block));
  }
  return readme;
}

// ------------------------------------------------------------------------------------------ console blocks

struct Example {
  int line = 0;
  std::string command;
  int expected_exit = 0;
  std::vector<SourceLine> output;
};

// `COMMAND   # exit N` -> N, with the comment removed from `command`.
int take_exit_comment(std::string& command) {
  static const std::regex k_exit_comment(R"(\s+# exit (\d+)$)");
  std::smatch match;
  if (!std::regex_search(command, match, k_exit_comment)) {
    return 0;
  }
  const int code = std::stoi(match[1].str());
  command.erase(static_cast<std::size_t>(match.position(0)));
  return code;
}

std::vector<Example> console_examples(const CodeBlock& block, std::vector<SourceLine>& problems) {
  std::vector<Example> examples;
  for (std::size_t i = 0; i < block.lines.size(); ++i) {
    const SourceLine& line = block.lines[i];
    if (!line.text.starts_with("$ ")) {
      if (examples.empty()) {
        problems.push_back({line.number, "a console block starts with a `$ ` command line"});
        return examples;
      }
      examples.back().output.push_back(line);
      continue;
    }
    Example example;
    example.line = line.number;
    example.command = line.text.substr(2);
    while (example.command.ends_with('\\') && i + 1 < block.lines.size()) {
      example.command = std::string(trimmed(example.command.substr(0, example.command.size() - 1))) + ' ';
      example.command += trimmed(block.lines[++i].text);
    }
    example.expected_exit = take_exit_comment(example.command);
    examples.push_back(std::move(example));
  }
  return examples;
}

// Whether `actual` is exactly the expected lines, `<commit>` standing for a git commit.
bool output_matches(const std::vector<SourceLine>& expected, const std::string& actual) {
  std::string joined;
  bool placeholders = false;
  for (const auto& line : expected) {
    joined += line.text + "\n";
    placeholders = placeholders || line.text.find("<commit>") != std::string::npos;
  }
  if (!placeholders) {
    return joined == actual;
  }
  const std::vector<std::string> actual_lines = lines_of(actual);
  if (actual_lines.size() != expected.size() || (!actual.empty() && !actual.ends_with('\n'))) {
    return false;
  }
  static const std::regex k_special(R"([.^$|()\[\]{}*+?\\])");
  for (std::size_t i = 0; i < expected.size(); ++i) {
    std::string pattern = std::regex_replace(expected[i].text, k_special, R"(\$&)");
    for (std::size_t at = 0; (at = pattern.find("<commit>", at)) != std::string::npos;) {
      pattern.replace(at, 8, "([0-9a-f]{12}|unknown)");
    }
    if (!std::regex_match(actual_lines[i], std::regex(pattern))) {
      return false;
    }
  }
  return true;
}

// --------------------------------------------------------------------------------------------- sh blocks

struct ShellCommand {
  int line = 0;
  std::string command; // without its trailing comment
  int expected_exit = 0;
};

// Where the trailing comment of a shell line starts (a `#` at a word start, outside quotes), or npos.
std::size_t comment_start(std::string_view line) {
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0) {
      quote = c == quote ? '\0' : quote;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return i;
    }
  }
  return std::string_view::npos;
}

std::vector<ShellCommand> shell_commands(const CodeBlock& block) {
  static const std::regex k_exit_comment(R"(^#\s*exit (\d+)\b)");
  std::vector<ShellCommand> commands;
  for (std::size_t i = 0; i < block.lines.size(); ++i) {
    std::string text(trimmed(block.lines[i].text));
    if (text.empty() || text.starts_with('#')) {
      continue;
    }
    ShellCommand command;
    command.line = block.lines[i].number;
    while (text.ends_with('\\') && i + 1 < block.lines.size()) {
      text = std::string(trimmed(text.substr(0, text.size() - 1))) + ' ';
      text += trimmed(block.lines[++i].text);
    }
    const std::size_t comment = comment_start(text);
    if (comment != std::string::npos) {
      const std::string note = text.substr(comment);
      std::smatch match;
      if (std::regex_search(note, match, k_exit_comment)) {
        command.expected_exit = std::stoi(match[1].str());
      }
      text.erase(comment);
    }
    command.command = std::string(trimmed(text));
    commands.push_back(std::move(command));
  }
  return commands;
}

// ----------------------------------------------------------------------------------------- transcripts

// The elements of the first `std::vector<std::string>{...}` in the body of TEST `test` of `source` (adjacent
// string literals joined, as the compiler joins them); nullopt when there is no such TEST or list.
std::optional<std::vector<std::string>> asserted_lines(const std::string& source, const std::string& test) {
  const std::size_t at = source.find(", " + test + ")");
  const std::size_t list = source.find("std::vector<std::string>{", at);
  if (at == std::string::npos || list == std::string::npos) {
    return std::nullopt;
  }
  std::vector<std::string> lines;
  std::string element;
  bool open_element = false;
  for (std::size_t i = source.find('{', list) + 1; i < source.size(); ++i) {
    const char c = source[i];
    if (c == '/' && i + 1 < source.size() && source[i + 1] == '/') {
      i = source.find('\n', i); // a comment between the elements
      if (i == std::string::npos) {
        return std::nullopt;
      }
    } else if (c == '"') {
      for (++i; i < source.size() && source[i] != '"'; ++i) {
        element += source[i] == '\\' ? source[++i] : source[i];
      }
      open_element = true;
    } else if (c == ',' || c == '}') {
      if (open_element) {
        lines.push_back(std::move(element));
        element.clear();
        open_element = false;
      }
      if (c == '}') {
        return lines;
      }
    }
  }
  return std::nullopt;
}

// ------------------------------------------------------------------------------------ running a command

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
  bool timed_out = false;
};

// Runs `command` with bash in `directory`, with exactly `environment`, stdin empty. A process group of its
// own, so a command past the deadline is killed with everything it started.
Outcome run_command(const std::string& command,
                    const fs::path& directory,
                    const fs::path& capture_directory,
                    const std::vector<std::string>& environment) {
  const std::string out_file = (capture_directory / "stdout").string();
  const std::string err_file = (capture_directory / "stderr").string();
  const std::string directory_name = directory.string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addchdir_np(&actions, directory_name.c_str());
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);

  std::string bash = "bash";
  std::string pipefail_option = "-o";
  std::string pipefail = "pipefail";
  std::string command_option = "-c";
  std::string script = command;
  std::array<char*, 6> argv = {bash.data(),           pipefail_option.data(), pipefail.data(),
                               command_option.data(), script.data(),          nullptr};
  std::vector<std::string> variables = environment;
  std::vector<char*> envp;
  envp.reserve(variables.size() + 1);
  for (auto& variable : variables) {
    envp.push_back(variable.data());
  }
  envp.push_back(nullptr);

  Outcome outcome;
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, "/bin/bash", &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    outcome.err = "cannot start /bin/bash";
    return outcome;
  }
  const auto deadline = std::chrono::steady_clock::now() + k_command_deadline;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      outcome.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  outcome.out = read_file(out_file);
  outcome.err = read_file(err_file);
  return outcome;
}

// ---------------------------------------------------------------------------------------- the demo cluster

// Replaces every string `${now-4d}` (s, m, h or d) in `document` with the time that long ago.
void resolve_times(json& document) {
  static const std::regex k_relative_time(R"(\$\{now-(\d+)([smhd])\})");
  const std::map<char, std::chrono::seconds> units = {{'s', std::chrono::seconds(1)},
                                                      {'m', std::chrono::minutes(1)},
                                                      {'h', std::chrono::hours(1)},
                                                      {'d', std::chrono::hours(24)}};
  std::vector<json*> pending = {&document};
  while (!pending.empty()) {
    json* node = pending.back();
    pending.pop_back();
    if (node->is_structured()) {
      for (auto& child : *node) {
        pending.push_back(&child);
      }
      continue;
    }
    std::smatch match;
    if (node->is_string() && std::regex_match(node->get_ref<const std::string&>(), match, k_relative_time)) {
      *node = ago(std::stoi(match[1].str()) * units.at(match[2].str()[0]));
    }
  }
}

std::vector<json> yaml_file_documents(const fs::path& file) {
  std::ifstream input(file);
  std::vector<json> documents;
  herd::core::read_yaml_stream(input, file.string(), [&](herd::core::YamlDocument& document) {
    EXPECT_TRUE(document.parsed) << file << ": "
                                 << (document.diagnostics.empty() ? ""
                                                                  : document.diagnostics.front().message);
    if (document.parsed && document.value.is_object()) {
      documents.push_back(std::move(document.value));
    }
  });
  return documents;
}

api::ResourceType cluster_scoped_type(std::string group, std::string plural, const std::string& kind) {
  api::ResourceType type;
  type.group = std::move(group);
  type.version = "v1";
  type.plural = std::move(plural);
  type.singular = kind;
  std::transform(type.singular.begin(), type.singular.end(), type.singular.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  type.kind = kind;
  type.list_kind = kind + "List";
  type.namespaced = false;
  return type;
}

// Stores `stack` as the admission webhook would (defaults and policy applied) with its fixture metadata and
// status, and the Bundles the reconciler renders from it.
void seed_stack(api::ApiServer& server, const json& stack, const std::string& fixture) {
  auto linter = herd::core::Linter::create(herd::core::default_policy());
  ASSERT_TRUE(linter.ok());
  json spec_only = stack;
  spec_only.erase("status");
  herd::core::Diagnostics findings;
  herd::core::DiagnosticSink sink(findings, fixture, nullptr);
  json effective;
  (*linter)->check_stack(spec_only, sink, nullptr, &effective);
  ASSERT_FALSE(herd::core::has_errors(findings)) << fixture << ": " << findings.front().message;
  const herd::core::RenderedStack rendered =
      herd::core::render_bundles(herd::core::stack_from_json(effective), herd::core::default_policy());
  effective["metadata"] = stack["metadata"];
  if (stack.contains("status")) {
    effective["status"] = stack["status"];
  }
  server.put(effective);
  for (const auto& bundle : rendered.bundles) {
    server.put(bundle.object());
  }
}

// A test API server holding Herd's CRD and webhook configurations and the demo cluster of the fixtures.
std::unique_ptr<api::ApiServer> demo_cluster() {
  api::Options options;
  options.resources.push_back(
      cluster_scoped_type("apiextensions.k8s.io", "customresourcedefinitions", "CustomResourceDefinition"));
  options.resources.push_back(cluster_scoped_type(
      "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration"));
  options.resources.push_back(cluster_scoped_type(
      "admissionregistration.k8s.io", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration"));
  auto server = std::make_unique<api::ApiServer>(options);
  server->start();
  for (const char* manifest :
       {"manifests/crds/herd.suse.com_stacks.yaml", "manifests/controller/webhook-configurations.yaml"}) {
    for (auto& object : yaml_file_documents(source_path(manifest))) {
      server->put(std::move(object));
    }
  }
  std::vector<fs::path> fixtures;
  for (const auto& entry : fs::directory_iterator(source_path("tests/fixtures/readme/cluster"))) {
    fixtures.push_back(entry.path());
  }
  std::sort(fixtures.begin(), fixtures.end());
  for (const auto& fixture : fixtures) {
    for (auto& object : yaml_file_documents(fixture)) {
      resolve_times(object);
      if (object.value("kind", "") == "Stack") {
        seed_stack(*server, object, fixture.filename().string());
      } else {
        server->put(std::move(object));
      }
    }
  }
  return server;
}

std::string demo_kubeconfig(const std::string& server) {
  return "apiVersion: v1\nkind: Config\n"
         "clusters:\n- name: demo\n  cluster:\n    server: " +
         server +
         "\n"
         "contexts:\n- name: demo\n  context: {cluster: demo, user: demo}\n"
         "current-context: demo\n"
         "users:\n- name: demo\n  user: {}\n";
}

// Where one README block runs: its own working directory (examples/, manifests/, the sandbox fixtures), a
// private HOME and capture files, and for a cluster block the demo cluster behind the `demo` context.
class Sandbox {
public:
  explicit Sandbox(bool cluster) : m_work("herd-readme"), m_private("herd-readme-home") {
    const auto copy_options = fs::copy_options::recursive;
    fs::copy(source_path("examples"), m_work.path() / "examples", copy_options);
    fs::copy(source_path("manifests"), m_work.path() / "manifests", copy_options);
    fs::copy(source_path("tests/fixtures/readme/sandbox"), m_work.path(), copy_options);
    const fs::path kubeconfig = m_private.path() / "kubeconfig";
    if (cluster) {
      m_server = demo_cluster();
      std::ofstream(kubeconfig) << demo_kubeconfig(m_server->url());
    }
    const std::string bin = fs::path(HERD_PLUGIN_BINARY).parent_path().string();
    const char* path = std::getenv("PATH");
    for (char** variable = environ; *variable != nullptr; ++variable) {
      const std::string_view text = *variable;
      const std::string_view name = text.substr(0, text.find('='));
      if (name != "PATH" && name != "HOME" && name != "KUBECONFIG" && name != "NO_COLOR") {
        m_environment.emplace_back(text);
      }
    }
    m_environment.push_back("PATH=" + bin + ":" + (path != nullptr ? path : "/usr/bin:/bin"));
    m_environment.push_back("HOME=" + m_private.path().string());
    m_environment.push_back("KUBECONFIG=" + kubeconfig.string());
    m_environment.emplace_back("NO_COLOR=1");
  }

  Outcome run(const std::string& command) const {
    return run_command(command, m_work.path(), m_private.path(), m_environment);
  }

private:
  herd::testing::TempDir m_work;
  herd::testing::TempDir m_private;
  std::unique_ptr<api::ApiServer> m_server;
  std::vector<std::string> m_environment;
};

std::string indented(const std::string& text) {
  if (text.empty()) {
    return "    (nothing)\n";
  }
  std::string out;
  for (const auto& line : lines_of(text)) {
    out += "    " + line + "\n";
  }
  return text.ends_with('\n') ? out : out + "    (no newline at the end)\n";
}

std::string printed(const Outcome& outcome) {
  return "stdout:\n" + indented(outcome.out) + "stderr:\n" + indented(outcome.err);
}

std::string readme_file() {
  return source_path(k_readme);
}

bool kubectl_missing() {
  return std::system("command -v kubectl >/dev/null 2>&1") != 0;
}

} // namespace

// ------------------------------------------------------------------------- the conventions, on small inputs

CodeBlock block_of(const std::string& markdown) {
  Readme parsed = parse_readme(markdown);
  EXPECT_EQ(parsed.blocks.size(), 1U);
  return parsed.blocks.empty() ? CodeBlock{} : parsed.blocks.front();
}

TEST(ReadmeConventions, AConsoleBlockIsCommandsEachFollowedByItsExactOutput) {
  const CodeBlock block = block_of("text\n"
                                   "<!-- doctest: cluster -->\n"
                                   "  ```console\n"
                                   "  $ kubectl herd get \\\n"
                                   "      -A   # exit 1\n"
                                   "  error: one\n"
                                   "\n"
                                   "  $ true\n"
                                   "  ```\n");
  EXPECT_TRUE(block.cluster);
  EXPECT_EQ(block.fence_line, 3);
  std::vector<SourceLine> problems;
  const std::vector<Example> examples = console_examples(block, problems);
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(examples.size(), 2U);
  EXPECT_EQ(examples[0].line, 4);
  EXPECT_EQ(examples[0].command, "kubectl herd get -A");
  EXPECT_EQ(examples[0].expected_exit, 1);
  ASSERT_EQ(examples[0].output.size(), 2U) << "a blank line is output too";
  EXPECT_EQ(examples[0].output[0].text, "error: one");
  EXPECT_EQ(examples[0].output[0].number, 6);
  EXPECT_EQ(examples[1].expected_exit, 0);
  EXPECT_TRUE(examples[1].output.empty());
}

TEST(ReadmeConventions, OutputMatchesExactlyExceptForTheCommitPlaceholder) {
  const std::vector<SourceLine> version = {{1, "kubectl-herd v0.1.0 (commit <commit>, linux/amd64)"}};
  EXPECT_TRUE(output_matches(version, "kubectl-herd v0.1.0 (commit 0123456789ab, linux/amd64)\n"));
  EXPECT_TRUE(output_matches(version, "kubectl-herd v0.1.0 (commit unknown, linux/amd64)\n"));
  EXPECT_FALSE(output_matches(version, "kubectl-herd v0.1.0 (commit 0123, linux/amd64)\n"));
  EXPECT_FALSE(output_matches(version, "kubectl-herd v0.1.0 (commit 0123456789ab, linux/amd64)"))
      << "the final newline counts";
  const std::vector<SourceLine> plain = {{1, "a.b"}, {2, ""}};
  EXPECT_TRUE(output_matches(plain, "a.b\n\n"));
  EXPECT_FALSE(output_matches(plain, "a.b\n"));
  EXPECT_FALSE(output_matches(plain, "axb\n\n"));
  EXPECT_TRUE(output_matches({}, ""));
}

TEST(ReadmeConventions, AShellBlockIsCommandsWithOptionalExitComments) {
  const CodeBlock block =
      block_of("```sh\n"
               "# a comment line\n"
               "\n"
               "kubectl herd plan -f rag.yaml --live   # exit 3 when it changes something\n"
               "echo '# not a comment' \"#nor this\" x#y   # why\n"
               "kubectl herd get \\\n"
               "  -A\n"
               "```\n");
  const std::vector<ShellCommand> commands = shell_commands(block);
  ASSERT_EQ(commands.size(), 3U);
  EXPECT_EQ(commands[0].command, "kubectl herd plan -f rag.yaml --live");
  EXPECT_EQ(commands[0].expected_exit, 3);
  EXPECT_EQ(commands[0].line, 4);
  EXPECT_EQ(commands[1].command, "echo '# not a comment' \"#nor this\" x#y");
  EXPECT_EQ(commands[1].expected_exit, 0);
  EXPECT_EQ(commands[2].command, "kubectl herd get -A");
}

TEST(ReadmeConventions, ATranscriptIsTheListOfLinesATestAsserts) {
  const std::string source = "TEST_F(Suite, Other) { std::vector<std::string>{\"no\"}; }\n"
                             "TEST_F(Suite, Rollout) {\n"
                             "  EXPECT_EQ(lines, (std::vector<std::string>{\n"
                             "      // a comment, with \"quotes\", between the elements\n"
                             "      \"stack \\\"rag\\\": Deployed, \"\n"
                             "      \"3 of 3 charts ready\",\n"
                             "      \"  qdrant  2/2  Ready\",\n"
                             "  }));\n"
                             "}\n";
  EXPECT_EQ(
      asserted_lines(source, "Rollout"),
      (std::vector<std::string>{"stack \"rag\": Deployed, 3 of 3 charts ready", "  qdrant  2/2  Ready"}));
  EXPECT_EQ(asserted_lines(source, "Missing"), std::nullopt);
  const CodeBlock block = block_of("<!-- doctest: transcript of tests/x.cpp Rollout -->\n```text\n```\n");
  EXPECT_EQ(block.transcript_of, "tests/x.cpp Rollout");
}

TEST(ReadmeConventions, MalformedBlocksAndMarkersAreReportedAtTheirLine) {
  const Readme parsed = parse_readme("<!-- doctest: clusters -->\n"
                                     "```sh\n"
                                     "```\n"
                                     "<!-- doctest: cluster -->\n"
                                     "\n"
                                     "```console\n"
                                     "output before any command\n");
  ASSERT_EQ(parsed.problems.size(), 3U);
  EXPECT_EQ(parsed.problems[0].number, 1);
  EXPECT_THAT(parsed.problems[0].text, HasSubstr("unknown doctest marker"));
  EXPECT_EQ(parsed.problems[1].number, 4);
  EXPECT_THAT(parsed.problems[1].text, HasSubstr("just before a fence"));
  EXPECT_EQ(parsed.problems[2].number, 6);
  EXPECT_THAT(parsed.problems[2].text, HasSubstr("never closed"));
  std::vector<SourceLine> problems;
  console_examples(parsed.blocks.back(), problems);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_EQ(problems[0].number, 7);
}

// ------------------------------------------------------------------------------------------ the README

TEST(Readme, DocumentsEveryRule) {
  const std::string text = readme();
  ASSERT_FALSE(text.empty());
  for (const auto& rule : herd::core::rules::catalog()) {
    EXPECT_THAT(text, HasSubstr("| " + std::string(rule.id) + " | " +
                                std::string(herd::core::to_string(rule.severity)) + " | " +
                                std::string(rule.summary) + " | " + std::string(rule.fix) + " |"))
        << rule.id;
  }
}

TEST(Readme, QuickStartUsesTheTestScript) {
  const std::string text = readme();
  EXPECT_THAT(text, HasSubstr("./scripts/test.sh"));
  std::ifstream ci(source_path(".ci/run"));
  std::ostringstream ci_text;
  ci_text << ci.rdbuf();
  EXPECT_THAT(ci_text.str(), HasSubstr("./scripts/test.sh"));
}

TEST(Readme, CodeBlocksAreWellFormed) {
  const Readme parsed = parse_readme(readme());
  std::vector<SourceLine> problems = parsed.problems;
  for (const auto& block : parsed.blocks) {
    if (block.language == "console") {
      console_examples(block, problems);
    }
    if (block.cluster && block.language != "console" && block.language != "sh") {
      problems.push_back({block.fence_line, "only console and sh blocks run, so only they take a marker"});
    }
  }
  for (const auto& problem : problems) {
    ADD_FAILURE_AT(readme_file().c_str(), problem.number) << problem.text;
  }
}

TEST(Readme, TranscriptsAreTheOnesTheirTestAsserts) {
  std::size_t transcripts = 0;
  for (const auto& block : parse_readme(readme()).blocks) {
    if (block.transcript_of.empty()) {
      continue;
    }
    ++transcripts;
    const std::string file = block.transcript_of.substr(0, block.transcript_of.find(' '));
    const std::string test = block.transcript_of.substr(file.size() + 1);
    const std::optional<std::vector<std::string>> asserted =
        asserted_lines(read_file(source_path(file)), test);
    if (!asserted) {
      ADD_FAILURE_AT(readme_file().c_str(), block.fence_line - 1)
          << "no TEST " << test << " with a std::vector<std::string>{...} of lines in " << file;
      continue;
    }
    std::vector<std::string> shown;
    for (const auto& line : block.lines) {
      shown.push_back(line.text);
    }
    if (shown != *asserted) {
      std::string expected;
      for (const auto& line : *asserted) {
        expected += line + "\n";
      }
      ADD_FAILURE_AT(readme_file().c_str(), block.fence_line)
          << "this transcript is not the one " << test << " in " << file << " asserts; paste that one here:\n"
          << indented(expected);
    }
  }
  EXPECT_GT(transcripts, 0U) << "the rollout status transcript lost its doctest marker";
}

TEST(Readme, ConsoleExamplesPrintExactlyWhatTheReadmeShows) {
  if (kubectl_missing()) {
    GTEST_SKIP() << "kubectl is not on PATH";
  }
  std::size_t examples_run = 0;
  for (const auto& block : parse_readme(readme()).blocks) {
    if (block.language != "console") {
      continue;
    }
    std::vector<SourceLine> problems;
    const std::vector<Example> examples = console_examples(block, problems);
    const Sandbox sandbox(block.cluster);
    for (const auto& example : examples) {
      const Outcome outcome = sandbox.run(example.command);
      ++examples_run;
      if (outcome.timed_out) {
        ADD_FAILURE_AT(readme_file().c_str(), example.line)
            << "`" << example.command << "` did not finish within " << k_command_deadline.count()
            << " s; does it wait for the cluster?\n"
            << printed(outcome);
        continue;
      }
      if (outcome.exit_code != example.expected_exit) {
        ADD_FAILURE_AT(readme_file().c_str(), example.line)
            << "`" << example.command << "` exited " << outcome.exit_code << ", the README says "
            << example.expected_exit << " (a non-zero exit is written `# exit N` at the end of the command)\n"
            << printed(outcome);
      }
      if (!output_matches(example.output, outcome.out + outcome.err) &&
          !output_matches(example.output, outcome.err + outcome.out)) {
        std::string shown;
        for (const auto& line : example.output) {
          shown += line.text + "\n";
        }
        std::string shows = "the README shows no output after line " + std::to_string(example.line);
        if (example.output.size() == 1) {
          shows = "README.md line " + std::to_string(example.output.front().number) + " shows";
        } else if (!example.output.empty()) {
          shows = "README.md lines " + std::to_string(example.output.front().number) + "-" +
                  std::to_string(example.output.back().number) + " show";
        }
        ADD_FAILURE_AT(readme_file().c_str(), example.line)
            << "`" << example.command << "` printed something else than " << shows
            << " (paste the real output there if the change is intended)\nThe README shows:\n"
            << indented(shown) << "The command printed:\n"
            << printed(outcome);
      }
    }
  }
  EXPECT_GT(examples_run, 0U) << "no ```console block found in README.md";
}

TEST(Readme, EveryShellCommandRunsOrSaysWhyNot) {
  if (kubectl_missing()) {
    GTEST_SKIP() << "kubectl is not on PATH";
  }
  std::vector<bool> not_run_used(k_not_run.size(), false);
  std::size_t commands_run = 0;
  for (const auto& block : parse_readme(readme()).blocks) {
    if (block.language != "sh") {
      continue;
    }
    const std::vector<ShellCommand> commands = shell_commands(block);
    std::optional<Sandbox> sandbox;
    for (const auto& command : commands) {
      std::string to_run = command.command;
      const auto* const entry = std::find_if(k_not_run.begin(), k_not_run.end(), [&](const NotRun& not_run) {
        return command.command.starts_with(not_run.command_start);
      });
      if (entry != k_not_run.end()) {
        not_run_used[static_cast<std::size_t>(entry - k_not_run.begin())] = true;
        if (!entry->run_before_pipe) {
          continue;
        }
        to_run = command.command.substr(0, command.command.find(" | "));
      }
      if (!sandbox) {
        sandbox.emplace(block.cluster);
      }
      const Outcome outcome = sandbox->run(to_run);
      ++commands_run;
      if (outcome.timed_out || outcome.exit_code != command.expected_exit) {
        ADD_FAILURE_AT(readme_file().c_str(), command.line)
            << "`" << to_run << "` "
            << (outcome.timed_out
                    ? "did not finish within " + std::to_string(k_command_deadline.count()) + " s"
                    : "exited " + std::to_string(outcome.exit_code))
            << ", expected " << command.expected_exit
            << (block.cluster ? " (run against the demo cluster)" : " (run without a cluster)")
            << ". Fix the command, mark the exit with a trailing `# exit N` comment, or, if it cannot run "
               "here, add it to k_not_run in tests/plugin/test_readme.cpp with the reason.\n"
            << printed(outcome);
      }
    }
  }
  for (std::size_t i = 0; i < k_not_run.size(); ++i) {
    EXPECT_TRUE(not_run_used[i]) << "k_not_run names `" << k_not_run[i].command_start
                                 << "`, which no ```sh command in README.md starts with any more: remove the "
                                    "entry";
  }
  EXPECT_GT(commands_run, 0U) << "no ```sh command of README.md was run";
}
