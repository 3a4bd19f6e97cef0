// The reconciler benchmark of issue 5: 1,000 Stacks x 5 charts on the test API server (in this process, over
// HTTP on localhost). Measures the time to converge from empty (every Stack finalized, 5,000 Bundles applied,
// every status written) and then full resyncs with nothing changed: their write requests (bar: zero) and
// their cost per Stack (bar: < 1 ms). Prints Markdown rows for bench/RESULTS.md (bench/reconciler/run.sh).
#include <herd/controller/stack_controller.hpp>
#include <herd/core/policy.hpp>
#include <herd/kube/api_client.hpp>
#include <herd/kube/url.hpp>
#include <herd/runtime/logger.hpp>
#include <herd/runtime/metrics.hpp>
#include <herd/test_apiserver/api_server.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <vector>

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

json stack(int index) {
  json charts = json::array();
  for (int chart = 0; chart < 5; ++chart) {
    json item = {{"name", "chart-" + std::to_string(chart)},
                 {"repo", "https://charts.example.com/stable"},
                 {"version", "1." + std::to_string(chart) + ".0"},
                 {"values", {{"inline", {{"replicas", chart + 1}, {"stack", index}}}}}};
    if (chart > 0) {
      item["dependsOn"] = json::array({"chart-" + std::to_string(chart - 1)});
    }
    charts.push_back(item);
  }
  return {{"apiVersion", "herd.suse.com/v1"},
          {"kind", "Stack"},
          {"metadata",
           {{"name", "stack-" + std::to_string(index)}, {"namespace", "team-" + std::to_string(index % 10)}}},
          {"spec",
           {{"env", "dev"},
            {"targets", {{"clusterIds", {"c-m-" + std::to_string(index % 20)}}}},
            {"charts", charts}}}};
}

bool converged(const herd::test_apiserver::ApiServer& server, int stacks) {
  if (server.list("fleet.cattle.io/v1alpha1", "bundles").size() != static_cast<std::size_t>(stacks) * 5) {
    return false;
  }
  for (const auto& item : server.list("herd.suse.com/v1", "stacks")) {
    if (!item.contains("status") || item["status"].value("observedGeneration", 0) != 1) {
      return false;
    }
  }
  return true;
}

std::size_t all_requests(const herd::test_apiserver::ApiServer& server) {
  return server.requests().size();
}

std::size_t write_requests(const herd::test_apiserver::ApiServer& server) {
  std::size_t writes = 0;
  for (const auto& request : server.requests()) {
    writes += request.method != "GET" ? 1U : 0U;
  }
  return writes;
}

} // namespace

int main(int argc, char** argv) {
  const int stacks = argc > 1 ? std::stoi(argv[1]) : 1000;
  const int resyncs = argc > 2 ? std::stoi(argv[2]) : 5;
  herd::test_apiserver::Options options;
  options.history_limit = 200000;
  herd::test_apiserver::ApiServer server(options);
  server.start();
  for (const std::string name : {"fleet-default"}) {
    server.put({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}});
  }
  for (int team = 0; team < 10; ++team) {
    server.put({{"apiVersion", "v1"},
                {"kind", "Namespace"},
                {"metadata", {{"name", "team-" + std::to_string(team)}}}});
  }
  for (int index = 0; index < stacks; ++index) {
    server.put(stack(index));
  }

  herd::kube::ClusterConfig config;
  config.server = server.url();
  config.server_url = herd::kube::parse_server_url(config.server).value();
  auto client = herd::kube::ApiClient::create(config).value();
  auto election = herd::kube::ApiClient::create(config).value();
  std::ostringstream log_sink;
  herd::runtime::Logger logger(herd::runtime::LogLevel::warn, herd::runtime::LogFormat::json, log_sink);
  herd::runtime::MetricsRegistry registry;
  herd::controller::StackControllerOptions controller_options;
  controller_options.leader_elect = false;
  controller_options.resync_period = std::chrono::hours(24);
  const auto policy = std::make_shared<const herd::core::Policy>(herd::core::default_policy());
  herd::controller::StackController controller(
      *client, *election, controller_options, [policy] { return policy; }, logger, registry);

  const auto started = Clock::now();
  const double cpu_started = cpu_seconds();
  std::jthread runner([&controller](std::stop_token stop) { controller.run(stop); });
  while (!converged(server, stacks)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double converge_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const double converge_cpu = cpu_seconds() - cpu_started;
  const std::size_t converge_writes = write_requests(server);
  // Let the echoes of the last writes (watch events of our own status updates) settle.
  while (controller.queue_depth() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  std::vector<double> per_stack_ms;
  std::vector<double> cpu_per_stack_ms;
  std::size_t resync_writes = 0;
  std::size_t resync_requests = 0;
  for (int round = 0; round < resyncs; ++round) {
    server.clear_logs();
    const double before = controller.metrics().reconciles.value({"success"});
    const auto begin = Clock::now();
    const double cpu_begin = cpu_seconds();
    controller.enqueue_all();
    while (controller.metrics().reconciles.value({"success"}) < before + stacks) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    per_stack_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - begin).count() / stacks);
    cpu_per_stack_ms.push_back((cpu_seconds() - cpu_begin) * 1000.0 / stacks);
    resync_writes += write_requests(server);
    resync_requests += all_requests(server);
  }
  runner.request_stop();
  runner.join();
  std::ranges::sort(per_stack_ms);
  std::ranges::sort(cpu_per_stack_ms);
  const double median = per_stack_ms[per_stack_ms.size() / 2];
  const double cpu_median = cpu_per_stack_ms[cpu_per_stack_ms.size() / 2];
  std::printf("stacks=%d charts=%d converge_s=%.2f converge_cpu_s=%.2f converge_writes=%zu "
              "resync_ms_per_stack=%.3f resync_cpu_ms_per_stack=%.3f resync_writes=%zu resync_requests=%zu "
              "resyncs=%d\n",
              stacks, stacks * 5, converge_seconds, converge_cpu, converge_writes, median, cpu_median,
              resync_writes, resync_requests, resyncs);
  return resync_writes == 0 ? 0 : 1;
}
