#include "completion_command.hpp"

#include "cluster_commands.hpp"

#include <herd/plugin/app.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <exception>
#include <ostream>
#include <set>
#include <string_view>
#include <utility>

namespace herd::plugin {

namespace {

constexpr std::string_view k_complete = "__complete";
constexpr std::string_view k_complete_no_descriptions = "__completeNoDesc";

// The scripts. Each asks `kubectl herd __complete[NoDesc] WORDS... CURRENT` and reads cobra's answer: one
// candidate per line, then `:DIRECTIVE` (1 error, 2 no space, 4 no file names, 16 directories only).
// `kubectl herd` lines are answered after `kubectl herd`; any other kubectl line goes to the kubectl
// completion loaded before (kubectl >= 1.26 completes `kubectl herd` itself through kubectl_complete-herd).

constexpr std::string_view k_bash_script = R"(# bash completion for kubectl herd (kubectl-herd).
#   source <(kubectl herd completion bash)       # this shell; add it to ~/.bashrc after kubectl's own
# Completes `kubectl-herd ...` and `kubectl herd ...`; other kubectl command lines go to kubectl's completion
# when it was loaded first. kubectl >= 1.26 completes `kubectl herd` itself once kubectl_complete-herd is on
# the PATH.
__kubectl_herd_complete() {
  local line=${COMP_LINE:0:COMP_POINT} cur out directive head
  local -a words
  read -r -a words <<<"$line"
  if [[ $line == *[[:space:]] || ${#words[@]} -eq 0 ]]; then
    cur=""
  else
    cur=${words[${#words[@]}-1]}
    unset 'words[${#words[@]}-1]'
  fi
  if [[ ${words[0]##*/} == kubectl ]]; then
    if [[ ${#words[@]} -lt 2 || ${words[1]} != herd ]]; then
      if [[ -n ${__kubectl_herd_next:-} ]]; then
        "$__kubectl_herd_next" "$@"
      fi
      return
    fi
    words=("${words[@]:2}")
  else
    words=("${words[@]:1}")
  fi
  out=$(kubectl herd __completeNoDesc "${words[@]}" "$cur" 2>/dev/null) || return
  directive=${out##*:}
  out=${out%:*}
  [[ $directive =~ ^[0-9]+$ ]] || directive=0
  if (( directive & 1 )); then
    return
  fi
  if (( directive & 2 )); then
    compopt -o nospace 2>/dev/null
  fi
  local IFS=$'\n'
  if (( directive & 16 )); then
    COMPREPLY=($(compgen -d -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$out" -- "$cur"))
  fi
  if (( directive & 4 )); then
    compopt +o default 2>/dev/null
  elif (( ${#COMPREPLY[@]} == 0 )); then
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
  # = and : break words for bash: the candidates replace only what follows the last one.
  if [[ $cur == *[=:]* ]]; then
    head=${cur%"${cur##*[=:]}"}
    COMPREPLY=("${COMPREPLY[@]#"$head"}")
  fi
}
if [[ -z ${__kubectl_herd_next+set} ]]; then
  __kubectl_herd_next=""
  if [[ $(complete -p kubectl 2>/dev/null) =~ -F\ ([^ ]+) ]]; then
    __kubectl_herd_next=${BASH_REMATCH[1]}
  fi
fi
complete -o default -F __kubectl_herd_complete kubectl-herd kubectl
)";

constexpr std::string_view k_zsh_script = R"(#compdef kubectl-herd
# zsh completion for kubectl herd (kubectl-herd).
#   source <(kubectl herd completion zsh)        # this shell, after compinit; add it to ~/.zshrc
# Completes `kubectl-herd ...` and `kubectl herd ...`; other kubectl command lines go to kubectl's completion
# when it was loaded first. kubectl >= 1.26 completes `kubectl herd` itself once kubectl_complete-herd is on
# the PATH.
__kubectl_herd_complete() {
  local -a args lines candidates nospace
  local cur=${words[CURRENT]} out directive line
  if [[ ${words[1]:t} == kubectl ]]; then
    if (( CURRENT < 3 )) || [[ ${words[2]} != herd ]]; then
      [[ -n $__kubectl_herd_next ]] && "$__kubectl_herd_next" "$@"
      return
    fi
    args=("${(@)words[3,CURRENT-1]}")
  else
    args=("${(@)words[2,CURRENT-1]}")
  fi
  out=$(kubectl herd __complete "${args[@]}" "$cur" 2>/dev/null) || return 1
  lines=("${(@f)out}")
  directive=${lines[-1]#:}
  lines=("${(@)lines[1,-2]}")
  [[ $directive == <-> ]] || directive=0
  (( directive & 1 )) && return 1
  for line in "${lines[@]}"; do
    [[ -n $line ]] || continue
    if [[ $line == *$'\t'* ]]; then
      candidates+=("${${line%%$'\t'*}//:/\\:}:${line#*$'\t'}")
    else
      candidates+=("${line//:/\\:}")
    fi
  done
  (( directive & 2 )) && nospace=(-S '')
  if (( ${#candidates} )); then
    _describe -t herd 'kubectl herd' candidates "${nospace[@]}" && return 0
  fi
  (( directive & 4 )) && return 1
  if (( directive & 16 )); then
    _files -/
  else
    _files
  fi
}
if (( $+functions[compdef] )); then
  (( ${+__kubectl_herd_next} )) || typeset -g __kubectl_herd_next=${_comps[kubectl]:-}
  [[ $__kubectl_herd_next == __kubectl_herd_complete ]] && __kubectl_herd_next=
  compdef __kubectl_herd_complete kubectl-herd kubectl
fi
)";

constexpr std::string_view k_fish_script = R"(# fish completion for kubectl herd (kubectl-herd).
#   kubectl herd completion fish | source        # this shell; or save it as ~/.config/fish/completions/kubectl-herd.fish
# Completes `kubectl-herd ...` and `kubectl herd ...` (next to kubectl's own completions).
function __kubectl_herd_prepare
    set -g __kubectl_herd_results
    set -l args (commandline -opc)
    if test (basename -- "$args[1]") = kubectl
        set -e args[1..2]
    else
        set -e args[1]
    end
    set -l cur (commandline -ct)
    set -l out (kubectl herd __complete $args "$cur" 2>/dev/null)
    or return 1
    set -l directive (string replace -r '^:' '' -- "$out[-1]")
    string match -qr '^[0-9]+$' -- "$directive"; or set directive 0
    set -e out[-1]
    if test (math "$directive % 2") -eq 1
        return 0
    end
    set -g __kubectl_herd_results $out
    if test (count $out) -gt 0
        return 0
    end
    # No candidates: true keeps file names away (4), false lets fish complete them.
    test (math "floor($directive / 4) % 2") -eq 1
end
function __kubectl_herd_is_herd
    set -l args (commandline -opc)
    test (count $args) -ge 2; and test "$args[2]" = herd
end
complete -c kubectl-herd -n __kubectl_herd_prepare -f -a '$__kubectl_herd_results'
complete -c kubectl -n '__kubectl_herd_is_herd; and __kubectl_herd_prepare' -f -a '$__kubectl_herd_results'
)";

// Where an option was found: the option and whether it belongs to the root (a global flag).
struct FoundOption {
  const CLI::Option* option = nullptr;
  bool global = false;
};

// The option `name` (with its dashes: --output, -o) of `command`, or of the commands above it that take the
// options it does not know (CLI11's fallthrough).
FoundOption find_option(const CLI::App* command, std::string_view name) {
  for (const CLI::App* app = command; app != nullptr; app = app->get_parent()) {
    for (const CLI::Option* option : app->get_options()) {
      const auto& long_names = option->get_lnames();
      const auto& short_names = option->get_snames();
      const bool found =
          (name.starts_with("--") &&
           std::find(long_names.begin(), long_names.end(), name.substr(2)) != long_names.end()) ||
          (!name.starts_with("--") && name.size() == 2 &&
           std::find(short_names.begin(), short_names.end(), name.substr(1)) != short_names.end());
      if (found) {
        return {option, app->get_parent() == nullptr};
      }
    }
    if (!app->get_fallthrough()) {
      break;
    }
  }
  return {};
}

bool takes_value(const CLI::Option& option) {
  return option.get_type_size_max() > 0;
}

bool repeatable(const CLI::Option& option) {
  return option.get_expected_max() > 1;
}

// The members of an option checked with CLI::IsMember: CLI11 writes them into the type name, "TEXT:{a,b}".
std::vector<std::string> members(const CLI::Option& option) {
  const std::string type = option.get_type_name();
  const auto open = type.find(":{");
  const auto close = open == std::string::npos ? open : type.find('}', open);
  std::vector<std::string> values;
  if (close == std::string::npos) {
    return values;
  }
  std::string_view list(type.data() + open + 2, close - open - 2);
  while (!list.empty()) {
    const auto comma = list.find(',');
    values.emplace_back(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return values;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Records the global flags of the command line: the cluster the Stack names come from.
void record_global(const CLI::Option& option, const std::string& value, GlobalOptions& global) {
  const std::string& name = option.get_single_name();
  if (name == "kubeconfig") {
    global.kubeconfig = value;
  } else if (name == "context") {
    global.context = value;
  } else if (name == "namespace") {
    global.namespace_name = value;
  } else if (name == "request-timeout") {
    global.request_timeout = value;
  } else if (name == "all-namespaces") {
    global.all_namespaces = value != "false";
  }
}

class Completer {
public:
  Completer(const CLI::App& app, const StackLister& stacks) : m_command(&app), m_stacks(stacks) {
    m_global.request_timeout = "2s"; // a completion must not hang on an unreachable cluster
  }

  CompletionResult run(const std::vector<std::string>& words) {
    for (std::size_t i = 0; i + 1 < words.size(); ++i) {
      consume(words[i]);
    }
    const std::string current = words.empty() ? std::string() : words.back();
    if (m_pending != nullptr) {
      return values(*m_pending, current, "");
    }
    if (!m_options_ended && current.starts_with("-")) {
      const auto equals = current.find('=');
      if (equals != std::string::npos) {
        const FoundOption found = find_option(m_command, std::string_view(current).substr(0, equals));
        if (found.option == nullptr || !takes_value(*found.option)) {
          return {};
        }
        return values(*found.option, current.substr(equals + 1), current.substr(0, equals + 1));
      }
      return option_names(current);
    }
    return positional(current);
  }

private:
  void consume(const std::string& word) {
    if (m_pending != nullptr) {
      if (m_pending_global) {
        record_global(*m_pending, word, m_global);
      }
      m_pending = nullptr;
      return;
    }
    if (!m_options_ended && word == "--") {
      m_options_ended = true;
      return;
    }
    if (!m_options_ended && word.size() > 1 && word.starts_with("-")) {
      const auto equals = word.find('=');
      // --name[=value], or -x[value]: a short option's value may follow its letter.
      const bool is_long = word.starts_with("--");
      const std::string name = is_long ? word.substr(0, equals) : word.substr(0, 2);
      const FoundOption found = find_option(m_command, name);
      if (found.option == nullptr) {
        return; // unknown: CLI11 will say so when the command runs
      }
      m_seen.insert(found.option);
      std::string value;
      bool has_value = false;
      if (is_long && equals != std::string::npos) {
        value = word.substr(equals + 1);
        has_value = true;
      } else if (!is_long && word.size() > 2) {
        value = word.substr(word[2] == '=' ? 3 : 2);
        has_value = true;
      }
      if (takes_value(*found.option) && !has_value) {
        m_pending = found.option;
        m_pending_global = found.global;
      } else if (found.global) {
        record_global(*found.option, has_value ? value : "true", m_global);
      }
      return;
    }
    if (m_positionals == 0 && !m_options_ended) {
      if (const CLI::App* sub = subcommand(word); sub != nullptr) {
        m_command = sub;
        return;
      }
    }
    ++m_positionals;
  }

  [[nodiscard]] std::vector<const CLI::App*> visible_subcommands() const {
    return m_command->get_subcommands([](const CLI::App* sub) { return !sub->get_group().empty(); });
  }

  [[nodiscard]] const CLI::App* subcommand(const std::string& name) const {
    for (const CLI::App* sub : visible_subcommands()) {
      if (sub->get_name() == name) {
        return sub;
      }
    }
    return nullptr;
  }

  // The positional option the next word fills, or null.
  [[nodiscard]] const CLI::Option* next_positional() const {
    std::size_t before = 0;
    for (const CLI::Option* option :
         m_command->get_options([](const CLI::Option* o) { return o->get_positional(); })) {
      before += static_cast<std::size_t>(std::max(option->get_items_expected_max(), 1));
      if (m_positionals < before) {
        return option;
      }
    }
    return nullptr;
  }

  CompletionResult option_names(const std::string& prefix) const {
    CompletionResult result;
    std::set<std::string> offered;
    const auto offer = [&](const std::string& name, const CLI::Option& option) {
      if (name.starts_with(prefix) && offered.insert(name).second) {
        result.candidates.push_back({name, option.get_description()});
      }
    };
    for (const CLI::App* app = m_command; app != nullptr; app = app->get_parent()) {
      for (const CLI::Option* option : app->get_options()) {
        if (!option->nonpositional() || option->get_group().empty() ||
            (m_seen.contains(option) && !repeatable(*option))) {
          continue;
        }
        for (const auto& name : option->get_lnames()) {
          offer("--" + name, *option);
        }
        for (const auto& name : option->get_snames()) {
          offer("-" + name, *option);
        }
      }
      if (!app->get_fallthrough()) {
        break;
      }
    }
    result.directive = k_complete_no_file;
    return result;
  }

  CompletionResult positional(const std::string& prefix) const {
    CompletionResult result;
    const auto subs = visible_subcommands();
    if (!subs.empty() && m_positionals == 0) {
      for (const CLI::App* sub : subs) {
        if (sub->get_name().starts_with(prefix)) {
          result.candidates.push_back({sub->get_name(), sub->get_description()});
        }
      }
      result.directive = k_complete_no_file;
      return result;
    }
    const CLI::Option* option = next_positional();
    if (option == nullptr) {
      return result; // nothing more to give: no candidates, no file names
    }
    return values(*option, prefix, "");
  }

  // The values of `option` starting with `prefix`, each written after `lead` (`--output=` for --output=...).
  CompletionResult
  values(const CLI::Option& option, const std::string& prefix, const std::string& lead) const {
    CompletionResult result;
    const auto add = [&](const std::string& value, const std::string& description) {
      if (value.starts_with(prefix)) {
        result.candidates.push_back({lead + value, description});
      }
    };
    if (const auto choices = members(option); !choices.empty()) {
      for (const auto& choice : choices) {
        add(choice, "");
      }
      return result;
    }
    const std::string& name = option.get_single_name();
    if (option.get_positional() && (name == "STACK" || name == "NAME")) {
      if (!m_global.all_namespaces && m_stacks) {
        for (const auto& stack : m_stacks(m_global)) {
          add(stack.value, stack.description);
        }
      }
      return result;
    }
    const std::string description = lower(option.get_description());
    if (description.find("file") != std::string::npos) {
      result.directive = k_complete_default;
    } else if (description.find("director") != std::string::npos) {
      result.directive = k_complete_filter_dirs;
    }
    return result;
  }

  const CLI::App* m_command;
  const StackLister& m_stacks;
  GlobalOptions m_global;
  std::set<const CLI::Option*> m_seen;
  const CLI::Option* m_pending = nullptr; // an option waiting for its value
  bool m_pending_global = false;
  bool m_options_ended = false;  // after --
  std::size_t m_positionals = 0; // positional words given to the current command
};

// One line: descriptions never carry a newline or a tab into the protocol.
std::string protocol_line(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
  return text;
}

} // namespace

void add_completion_command(CLI::App& app, CompletionOptions& options) {
  CLI::App* command =
      app.add_subcommand("completion", "Print the shell completion script (bash, zsh or fish)");
  command->add_option("SHELL", options.shell, "The shell")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  command->footer(
      R"(kubectl 1.26 or newer completes `kubectl herd` by itself once kubectl_complete-herd (shipped
next to kubectl-herd) is on the PATH. These scripts complete `kubectl-herd` and, for older kubectl,
`kubectl herd` (load them after kubectl's own completion).

Examples:
  source <(kubectl herd completion bash)
  source <(kubectl herd completion zsh)
  kubectl herd completion fish | source)");
  // Answered before parsing (is_complete_request); registered so the names are taken and stay hidden.
  for (const std::string_view name : {k_complete, k_complete_no_descriptions}) {
    app.add_subcommand(std::string(name), "Completion candidates (cobra's protocol)")
        ->group("")
        ->allow_extras();
  }
}

int completion(const CompletionOptions& options, const CommandContext& context) {
  if (options.shell == "bash") {
    context.out << k_bash_script;
  } else if (options.shell == "zsh") {
    context.out << k_zsh_script;
  } else {
    context.out << k_fish_script;
  }
  return k_exit_ok;
}

bool is_complete_request(const std::vector<std::string>& args) {
  return !args.empty() && (args.front() == k_complete || args.front() == k_complete_no_descriptions);
}

CompletionResult
complete_words(const CLI::App& app, const std::vector<std::string>& words, const StackLister& stacks) {
  return Completer(app, stacks).run(words);
}

int complete(const CLI::App& app, const std::vector<std::string>& args, std::ostream& out) {
  const bool descriptions = !args.empty() && args.front() == k_complete;
  std::vector<std::string> words(
      args.begin() + std::min<std::ptrdiff_t>(1, static_cast<std::ptrdiff_t>(args.size())), args.end());
  if (words.empty()) {
    words.emplace_back(); // `__complete` alone: complete an empty word
  }
  // Stack names come from the cluster module, loaded only when a Stack name is being completed; without it
  // (a binary installed alone) there are none, as for an unreachable cluster.
  const StackLister stacks = [](const GlobalOptions& global) {
    std::string unavailable;
    const ClusterCommands* cluster = cluster_commands(unavailable);
    return cluster != nullptr ? cluster->list_stacks(global) : std::vector<CompletionCandidate>{};
  };
  CompletionResult result;
  try {
    result = complete_words(app, words, stacks);
  } catch (const std::exception&) {
    result = {{}, k_complete_error};
  }
  for (const auto& candidate : result.candidates) {
    out << candidate.value;
    if (descriptions && !candidate.description.empty()) {
      out << '\t' << protocol_line(candidate.description);
    }
    out << '\n';
  }
  out << ':' << result.directive << '\n';
  return k_exit_ok;
}

} // namespace herd::plugin
