#include "version_command.hpp"

#include <herd/plugin/app.hpp>

#include <CLI/CLI.hpp>

#include <ostream>
#include <string_view>

namespace herd::plugin {

namespace {

// The platform the binary was built for, as krew names platforms.
#if defined(__x86_64__)
constexpr std::string_view k_platform = "linux/amd64";
#elif defined(__aarch64__)
constexpr std::string_view k_platform = "linux/arm64";
#else
constexpr std::string_view k_platform = "linux/unknown";
#endif

} // namespace

void add_version_command(CLI::App& app, VersionOptions& options) {
  CLI::App* command = app.add_subcommand("version", "Print the plugin's version");
  command->add_option("-o,--output", options.output, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  command->footer("Examples:\n  kubectl herd version\n  kubectl herd version -o json");
}

int version(const VersionOptions& options, const CommandContext& context) {
  // Hand-written JSON: version must start fast (DESIGN §8), so it touches no parser or schema.
  if (options.output == "json") {
    context.out << "{\n  \"version\": \"v" HERD_VERSION "\",\n  \"gitCommit\": \"" HERD_GIT_COMMIT
                   "\",\n  \"platform\": \""
                << k_platform << "\"\n}\n";
  } else {
    context.out << "kubectl-herd v" HERD_VERSION " (commit " HERD_GIT_COMMIT ", " << k_platform << ")\n";
  }
  return k_exit_ok;
}

} // namespace herd::plugin
