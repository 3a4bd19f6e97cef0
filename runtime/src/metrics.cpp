#include <herd/runtime/metrics.hpp>

#include <array>
#include <charconv>
#include <cmath>

namespace herd::runtime {

namespace {

std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_number(double value) {
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  // As printf's "%.9g"; at most 16 characters ("-1.23456789e-308"), so it always fits.
  std::array<char, 32> buffer{};
  const auto written =
      std::to_chars(buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::general, 9);
  return {buffer.data(), written.ptr};
}

// `{a="x",b="y"}` (empty when there are no labels); `extra` is appended (the histogram's `le`).
std::string
label_set(const std::vector<std::string>& names, const LabelValues& values, const std::string& extra = {}) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    out += (out.empty() ? "" : ",") + names[i] + "=\"" + escape_label_value(values[i]) + "\"";
  }
  if (!extra.empty()) {
    out += (out.empty() ? "" : ",") + extra;
  }
  return out.empty() ? out : "{" + out + "}";
}

void header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

} // namespace

ScalarMetric::ScalarMetric(std::string name,
                           std::string help,
                           std::vector<std::string> label_names,
                           std::string type)
    : m_name(std::move(name)), m_help(std::move(help)), m_label_names(std::move(label_names)),
      m_type(std::move(type)) {}

void ScalarMetric::add_to(double amount, const LabelValues& labels) {
  const std::lock_guard lock(m_mutex);
  m_values[labels] += amount;
}

void ScalarMetric::set_to(double value, const LabelValues& labels) {
  const std::lock_guard lock(m_mutex);
  m_values[labels] = value;
}

double ScalarMetric::value(const LabelValues& labels) const {
  const std::lock_guard lock(m_mutex);
  const auto found = m_values.find(labels);
  return found == m_values.end() ? 0.0 : found->second;
}

void ScalarMetric::render(std::string& out) const {
  header(out, m_name, m_help, m_type.c_str());
  const std::lock_guard lock(m_mutex);
  for (const auto& [labels, value] : m_values) {
    out += m_name + label_set(m_label_names, labels) + " " + format_number(value) + "\n";
  }
}

Histogram::Histogram(std::string name,
                     std::string help,
                     std::vector<std::string> label_names,
                     std::vector<double> bounds)
    : m_name(std::move(name)), m_help(std::move(help)), m_label_names(std::move(label_names)),
      m_bounds(std::move(bounds)) {}

void Histogram::observe(double value, const LabelValues& labels) {
  const std::lock_guard lock(m_mutex);
  Series& series = m_series[labels];
  if (series.buckets.empty()) {
    series.buckets.assign(m_bounds.size(), 0);
  }
  for (std::size_t i = 0; i < m_bounds.size(); ++i) {
    if (value <= m_bounds[i]) {
      ++series.buckets[i];
      break;
    }
  }
  ++series.count;
  series.sum += value;
}

std::uint64_t Histogram::count(const LabelValues& labels) const {
  const std::lock_guard lock(m_mutex);
  const auto found = m_series.find(labels);
  return found == m_series.end() ? 0 : found->second.count;
}

void Histogram::render(std::string& out) const {
  header(out, m_name, m_help, "histogram");
  const std::lock_guard lock(m_mutex);
  for (const auto& [labels, series] : m_series) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < m_bounds.size(); ++i) {
      cumulative += series.buckets[i];
      out += m_name + "_bucket" +
             label_set(m_label_names, labels, "le=\"" + format_number(m_bounds[i]) + "\"") + " " +
             std::to_string(cumulative) + "\n";
    }
    out += m_name + "_bucket" + label_set(m_label_names, labels, "le=\"+Inf\"") + " " +
           std::to_string(series.count) + "\n";
    out += m_name + "_sum" + label_set(m_label_names, labels) + " " + format_number(series.sum) + "\n";
    out += m_name + "_count" + label_set(m_label_names, labels) + " " + std::to_string(series.count) + "\n";
  }
}

Counter& MetricsRegistry::counter(std::string name, std::string help, std::vector<std::string> label_names) {
  auto* counter = new Counter(std::move(name), std::move(help), std::move(label_names));
  m_scalars.emplace_back(counter);
  return *counter;
}

Gauge& MetricsRegistry::gauge(std::string name, std::string help, std::vector<std::string> label_names) {
  auto* gauge = new Gauge(std::move(name), std::move(help), std::move(label_names));
  m_scalars.emplace_back(gauge);
  return *gauge;
}

Histogram& MetricsRegistry::histogram(std::string name,
                                      std::string help,
                                      std::vector<double> bounds,
                                      std::vector<std::string> label_names) {
  m_histograms.push_back(std::unique_ptr<Histogram>(
      new Histogram(std::move(name), std::move(help), std::move(label_names), std::move(bounds))));
  return *m_histograms.back();
}

std::string MetricsRegistry::render() const {
  std::string out;
  for (const auto& scalar : m_scalars) {
    scalar->render(out);
  }
  for (const auto& histogram : m_histograms) {
    histogram->render(out);
  }
  return out;
}

std::vector<double> latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

} // namespace herd::runtime
