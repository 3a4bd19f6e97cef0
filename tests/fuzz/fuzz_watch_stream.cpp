// libFuzzer target: any bytes as the body of a watch response, fed to WatchStreamDecoder in chunks whose
// sizes the input's first bytes choose (so events split anywhere). It must decode or fail cleanly, never
// crash, hang or leak, and a chunked feed must decode the same events as one feed of the whole body.
#include <herd/kube/watch_decoder.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) {
    return 0;
  }
  const std::uint8_t* sizes = data;
  const std::string_view body(reinterpret_cast<const char*>(data + 4), size - 4);
  constexpr std::size_t max_line = 4096; // small, so the bound is reached too

  herd::kube::WatchStreamDecoder chunked(max_line);
  std::vector<herd::kube::WatchEvent> chunked_events;
  bool chunked_ok = true;
  std::size_t offset = 0;
  for (std::size_t round = 0; offset < body.size(); ++round) {
    const std::size_t chunk = 1U + sizes[round % 4] % 64U;
    const auto fed = chunked.feed(body.substr(offset, chunk), chunked_events);
    offset += chunk;
    if (!fed) {
      chunked_ok = false;
      break;
    }
  }
  if (chunked_ok) {
    chunked_ok = chunked.finish().ok();
  }

  herd::kube::WatchStreamDecoder whole(max_line);
  std::vector<herd::kube::WatchEvent> whole_events;
  const bool whole_ok = whole.feed(body, whole_events).ok() && whole.finish().ok();
  if (whole_ok != chunked_ok || whole_events.size() != chunked_events.size()) {
    std::abort();
  }
  for (std::size_t i = 0; i < whole_events.size(); ++i) {
    if (whole_events[i].type != chunked_events[i].type ||
        whole_events[i].object != chunked_events[i].object) {
      std::abort();
    }
  }
  return 0;
}
