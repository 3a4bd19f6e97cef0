#pragma once

// Helpers shared by the herd-kube tests: a temporary directory per test, an Environment whose variables are
// injected while files come from the real file system, fake PEM blocks and base64.

#include <herd/kube/environment.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>

namespace herd::kube::test {

inline constexpr std::string_view k_ca_pem =
    "-----BEGIN CERTIFICATE-----\nQ0EgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
inline constexpr std::string_view k_client_pem =
    "-----BEGIN CERTIFICATE-----\nY2xpZW50IGNlcnQ=\n-----END CERTIFICATE-----\n";
inline constexpr std::string_view k_key_pem =
    "-----BEGIN EC PRIVATE KEY-----\nc2VjcmV0IGtleQ==\n-----END EC PRIVATE KEY-----\n";

inline std::string base64(std::string_view bytes) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned group = (static_cast<unsigned char>(bytes[i]) << 16U) |
                           (static_cast<unsigned char>(bytes[i + 1]) << 8U) |
                           static_cast<unsigned char>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) {
      out += alphabet[(group >> static_cast<unsigned>(shift)) & 0x3fU];
    }
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    unsigned group = static_cast<unsigned char>(bytes[i]) << 16U;
    if (rest == 2) {
      group |= static_cast<unsigned char>(bytes[i + 1]) << 8U;
    }
    out += alphabet[(group >> 18U) & 0x3fU];
    out += alphabet[(group >> 12U) & 0x3fU];
    out += rest == 2 ? alphabet[(group >> 6U) & 0x3fU] : '=';
    out += '=';
  }
  return out;
}

// Injected variables; real files.
class TestEnvironment final : public Environment {
public:
  std::map<std::string, std::string, std::less<>> variables;

  [[nodiscard]] std::string variable(std::string_view name) const override {
    const auto found = variables.find(name);
    return found != variables.end() ? found->second : std::string();
  }
  [[nodiscard]] FileRead read_file(const std::string& path, std::size_t max_bytes) const override {
    return system_environment().read_file(path, max_bytes);
  }
};

// A fresh directory for each test, removed afterwards.
class TemporaryDirectory {
public:
  TemporaryDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "herd-kube-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    m_path = pattern;
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
  }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }
  [[nodiscard]] std::string file(std::string_view name) const { return (m_path / name).string(); }

  // Writes `text` to `name` (creating directories) and returns its path.
  std::string write(std::string_view name, std::string_view text) const {
    const std::filesystem::path target = m_path / name;
    std::filesystem::create_directories(target.parent_path());
    std::ofstream(target, std::ios::binary) << text;
    return target.string();
  }

  // Writes an executable script.
  std::string write_script(std::string_view name, std::string_view text) const {
    const std::string target = write(name, text);
    std::filesystem::permissions(target, std::filesystem::perms::owner_all |
                                             std::filesystem::perms::group_read |
                                             std::filesystem::perms::group_exec);
    return target;
  }

  [[nodiscard]] std::string read(std::string_view name) const {
    std::ifstream in(m_path / name, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

private:
  std::filesystem::path m_path;
};

} // namespace herd::kube::test
