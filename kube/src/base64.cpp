#include "base64.hpp"

#include <array>
#include <cstdint>

namespace herd::kube {

namespace {

constexpr std::string_view k_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_table() {
  std::array<std::int8_t, 256> table{};
  for (auto& entry : table) {
    entry = -1;
  }
  for (std::size_t i = 0; i < k_alphabet.size(); ++i) {
    table[static_cast<unsigned char>(k_alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}

constexpr std::array<std::int8_t, 256> k_table = make_table();

} // namespace

std::optional<std::string> decode_base64(std::string_view text) {
  std::string symbols;
  symbols.reserve(text.size());
  for (const char c : text) {
    if (c != '\r' && c != '\n') {
      symbols += c;
    }
  }
  if (symbols.size() % 4 != 0) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(symbols.size() / 4 * 3);
  for (std::size_t i = 0; i < symbols.size(); i += 4) {
    const bool last = i + 4 == symbols.size();
    std::array<int, 4> values{};
    int padding = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = symbols[i + j];
      if (c == '=') {
        // Padding only in the last quantum, only in its last two places, and nothing but padding after it.
        if (!last || j < 2) {
          return std::nullopt;
        }
        ++padding;
        values[j] = 0;
        continue;
      }
      if (padding > 0) {
        return std::nullopt;
      }
      const std::int8_t value = k_table[static_cast<unsigned char>(c)];
      if (value < 0) {
        return std::nullopt;
      }
      values[j] = static_cast<unsigned char>(value); // not negative: checked above
    }
    const std::uint32_t group =
        (static_cast<std::uint32_t>(values[0]) << 18) | (static_cast<std::uint32_t>(values[1]) << 12) |
        (static_cast<std::uint32_t>(values[2]) << 6) | static_cast<std::uint32_t>(values[3]);
    out += static_cast<char>((group >> 16) & 0xff);
    if (padding < 2) {
      out += static_cast<char>((group >> 8) & 0xff);
    }
    if (padding < 1) {
      out += static_cast<char>(group & 0xff);
    }
  }
  return out;
}

std::string encode_base64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                                (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                                static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
    out += k_alphabet[(group >> 18) & 0x3f];
    out += k_alphabet[(group >> 12) & 0x3f];
    out += k_alphabet[(group >> 6) & 0x3f];
    out += k_alphabet[group & 0x3f];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) {
      group |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    }
    out += k_alphabet[(group >> 18) & 0x3f];
    out += k_alphabet[(group >> 12) & 0x3f];
    out += rest == 2 ? k_alphabet[(group >> 6) & 0x3f] : '=';
    out += '=';
  }
  return out;
}

} // namespace herd::kube
