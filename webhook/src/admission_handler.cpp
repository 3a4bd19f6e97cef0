#include "linter_pool.hpp"

#include <herd/core/diagnostic_sink.hpp>
#include <herd/core/json_depth.hpp>
#include <herd/core/json_member.hpp>
#include <herd/core/linter.hpp>
#include <herd/core/rule_catalog.hpp>
#include <herd/core/stack.hpp>
#include <herd/core/stack_mutator.hpp>
#include <herd/webhook/admission_handler.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <thread>
#include <utility>

namespace herd::webhook {

using nlohmann::json;

namespace {

constexpr std::string_view k_review_api_version = "admission.k8s.io/v1";
constexpr std::size_t k_max_warning_length = 256; // the apiserver's limit per warning
constexpr std::size_t k_max_stack_depth = 128;    // lint's YAML limit: same verdict on the same Stack

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

// Cuts `text` to the apiserver's warning limit without splitting a UTF-8 character.
std::string fit_warning(std::string text) {
  if (text.size() <= k_max_warning_length) {
    return text;
  }
  std::size_t cut = k_max_warning_length - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) {
    --cut;
  }
  text.resize(cut);
  return text + "...";
}

std::string finding_text(const core::Diagnostic& finding) {
  return (finding.path.empty() ? std::string() : finding.path + ": ") + finding.message + " [" +
         finding.rule + "]";
}

// The metav1.StatusCause reason Kubernetes' own validation would give.
std::string_view cause_reason(std::string_view rule) {
  namespace rules = core::rules;
  if (rule == rules::schema_required) {
    return "FieldValueRequired";
  }
  if (rule == rules::schema_enum) {
    return "FieldValueNotSupported";
  }
  if (rule == rules::duplicate_chart || rule == rules::release_collision || rule == rules::duplicate_key ||
      rule == rules::bundle_name_collision) {
    return "FieldValueDuplicate";
  }
  if (rule == rules::repo_scheme || rule == rules::too_many_charts || rule == rules::workspace_not_allowed ||
      rule == rules::targets_outside_tenancy) {
    return "FieldValueForbidden";
  }
  return "FieldValueInvalid";
}

using core::member;
using core::string_member;

json review(json response) {
  return {
      {"apiVersion", k_review_api_version}, {"kind", "AdmissionReview"}, {"response", std::move(response)}};
}

void bad_request(AdmissionOutcome& outcome, std::string message) {
  outcome.http_status = 400;
  outcome.verdict = "bad-request";
  outcome.error = message;
  outcome.body = json{
      {"apiVersion", "v1"},
      {"kind", "Status"},
      {"metadata", json::object()},
      {"status", "Failure"},
      {"message", std::move(message)},
      {"reason", "BadRequest"},
      {"code", 400}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

void answer(AdmissionOutcome& outcome, json response, std::string verdict) {
  outcome.verdict = std::move(verdict);
  outcome.body = review(std::move(response)).dump(-1, ' ', false, json::error_handler_t::replace);
}

// The Stack as the apiserver will store it: a CREATE may leave metadata.namespace to the request.
json stack_in_namespace(json stack, const std::string& namespace_name) {
  if (!namespace_name.empty() && stack.contains("metadata") && stack["metadata"].is_object() &&
      string_member(stack["metadata"], "namespace").empty()) {
    stack["metadata"]["namespace"] = namespace_name;
  }
  return stack;
}

// `request` is consumed: its objects are moved into the judge rather than copied.
void validate(AdmissionOutcome& outcome,
              json& request,
              const std::shared_ptr<const core::Policy>& policy,
              LinterPool& linters,
              json response) {
  json& object = request["object"];
  const std::string name =
      outcome.name.empty() ? string_member(member(object, "metadata"), "generateName") : outcome.name;
  core::Diagnostics findings;
  core::DiagnosticSink sink(findings, "", nullptr);
  if (core::json_depth(object) > k_max_stack_depth) {
    sink.error(core::rules::yaml_syntax, "",
               "nesting deeper than " + std::to_string(k_max_stack_depth) + " levels");
  } else {
    const auto lease = linters.acquire(policy);
    if (!lease) {
      outcome.http_status = 500;
      outcome.verdict = "error";
      outcome.error = "the embedded Stack schema does not compile (a build defect)";
      outcome.body = outcome.error;
      return;
    }
    json stack = stack_in_namespace(std::move(object), outcome.namespace_name);
    const json& old_object = member(request, "oldObject");
    if (outcome.operation == "UPDATE" && old_object.is_object()) {
      lease->linter().check_update(old_object, std::move(stack), sink);
    } else {
      lease->linter().check_stack(std::move(stack), sink);
    }
  }
  json warnings = json::array();
  std::vector<std::string> errors;
  json causes = json::array();
  for (const auto& finding : findings) {
    if (finding.severity == core::Severity::warning) {
      warnings.push_back(fit_warning(finding_text(finding)));
      continue;
    }
    errors.push_back(finding_text(finding));
    outcome.denied_fields.push_back((finding.path.empty() ? "<stack>" : finding.path) + " [" + finding.rule +
                                    "]");
    causes.push_back({{"reason", cause_reason(finding.rule)},
                      {"message", finding.message + " [" + finding.rule + "]"},
                      {"field", finding.path}});
  }
  if (!warnings.empty()) {
    response["warnings"] = std::move(warnings);
  }
  if (errors.empty()) {
    response["allowed"] = true;
    answer(outcome, std::move(response), "allowed");
    return;
  }
  std::string listed;
  for (const auto& error : errors) {
    listed += (listed.empty() ? "" : ", ") + error;
  }
  response["allowed"] = false;
  response["status"] = {
      {"metadata", json::object()},
      {"status", "Failure"},
      {"message", "Stack.herd.suse.com \"" + name +
                      "\" is invalid: " + (errors.size() == 1 ? listed : "[" + listed + "]")},
      {"reason", "Invalid"},
      {"details",
       {{"name", name}, {"group", "herd.suse.com"}, {"kind", "Stack"}, {"causes", std::move(causes)}}},
      {"code", 422}};
  answer(outcome, std::move(response), "denied");
}

void mutate(AdmissionOutcome& outcome, json& request, const core::Policy& policy, json response) {
  response["allowed"] = true;
  json& object = request["object"];
  if (!core::is_stack_document(object) || string_member(object, "apiVersion") != core::k_api_version ||
      core::json_depth(object) > k_max_stack_depth) {
    answer(outcome, std::move(response), "allowed"); // the validating webhook explains what is wrong
    return;
  }
  const json original = stack_in_namespace(std::move(object), outcome.namespace_name);
  json mutated = original;
  const core::MutationResult mutation = core::mutate_stack(mutated, policy);
  const json patch = json::diff(original, mutated);
  json warnings = json::array();
  for (const auto& warning : mutation.warnings) {
    warnings.push_back(fit_warning(warning.path + ": " + warning.message + " [" +
                                   std::string(core::rules::feature_required) + "]"));
  }
  if (!warnings.empty()) {
    response["warnings"] = std::move(warnings);
  }
  if (patch.empty()) {
    answer(outcome, std::move(response), "allowed");
    return;
  }
  response["patchType"] = "JSONPatch";
  response["patch"] = base64(patch.dump(-1, ' ', false, json::error_handler_t::replace));
  json audit = {{"policy", policy.name + "@sha256:" + policy.sha256}};
  if (!mutation.injected.empty()) {
    std::string injected;
    for (const auto& path : mutation.injected) {
      injected += (injected.empty() ? "" : ",") + path;
    }
    audit["injected"] = injected;
  }
  response["auditAnnotations"] = std::move(audit);
  answer(outcome, std::move(response), "patched");
}

} // namespace

std::string_view to_string(AdmissionEndpoint endpoint) {
  return endpoint == AdmissionEndpoint::validate ? "validate-stack" : "mutate-stack";
}

namespace {
std::size_t linter_capacity(const AdmissionLimits& limits) {
  if (limits.linters > 0) {
    return limits.linters;
  }
  const unsigned cores = std::thread::hardware_concurrency();
  return std::size_t{2} * (cores == 0 ? 1U : cores);
}
} // namespace

AdmissionHandler::AdmissionHandler(const PolicyStore& policies, AdmissionLimits limits)
    : m_policies(policies), m_limits(limits),
      m_linters(std::make_shared<LinterPool>(linter_capacity(limits))) {}

AdmissionOutcome AdmissionHandler::handle(AdmissionEndpoint endpoint, std::string_view body) const {
  AdmissionOutcome outcome;
  if (core::json_text_depth(body, m_limits.max_body_depth) > m_limits.max_body_depth) {
    bad_request(outcome, "the AdmissionReview nests deeper than " + std::to_string(m_limits.max_body_depth) +
                             " levels");
    return outcome;
  }
  json review_json;
  try {
    review_json = json::parse(body);
  } catch (const json::exception& error) {
    std::string what = error.what();
    if (const std::size_t bracket = what.find("] ");
        what.starts_with("[json.exception") && bracket != std::string::npos) {
      what = what.substr(bracket + 2);
    }
    bad_request(outcome, "the body is not valid JSON: " + what);
    return outcome;
  }
  if (!review_json.is_object()) {
    bad_request(outcome, "the body is not an AdmissionReview object");
    return outcome;
  }
  const std::string api_version = string_member(review_json, "apiVersion");
  const std::string kind = string_member(review_json, "kind");
  if (kind != "AdmissionReview") {
    bad_request(outcome, "expected kind AdmissionReview, got \"" + kind + "\"");
    return outcome;
  }
  if (api_version != k_review_api_version) {
    bad_request(outcome, "AdmissionReview apiVersion \"" + api_version +
                             "\" is not served; register the webhook with "
                             "admissionReviewVersions: [v1] (admission.k8s.io/v1)");
    return outcome;
  }
  if (!member(review_json, "request").is_object()) {
    bad_request(outcome, "the AdmissionReview has no request");
    return outcome;
  }
  json& request = review_json["request"];
  outcome.uid = string_member(request, "uid");
  if (outcome.uid.empty()) {
    bad_request(outcome, "the AdmissionReview request has no uid");
    return outcome;
  }
  outcome.operation = string_member(request, "operation");
  outcome.namespace_name = string_member(request, "namespace");
  outcome.name = string_member(request, "name");
  outcome.dry_run = member(request, "dryRun") == json(true);
  json response = {{"uid", outcome.uid}};

  const json& resource = member(request, "resource");
  const std::string group = string_member(resource, "group");
  const std::string plural = string_member(resource, "resource");
  const std::string sub_resource = string_member(request, "subResource");
  if (group != "herd.suse.com" || plural != "stacks" || !sub_resource.empty()) {
    std::string what =
        plural + (group.empty() ? "" : "." + group) + (sub_resource.empty() ? "" : "/" + sub_resource);
    response["allowed"] = true;
    response["warnings"] =
        json::array({fit_warning("herd-controller judges only stacks.herd.suse.com; " + what +
                                 " was let through unchecked (check the webhook configuration's rules)")});
    answer(outcome, std::move(response), "allowed");
    return outcome;
  }
  if (outcome.operation != "CREATE" && outcome.operation != "UPDATE") {
    response["allowed"] = true; // DELETE and CONNECT: nothing to judge or inject
    answer(outcome, std::move(response), "allowed");
    return outcome;
  }
  const json& object = member(request, "object");
  if (!object.is_object()) {
    bad_request(outcome, "the " + outcome.operation + " request has no object");
    return outcome;
  }
  if (outcome.name.empty()) {
    outcome.name = string_member(member(object, "metadata"), "name");
  }
  const auto policy = m_policies.current();
  if (endpoint == AdmissionEndpoint::validate) {
    validate(outcome, request, policy, *m_linters, std::move(response));
  } else {
    mutate(outcome, request, *policy, std::move(response));
  }
  return outcome;
}

} // namespace herd::webhook
