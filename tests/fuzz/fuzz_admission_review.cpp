// libFuzzer target: any bytes as an AdmissionReview body on both endpoints. The handler must answer every
// input (200 with a review, or 400 with a reason), never crash, hang or leak.
#include <herd/webhook/admission_handler.hpp>
#include <herd/webhook/policy_store.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const herd::webhook::PolicyStore policies;
  static const herd::webhook::AdmissionHandler handler(policies);
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (const auto endpoint :
       {herd::webhook::AdmissionEndpoint::validate, herd::webhook::AdmissionEndpoint::mutate}) {
    const auto outcome = handler.handle(endpoint, body);
    if (outcome.http_status != 200 && outcome.http_status != 400) {
      std::abort(); // 500 means the embedded schema is broken: a finding worth stopping for
    }
  }
  return 0;
}
