#include "version_command.hpp"

#include <herd/plugin/app.hpp>

#include <CLI/CLI.hpp>

#include <ostream>

// The platform the binary was built for, as krew names platforms.
#if defined(__x86_64__)
#define HERD_ARCH "amd64"
#elif defined(__aarch64__)
#define HERD_ARCH "arm64"
#else
#define HERD_ARCH "unknown"
#endif
#define HERD_PLATFORM "linux/" HERD_ARCH

namespace herd::plugin {

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
                   "\",\n  \"platform\": \"" HERD_PLATFORM "\"\n}\n";
  } else {
    context.out << "kubectl-herd v" HERD_VERSION " (commit " HERD_GIT_COMMIT ", " HERD_PLATFORM ")\n";
  }
  return k_exit_ok;
}

} // namespace herd::plugin
