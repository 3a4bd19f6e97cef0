#include "cluster_commands.hpp"

#include <herd/plugin/app.hpp>

#include <dlfcn.h>
#include <filesystem>
#include <ostream>
#include <system_error>

namespace herd::plugin {

namespace {

namespace fs = std::filesystem;

struct LoadedModule {
  const ClusterCommands* commands = nullptr;
  std::string error;
};

LoadedModule load_module() {
  std::error_code ec;
  const fs::path executable = fs::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return {nullptr, "cannot find the running executable (/proc/self/exe: " + ec.message() +
                         "), so not the cluster module next to it either"};
  }
  const fs::path directory = executable.parent_path();
  for (const fs::path& candidate :
       {directory / k_cluster_module_file, directory / "lib" / k_cluster_module_file}) {
    if (!fs::exists(candidate, ec)) {
      continue;
    }
    // Never closed: the commands run until the process exits. RTLD_LOCAL keeps the module's copies of Herd's
    // libraries apart from the executable's.
    void* handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* reason = dlerror();
      return {nullptr,
              "cannot load " + candidate.string() + ": " + (reason != nullptr ? reason : "unknown error")};
    }
    using Entry = const ClusterCommands* (*)(const char*);
    auto entry = reinterpret_cast<Entry>(dlsym(handle, k_cluster_module_entry)); // NOLINT: dlsym's contract
    if (entry == nullptr) {
      return {nullptr, candidate.string() + " is not kubectl-herd's cluster module (no " +
                           std::string(k_cluster_module_entry) + ")"};
    }
    const ClusterCommands* commands = entry(k_cluster_module_build);
    if (commands == nullptr) {
      return {nullptr, candidate.string() + " comes from another build than " + executable.string() +
                           ": install the two together (the release archive holds both)"};
    }
    return {commands, {}};
  }
  return {nullptr,
          "the cluster commands need " + std::string(k_cluster_module_file) + ", which is neither next to " +
              executable.string() + " nor in " + (directory / "lib").string() +
              ": install kubectl-herd with it (kubectl krew install herd, or every file of the release "
              "archive)"};
}

} // namespace

const ClusterCommands* cluster_commands(std::string& error) {
  static const LoadedModule loaded = load_module();
  error = loaded.error;
  return loaded.commands;
}

int run_cluster_command(const CommandContext& context,
                        const std::function<int(const ClusterCommands&)>& command) {
  std::string error;
  const ClusterCommands* commands = cluster_commands(error);
  if (commands == nullptr) {
    context.err << "kubectl herd: error: " << error << '\n';
    return k_exit_usage;
  }
  return command(*commands);
}

} // namespace herd::plugin
