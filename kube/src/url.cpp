#include <herd/kube/url.hpp>

#include <algorithm>
#include <cctype>

namespace herd::kube {

namespace {

bool is_scheme_char(char c, bool first) {
  const auto u = static_cast<unsigned char>(c);
  if (std::isalpha(u) != 0) {
    return true;
  }
  return !first && (std::isdigit(u) != 0 || c == '+' || c == '-' || c == '.');
}

// The length of a leading `scheme://`, 0 when there is none.
std::size_t scheme_prefix(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && is_scheme_char(text[i], i == 0)) {
    ++i;
  }
  if (i == 0 || text.substr(i, 3) != "://") {
    return 0;
  }
  return i;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return out;
}

core::Error bad(std::string_view text, std::string_view why) {
  return core::Error{"invalid URL \"" + std::string(text) + "\": " + std::string(why)};
}

} // namespace

int default_port(std::string_view scheme) {
  if (scheme == "https") {
    return 443;
  }
  if (scheme == "http") {
    return 80;
  }
  if (scheme == "socks5") {
    return 1080;
  }
  return 0;
}

std::string Url::host_port() const {
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

std::string Url::origin() const {
  // Appends only: GCC 12 at -O3 reports a false stringop-overflow for `"literal" + std::string` here.
  const bool ipv6 = host.find(':') != std::string::npos;
  std::string out = scheme;
  out += "://";
  out += ipv6 ? "[" : "";
  out += host;
  out += ipv6 ? "]" : "";
  if (explicit_port) {
    out += ':';
    out += std::to_string(port);
  }
  return out;
}

std::string Url::to_string(bool redact_password) const {
  std::string out = scheme + "://";
  if (!userinfo.empty()) {
    const std::size_t colon = userinfo.find(':');
    out += colon == std::string::npos || !redact_password ? userinfo : userinfo.substr(0, colon) + ":xxxxx";
    out += '@';
  }
  out += origin().substr(scheme.size() + 3);
  out += path;
  return out;
}

std::string Url::request_path(std::string_view api_path) const {
  std::string out = path;
  if (api_path.empty() || api_path.front() != '/') {
    out += '/';
  }
  out += api_path;
  return out;
}

core::Result<Url> parse_url(std::string_view text) {
  if (std::ranges::any_of(text, [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return bad(text, "spaces or control characters");
  }
  const std::size_t scheme_length = scheme_prefix(text);
  if (scheme_length == 0) {
    return bad(text, "no scheme:// (want e.g. https://host:port)");
  }
  Url url;
  url.scheme = lower(text.substr(0, scheme_length));
  std::string_view rest = text.substr(scheme_length + 3);
  const std::size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view tail =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    url.userinfo = std::string(authority.substr(0, at));
    authority = authority.substr(at + 1);
  }
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return bad(text, "missing ']' in host");
    }
    url.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return bad(text, "unexpected characters after ']'");
      }
      port_text = after.substr(1);
      has_port = true;
    }
    if (url.host.find(':') == std::string::npos) {
      return bad(text, "brackets around a host that is not an IPv6 address");
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      has_port = true;
      authority = authority.substr(0, colon);
    }
    if (authority.find(':') != std::string_view::npos || authority.find('[') != std::string_view::npos ||
        authority.find(']') != std::string_view::npos) {
      return bad(text, "an IPv6 host must be written in brackets");
    }
    url.host = std::string(authority);
  }
  if (url.host.empty()) {
    return bad(text, "no host");
  }
  if (has_port && !port_text.empty()) {
    if (port_text.size() > 5 || !std::ranges::all_of(port_text, [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) != 0;
        })) {
      return bad(text, "the port must be a number");
    }
    const int port = std::stoi(std::string(port_text));
    if (port < 1 || port > 65535) {
      return bad(text, "the port must be between 1 and 65535");
    }
    url.port = port;
    url.explicit_port = true;
  } else {
    url.port = default_port(url.scheme);
  }
  const std::size_t path_end = tail.find_first_of("?#");
  std::string path(tail.substr(0, path_end));
  while (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  url.path = std::move(path);
  return url;
}

core::Result<Url> parse_server_url(std::string_view server) {
  if (server.empty()) {
    return core::Error{"no server URL"};
  }
  if (scheme_prefix(server) != 0) {
    auto url = parse_url(server);
    if (url.ok() && url->scheme != "https" && url->scheme != "http") {
      return bad(server, "the scheme must be https or http");
    }
    return url;
  }
  // client-go's DefaultServerURL: not a URL with a scheme and a host, so a host[:port] to which it
  // prepends the scheme; a path is an error there.
  auto url = parse_url("http://" + std::string(server));
  if (!url.ok()) {
    return bad(server, "must be a URL (https://host:port) or a host:port pair");
  }
  if (!url->path.empty()) {
    return bad(server, "host must be a URL or a host:port pair");
  }
  return url;
}

} // namespace herd::kube
