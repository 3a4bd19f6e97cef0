#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace herd::kube {

// Go's base64.StdEncoding.DecodeString, as encoding/json decodes a []byte field (certificate-authority-data,
// client-certificate-data, client-key-data): the standard alphabet with `=` padding required, CR and LF
// ignored anywhere. nullopt on any other byte, a bad length or misplaced padding.
std::optional<std::string> decode_base64(std::string_view text);

// Standard base64 with padding (the JSON form of a []byte).
std::string encode_base64(std::string_view bytes);

} // namespace herd::kube
