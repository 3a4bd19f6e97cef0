#pragma once

#include <herd/webhook/policy_store.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace herd::webhook {

class LinterPool;

enum class AdmissionEndpoint { validate, mutate };

std::string_view to_string(AdmissionEndpoint endpoint);

struct AdmissionLimits {
  // Nesting of the whole AdmissionReview; deeper bodies are refused before parsing (a 1,000,000-level body
  // must cost a scan, not a tree). The Stack itself is held to lint's 128 levels (HERD001).
  std::size_t max_body_depth = 1024;
  // Linters that judge at once (each ~2 MiB); more concurrent validations wait for one. 0: two per core.
  std::size_t linters = 0;
};

// What to answer and what to record about it.
struct AdmissionOutcome {
  int http_status = 200;
  std::string body;    // an AdmissionReview, or a metav1.Status for a bad request
  std::string verdict; // allowed | denied | patched | bad-request | error
  std::string uid;
  std::string operation;
  std::string namespace_name;
  std::string name;
  bool dry_run = false;
  // "path [HERDnnn]" of each error of a denial: enough to find it, without the messages (they quote user
  // values, which may hold credentials in a repo URL).
  std::vector<std::string> denied_fields;
  std::string error; // why a request was bad
};

// Turns an AdmissionReview body into the answer the kube-apiserver expects (DESIGN §6). Pure: no I/O, no
// exceptions out; thread-safe (requests borrow a Linter from a bounded pool, rebuilt when the policy
// changes).
//
// validate: the same Linter::check_stack that `kubectl herd lint` runs (plus, on UPDATE, what may not
// change); errors deny with 422 Invalid and every finding with its path, warnings go to response.warnings.
// mutate: defaults and policy injection as a JSONPatch of only what changed; never denies.
class AdmissionHandler {
public:
  explicit AdmissionHandler(const PolicyStore& policies, AdmissionLimits limits = {});

  [[nodiscard]] AdmissionOutcome handle(AdmissionEndpoint endpoint, std::string_view body) const;

private:
  const PolicyStore& m_policies;
  AdmissionLimits m_limits;
  std::shared_ptr<LinterPool> m_linters;
};

} // namespace herd::webhook
