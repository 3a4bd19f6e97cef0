#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace herd::runtime {

using LabelValues = std::vector<std::string>;

// One value per combination of label values: what counters and gauges share.
class ScalarMetric {
public:
  virtual ~ScalarMetric() = default;
  ScalarMetric(const ScalarMetric&) = delete;
  ScalarMetric& operator=(const ScalarMetric&) = delete;
  [[nodiscard]] double value(const LabelValues& labels = {}) const;

protected:
  ScalarMetric(std::string name, std::string help, std::vector<std::string> label_names, std::string type);
  void add_to(double amount, const LabelValues& labels);
  void set_to(double value, const LabelValues& labels);

private:
  friend class MetricsRegistry;
  void render(std::string& out) const;

  std::string m_name;
  std::string m_help;
  std::vector<std::string> m_label_names;
  std::string m_type;
  mutable std::mutex m_mutex;
  std::map<LabelValues, double> m_values;
};

// A Prometheus counter family (a value that only goes up).
class Counter : public ScalarMetric {
public:
  void increment(const LabelValues& labels = {}, double amount = 1.0) { add_to(amount, labels); }

private:
  friend class MetricsRegistry;
  Counter(std::string name, std::string help, std::vector<std::string> label_names)
      : ScalarMetric(std::move(name), std::move(help), std::move(label_names), "counter") {}
};

// A Prometheus gauge family (a value that goes up and down).
class Gauge : public ScalarMetric {
public:
  void set(double value, const LabelValues& labels = {}) { set_to(value, labels); }
  void add(double amount, const LabelValues& labels = {}) { add_to(amount, labels); }

private:
  friend class MetricsRegistry;
  Gauge(std::string name, std::string help, std::vector<std::string> label_names)
      : ScalarMetric(std::move(name), std::move(help), std::move(label_names), "gauge") {}
};

// A Prometheus histogram family with fixed upper bounds (seconds for latencies).
class Histogram {
public:
  void observe(double value, const LabelValues& labels = {});
  [[nodiscard]] std::uint64_t count(const LabelValues& labels = {}) const;

private:
  friend class MetricsRegistry;
  Histogram(std::string name,
            std::string help,
            std::vector<std::string> label_names,
            std::vector<double> bounds);
  void render(std::string& out) const;

  struct Series {
    std::vector<std::uint64_t> buckets; // per bound, not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };
  std::string m_name;
  std::string m_help;
  std::vector<std::string> m_label_names;
  std::vector<double> m_bounds;
  mutable std::mutex m_mutex;
  std::map<LabelValues, Series> m_series;
};

// The metrics of one process, rendered in the Prometheus text exposition format (version 0.0.4). Families
// are created once at start-up and live as long as the registry; creating them is not thread-safe, updating
// them is.
class MetricsRegistry {
public:
  Counter& counter(std::string name, std::string help, std::vector<std::string> label_names = {});
  Gauge& gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  Histogram& histogram(std::string name,
                       std::string help,
                       std::vector<double> bounds,
                       std::vector<std::string> label_names = {});

  [[nodiscard]] std::string render() const;

private:
  std::vector<std::unique_ptr<ScalarMetric>> m_scalars; // counters and gauges, in registration order
  std::vector<std::unique_ptr<Histogram>> m_histograms;
};

// Latency buckets from 100 µs to 10 s, fine where admission latencies live.
std::vector<double> latency_buckets();

} // namespace herd::runtime
