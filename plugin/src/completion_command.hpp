#pragma once

#include "command_context.hpp"
#include "global_options.hpp"

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace herd::plugin {

struct CompletionOptions {
  std::string shell; // completion SHELL: bash|zsh|fish
};

// `completion bash|zsh|fish` (prints a script) and the hidden `__complete` / `__completeNoDesc` (cobra's
// protocol, answered by `complete`).
void add_completion_command(CLI::App& app, CompletionOptions& options);

// Prints the completion script of `options.shell`. The scripts ask `kubectl herd __complete WORDS...` as
// cobra-generated scripts ask their program, and complete both `kubectl-herd ...` and `kubectl herd ...`.
int completion(const CompletionOptions& options, const CommandContext& context);

// Whether kubectl herd's arguments are a completion request: `__complete WORDS...` or `__completeNoDesc
// WORDS...`. Those are answered before CLI11 parses anything (the words are a command line being typed, not
// arguments of __complete).
bool is_complete_request(const std::vector<std::string>& args);

// The directives of cobra's protocol (ShellCompDirective, a bit mask).
enum CompletionDirective : int {
  k_complete_default = 0,         // the shell may complete file names when there are no candidates
  k_complete_error = 1,           // something went wrong: complete nothing
  k_complete_no_space = 2,        // no space after the candidate
  k_complete_no_file = 4,         // never complete file names
  k_complete_filter_file_ext = 8, // the candidates are file extensions
  k_complete_filter_dirs = 16,    // complete directory names only
  k_complete_keep_order = 32,     // keep the order of the candidates
};

struct CompletionCandidate {
  std::string value;
  std::string description; // empty: none
};

struct CompletionResult {
  std::vector<CompletionCandidate> candidates;
  int directive = k_complete_no_file;
};

// The Stacks the cluster holds (names and, as descriptions, their phases) for the global flags given on the
// command line being completed. Empty when the cluster is unreachable or anything else fails.
using StackLister = std::function<std::vector<CompletionCandidate>(const GlobalOptions&)>;

// Completes `words` (what follows `kubectl herd` on the command line; the last one is the word under the
// cursor, possibly empty) against the commands and options of `app`, as cobra completes a command line:
//  * a word starting with `-`: the option names of the current command and the commands above it (global
//    flags), with their descriptions, except options already given that cannot repeat; `--opt=` completes
//    the option's values;
//  * otherwise: the subcommands of the current command, or the values of the positional argument at hand;
//  * values: an option checked with CLI::IsMember completes its members; a positional named STACK or NAME (a
//    Stack in the cluster: get, rollout status|pause|resume|restart, plan) the names `stacks` gives; an
//    option whose description speaks of files completes file names (cobra's default directive), of
//    directories only directories; any other value completes nothing.
// Candidates are filtered by the word's prefix. Hidden subcommands (no group) are never offered.
CompletionResult
complete_words(const CLI::App& app, const std::vector<std::string>& words, const StackLister& stacks);

// Answers a completion request (`args` as for is_complete_request) in cobra's protocol: one candidate per
// line (`value<TAB>description` unless __completeNoDesc), then `:DIRECTIVE`. Stack names come from the
// cluster the words' --kubeconfig, --context and -n select, with a 2 s request timeout unless the words give
// --request-timeout; an unreachable cluster gives no names and no error. Returns 0.
int complete(const CLI::App& app, const std::vector<std::string>& args, std::ostream& out);

} // namespace herd::plugin
