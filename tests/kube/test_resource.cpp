#include <herd/kube/api_error.hpp>
#include <herd/kube/resource.hpp>

#include <gtest/gtest.h>

namespace herd::kube {
namespace {

TEST(ApiPath, BuildsGroupAndCorePaths) {
  EXPECT_EQ(api_path(resources::bundles, "fleet-default", "b", "status"),
            "/apis/fleet.cattle.io/v1alpha1/namespaces/fleet-default/bundles/b/status");
  EXPECT_EQ(api_path(resources::config_maps, "default", "x"), "/api/v1/namespaces/default/configmaps/x");
  EXPECT_EQ(api_path(resources::stacks, ""), "/apis/herd.suse.com/v1/stacks");
  EXPECT_EQ(api_path(resources::namespaces, "ignored", "default"), "/api/v1/namespaces/default");
  EXPECT_EQ(api_path(resources::leases, "herd-system", "herd-controller"),
            "/apis/coordination.k8s.io/v1/namespaces/herd-system/leases/herd-controller");
  EXPECT_EQ(resources::bundle_deployments.api_version(), "fleet.cattle.io/v1alpha1");
  EXPECT_EQ(resources::events.api_version(), "v1");
}

TEST(ApiErrorTest, TakesReasonAndMessageFromAStatusBody) {
  const auto error = api_error_from_response(
      409,
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"the object has been modified",)"
      R"("reason":"Conflict","code":409})");
  EXPECT_EQ(error.status, 409);
  EXPECT_EQ(error.reason, "Conflict");
  EXPECT_EQ(error.message, "the object has been modified");
  EXPECT_TRUE(error.conflict());
}

TEST(ApiErrorTest, DescribesANonStatusBodyPrintably) {
  const auto error = api_error_from_response(502, "<html>bad\ngateway</html>");
  EXPECT_EQ(error.status, 502);
  EXPECT_EQ(error.reason, "");
  EXPECT_EQ(error.message, "Bad Gateway: <html>bad?gateway</html>");
  EXPECT_EQ(api_error_from_response(503, "").to_string(), "503: Service Unavailable");
}

TEST(ApiErrorTest, ReadsRetryAfterFromStatusDetails) {
  const auto error = api_error_from_status({{"kind", "Status"},
                                            {"code", 429},
                                            {"reason", "TooManyRequests"},
                                            {"details", {{"retryAfterSeconds", 4}}}});
  EXPECT_EQ(error.status, 429);
  EXPECT_EQ(error.retry_after_seconds, 4);
}

} // namespace
} // namespace herd::kube
