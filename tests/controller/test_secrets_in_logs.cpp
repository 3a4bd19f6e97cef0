// Credentials never reach the controller's logs: with a bearer token the API server refuses, the controller
// says clearly that it cannot list (and keeps retrying), and the token itself appears nowhere in what it
// logs.
#include "stack_controller_fixture.hpp"

#include <gmock/gmock.h>

namespace herd::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ControllerSecrets, ARefusedTokenIsReportedWithoutBeingLogged) {
  const std::string canary = "CANARY-7f3a9c1e-token";
  test_apiserver::Options server_options;
  server_options.token = "the-right-token";
  ApiServer server(server_options);
  server.start();

  kube::ClusterConfig config = config_for(server);
  config.token = canary;
  kube::ApiClientOptions client_options;
  client_options.backoff_base = 10ms;
  client_options.backoff_cap = 50ms;
  client_options.max_attempts = 2;
  auto client = kube::ApiClient::create(config, client_options);
  ASSERT_TRUE(client) << client.error().message;
  std::ostringstream log;
  {
    runtime::Logger logger(runtime::LogLevel::debug, runtime::LogFormat::json, log);
    runtime::MetricsRegistry registry;
    controller::StackControllerOptions options;
    options.leader_elect = false;
    options.informer_retry_base = 20ms;
    controller::StackController controller(**client, **client, options, default_policy_ptr, logger, registry);
    std::jthread runner([&controller](const std::stop_token& stop) { controller.run(stop); });
    std::this_thread::sleep_for(1s);
    EXPECT_FALSE(controller.synced()) << "nothing can be listed with a refused token";
  } // stops and joins the controller before the log is read
  const std::string text = log.str();
  EXPECT_THAT(text, HasSubstr("cannot list stacks.herd.suse.com"));
  EXPECT_THAT(text, HasSubstr("401"));
  EXPECT_THAT(text, Not(HasSubstr(canary)));
  EXPECT_THAT(text, Not(HasSubstr("the-right-token")));
}

} // namespace
} // namespace herd::test
