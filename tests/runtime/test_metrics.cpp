#include <herd/runtime/metrics.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace herd::runtime {
namespace {

using ::testing::HasSubstr;

TEST(Metrics, CountersRenderInThePrometheusTextFormat) {
  MetricsRegistry registry;
  Counter& requests = registry.counter("herd_requests_total", "Requests.", {"endpoint", "verdict"});
  requests.increment({"validate-stack", "allowed"});
  requests.increment({"validate-stack", "allowed"});
  requests.increment({"mutate-stack", "patched"});

  const std::string text = registry.render();

  EXPECT_THAT(text, HasSubstr("# HELP herd_requests_total Requests.\n# TYPE herd_requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr("herd_requests_total{endpoint=\"validate-stack\",verdict=\"allowed\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("herd_requests_total{endpoint=\"mutate-stack\",verdict=\"patched\"} 1\n"));
}

TEST(Metrics, LabelValuesAreEscaped) {
  MetricsRegistry registry;
  registry.counter("herd_errors_total", "Errors.", {"reason"}).increment({"a \"quoted\"\\path\nline"});

  EXPECT_THAT(registry.render(), HasSubstr(R"(herd_errors_total{reason="a \"quoted\"\\path\nline"} 1)"));
}

TEST(Metrics, HistogramBucketsAreCumulativeWithSumAndCount) {
  MetricsRegistry registry;
  Histogram& latency =
      registry.histogram("herd_latency_seconds", "Latency.", {0.001, 0.01, 0.1}, {"endpoint"});
  latency.observe(0.0005, {"v"});
  latency.observe(0.005, {"v"});
  latency.observe(0.005, {"v"});
  latency.observe(3.0, {"v"});

  const std::string text = registry.render();

  EXPECT_THAT(text, HasSubstr("# TYPE herd_latency_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("herd_latency_seconds_bucket{endpoint=\"v\",le=\"0.001\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("herd_latency_seconds_bucket{endpoint=\"v\",le=\"0.01\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("herd_latency_seconds_bucket{endpoint=\"v\",le=\"0.1\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("herd_latency_seconds_bucket{endpoint=\"v\",le=\"+Inf\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("herd_latency_seconds_sum{endpoint=\"v\"} 3.0105\n"));
  EXPECT_THAT(text, HasSubstr("herd_latency_seconds_count{endpoint=\"v\"} 4\n"));
}

TEST(Metrics, GaugesGoUpAndDown) {
  MetricsRegistry registry;
  Gauge& in_flight = registry.gauge("herd_in_flight", "In flight.");
  in_flight.add(2);
  in_flight.add(-1);

  EXPECT_EQ(in_flight.value(), 1.0);
  EXPECT_THAT(registry.render(), HasSubstr("herd_in_flight 1\n"));
}

TEST(Metrics, ConcurrentIncrementsAreAllCounted) {
  MetricsRegistry registry;
  Counter& counter = registry.counter("herd_total", "Total.");
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&counter] {
      for (int i = 0; i < 10000; ++i) {
        counter.increment();
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(counter.value(), 40000.0);
}

} // namespace
} // namespace herd::runtime
