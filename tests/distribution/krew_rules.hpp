#pragma once

// krew's manifest validation, as ../shared/reference/krew/README.md lists it from krew's source:
// internal/index/validation/validate.go (ValidatePlugin) plus cmd/validate-krew-manifest (file extension,
// supported os/arch pairs, no pair matched twice), and the per-`files` installation that krew performs
// (internal/installation/move.go): each `from` glob relative to the unpacked archive, every match moved to
// `to`/<its base name> inside the install directory.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <glob.h>
#include <map>
#include <regex>
#include <string>
#include <utility>
#include <vector>

namespace herd::distribution::testing {

// The os/arch pairs validate-krew-manifest accepts.
inline const std::vector<std::pair<std::string, std::string>> k_krew_platforms = {
    {"windows", "386"}, {"windows", "amd64"}, {"windows", "arm64"}, {"linux", "386"},
    {"linux", "amd64"}, {"linux", "arm"},     {"linux", "arm64"},   {"linux", "ppc64le"},
    {"darwin", "386"},  {"darwin", "amd64"},  {"darwin", "arm64"},
};

// The license file names validate-krew-manifest accepts after an install (case-insensitive).
inline const std::vector<std::string> k_krew_license_names = {"license",  "license.txt",  "license.md",
                                                              "licenses", "licenses.txt", "licenses.md",
                                                              "copying",  "copying.txt"};

inline std::string krew_scalar(const YAML::Node& node) {
  return node && node.IsScalar() ? node.Scalar() : std::string();
}

inline std::string lower_case(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Whether a Kubernetes label selector (matchLabels, matchExpressions) matches `labels`.
inline bool selector_matches(const YAML::Node& selector, const std::map<std::string, std::string>& labels) {
  if (const YAML::Node match_labels = selector["matchLabels"]; match_labels && match_labels.IsMap()) {
    for (const auto& entry : match_labels) {
      const auto found = labels.find(entry.first.Scalar());
      if (found == labels.end() || found->second != krew_scalar(entry.second)) {
        return false;
      }
    }
  }
  if (const YAML::Node expressions = selector["matchExpressions"]; expressions && expressions.IsSequence()) {
    for (const auto& expression : expressions) {
      if (!expression.IsMap()) {
        return false;
      }
      const auto found = labels.find(krew_scalar(expression["key"]));
      const std::string op = krew_scalar(expression["operator"]);
      bool listed = false;
      if (found != labels.end() && expression["values"] && expression["values"].IsSequence()) {
        for (const auto& value : expression["values"]) {
          listed = listed || krew_scalar(value) == found->second;
        }
      }
      const bool matches = op == "In"             ? listed
                           : op == "NotIn"        ? !listed
                           : op == "Exists"       ? found != labels.end()
                           : op == "DoesNotExist" ? found == labels.end()
                                                  : false;
      if (!matches) {
        return false;
      }
    }
  }
  return true;
}

// Every rule krew's validator enforces on the manifest file at `path`; an empty list when it passes.
inline std::vector<std::string> krew_manifest_errors(const std::filesystem::path& path) {
  std::vector<std::string> errors;
  if (path.extension() != ".yaml") {
    errors.emplace_back("the file extension is not .yaml");
  }
  YAML::Node plugin;
  try {
    plugin = YAML::LoadFile(path.string());
  } catch (const YAML::Exception& error) {
    errors.push_back(std::string("not YAML: ") + error.what());
    return errors;
  }
  if (krew_scalar(plugin["apiVersion"]) != "krew.googlecontainertools.github.com/v1alpha2") {
    errors.emplace_back("apiVersion is not krew.googlecontainertools.github.com/v1alpha2");
  }
  if (krew_scalar(plugin["kind"]) != "Plugin") {
    errors.emplace_back("kind is not Plugin");
  }
  const std::string name = krew_scalar(plugin["metadata"]["name"]);
  static const std::regex k_safe_name("^[A-Za-z0-9_-]+$"); // Go's ^[\w-]+$
  if (!std::regex_match(name, k_safe_name)) {
    errors.push_back("name \"" + name + "\" does not match ^[\\w-]+$");
  }
  for (const char* reserved :
       {"con",  "prn",  "aux",  "nul",  "com1", "com2", "com3", "com4", "com5", "com6", "com7",
        "com8", "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9"}) {
    if (lower_case(name) == reserved) {
      errors.push_back("name \"" + name + "\" is a reserved Windows device name");
    }
  }
  if (name != path.stem().string()) {
    errors.push_back("name \"" + name + "\" is not the file name " + path.filename().string());
  }
  YAML::Node spec = plugin["spec"]; // not const: indexing a missing spec gives undefined nodes, never throws
  const std::string short_description = krew_scalar(spec["shortDescription"]);
  if (short_description.empty()) {
    errors.emplace_back("shortDescription is missing");
  }
  if (short_description.find_first_of("\r\n") != std::string::npos) {
    errors.emplace_back("shortDescription has a line break");
  }
  // krew's semver.Parse: a leading v, then a strict semantic version.
  static const std::regex k_semver(
      R"(^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*))"
      R"((-(0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*)?)"
      R"((\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$)");
  if (!std::regex_match(krew_scalar(spec["version"]), k_semver)) {
    errors.push_back("version \"" + krew_scalar(spec["version"]) + "\" is not v + a semantic version");
  }
  const YAML::Node platforms = spec["platforms"];
  if (!platforms || !platforms.IsSequence() || platforms.size() == 0) {
    errors.emplace_back("no platforms");
    return errors;
  }
  static const std::regex k_sha256("^[a-f0-9]{64}$");
  std::map<std::pair<std::string, std::string>, int> matched;
  for (std::size_t i = 0; i < platforms.size(); ++i) {
    const YAML::Node platform = platforms[i];
    const std::string at = "platforms[" + std::to_string(i) + "]: ";
    for (const char* field : {"uri", "sha256", "bin"}) {
      if (krew_scalar(platform[field]).empty()) {
        errors.push_back(at + field + " is unset");
      }
    }
    if (!std::regex_match(krew_scalar(platform["sha256"]), k_sha256)) {
      errors.push_back(at + "sha256 does not match ^[a-f0-9]{64}$");
    }
    if (const YAML::Node files = platform["files"]; files) {
      if (!files.IsSequence() || files.size() == 0) {
        errors.push_back(at + "files is given but empty");
      } else {
        for (const auto& file : files) {
          if (krew_scalar(file["from"]).empty() || krew_scalar(file["to"]).empty()) {
            errors.push_back(at + "a files entry lacks from or to");
          }
        }
      }
    }
    const YAML::Node selector = platform["selector"];
    if (!selector || !selector.IsMap()) {
      errors.push_back(at + "the selector is missing or empty");
      continue;
    }
    const YAML::Node match_labels = selector["matchLabels"];
    const YAML::Node match_expressions = selector["matchExpressions"];
    if (!match_labels && (!match_expressions || match_expressions.size() == 0)) {
      errors.push_back(at + "the selector is missing or empty");
      continue;
    }
    if (match_labels) {
      if (!match_labels.IsMap() || match_labels.size() == 0) {
        errors.push_back(at + "matchLabels is given but empty");
      } else {
        for (const auto& entry : match_labels) {
          if (entry.first.Scalar() != "os" && entry.first.Scalar() != "arch") {
            errors.push_back(at + "selector key \"" + entry.first.Scalar() + "\" is not os or arch");
          }
        }
      }
    }
    if (match_expressions) {
      if (!match_expressions.IsSequence() || match_expressions.size() == 0) {
        errors.push_back(at + "matchExpressions is given but empty");
      } else {
        for (const auto& expression : match_expressions) {
          const std::string key = krew_scalar(expression["key"]);
          if (key != "os" && key != "arch") {
            errors.push_back(at + "selector key \"" + key + "\" is not os or arch");
          }
        }
      }
    }
    int pairs = 0;
    for (const auto& [os, arch] : k_krew_platforms) {
      if (selector_matches(selector, {{"os", os}, {"arch", arch}})) {
        ++pairs;
        if (++matched[{os, arch}] == 2) {
          errors.push_back(at + os + "/" + arch + " is matched by two platforms");
        }
      }
    }
    if (pairs == 0) {
      errors.push_back(at + "the selector matches no supported os/arch pair");
    }
  }
  return errors;
}

// The platform entry of `plugin` whose selector matches os/arch, or an undefined node.
inline YAML::Node krew_platform(const YAML::Node& plugin, const std::string& os, const std::string& arch) {
  for (const auto& platform : plugin["spec"]["platforms"]) {
    if (platform["selector"] && platform["selector"].IsMap() &&
        selector_matches(platform["selector"], {{"os", os}, {"arch", arch}})) {
      return platform;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

// Go's filepath.Clean, which krew requires `to` to equal.
inline std::string go_clean(const std::string& path) {
  const bool rooted = path.starts_with("/");
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const std::string part =
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  std::string clean = rooted ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    clean += (i == 0 ? "" : "/") + parts[i];
  }
  return clean.empty() ? "." : clean;
}

// Installs an unpacked archive (`unpacked`) into `install` as krew does per `files` (krew's default when
// there is none: everything). Returns the errors krew would report.
inline std::vector<std::string> krew_install_files(const YAML::Node& platform,
                                                   const std::filesystem::path& unpacked,
                                                   const std::filesystem::path& install) {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, std::string>> operations;
  if (const YAML::Node files = platform["files"]; files && files.IsSequence()) {
    for (const auto& file : files) {
      operations.emplace_back(krew_scalar(file["from"]), krew_scalar(file["to"]));
    }
  } else {
    operations.emplace_back("*", ".");
  }
  std::vector<std::string> errors;
  fs::create_directories(install);
  for (const auto& [from, to] : operations) {
    if (go_clean(to) != to) {
      errors.push_back("`to` \"" + to + "\" is not a clean path (" + go_clean(to) + ")");
      continue;
    }
    const fs::path target = (install / to).lexically_normal();
    const auto relative = target.lexically_relative(install);
    if (relative.empty() || *relative.begin() == "..") {
      errors.push_back("`to` \"" + to + "\" leaves the install directory");
      continue;
    }
    glob_t matches{};
    const std::string pattern = (unpacked / from).string();
    const int found = glob(pattern.c_str(), 0, nullptr, &matches);
    if (found != 0 || matches.gl_pathc == 0) {
      errors.push_back("no file matches `from` \"" + from + "\"");
      globfree(&matches);
      continue;
    }
    fs::create_directories(target);
    for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
      const fs::path match = matches.gl_pathv[i];
      fs::rename(match, target / match.filename());
    }
    globfree(&matches);
  }
  return errors;
}

} // namespace herd::distribution::testing
