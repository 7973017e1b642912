// A small Prometheus registry: counters, gauges and histograms with labels, and gauges whose
// samples are computed at scrape time, rendered in the text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
//   MetricRegistry registry;
//   CounterFamily& requests = registry.AddCounter("app_requests_total", "Requests.", {"code"});
//   requests.Add({"200"});
//   std::string text = registry.Render();
//
// Families are rendered in the order they were added, their series in label-value order.
// Names and label names are checked when a family is added (a bad one is a bug: it aborts);
// label values may be anything and are escaped. Families live as long as the registry and are
// never removed; a series, once created, stays.
//
// Thread-safe: families may be added while others are updated and rendered; every update and
// Render may run concurrently from any thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace openeci::ops {

using LabelValues = std::vector<std::string>;

// One sample of a scrape-time family: label values (one per label name) and the value.
struct Sample {
  LabelValues labels;
  double value = 0;
};

// Text-format helpers (exposed for tests).
// A float as Prometheus writes it: shortest round-trip form, "+Inf", "-Inf", "NaN".
std::string FormatValue(double v);
// A label value with \, " and newline escaped.
std::string EscapeLabelValue(const std::string& v);
// HELP text with \ and newline escaped.
std::string EscapeHelp(const std::string& v);

class MetricFamily {
 public:
  MetricFamily(std::string name, std::string help, std::string type,
               std::vector<std::string> label_names);
  virtual ~MetricFamily() = default;
  MetricFamily(const MetricFamily&) = delete;
  MetricFamily& operator=(const MetricFamily&) = delete;

  const std::string& name() const { return name_; }
  // Appends "# HELP", "# TYPE" and every series to `out`.
  void Render(std::string& out) const;

 protected:
  // Appends the family's series lines.
  virtual void RenderSeries(std::string& out) const = 0;
  // `{a="x",b="y"}` for `values` (plus `extra`, e.g. le="0.5", when not empty); "" when no
  // label at all.
  std::string LabelBlock(const LabelValues& values, const std::string& extra = "") const;
  // Aborts when `values` does not have one value per label name (a programming error).
  void CheckArity(const LabelValues& values) const;

  const std::string name_;
  const std::string help_;
  const std::string type_;
  const std::vector<std::string> label_names_;
};

// Families of one number per series: the storage counters and gauges share.
class ScalarFamily : public MetricFamily {
 public:
  using MetricFamily::MetricFamily;
  double Value(const LabelValues& labels) const;  // 0 for a series never touched

 protected:
  // Sets the series to `value`, or adds `value` to it.
  void Update(const LabelValues& labels, double value, bool add);

 private:
  void RenderSeries(std::string& out) const override;

  mutable std::mutex mu_;
  std::map<LabelValues, double> values_;
};

// Monotonic counters; names should end in _total.
class CounterFamily final : public ScalarFamily {
 public:
  CounterFamily(std::string name, std::string help, std::vector<std::string> label_names);
  // Adds `delta` (>= 0; negative deltas and NaN are ignored) to the series `labels`.
  void Add(const LabelValues& labels, double delta = 1);
};

// Gauges set by the program.
class GaugeFamily final : public ScalarFamily {
 public:
  GaugeFamily(std::string name, std::string help, std::vector<std::string> label_names);
  void Set(const LabelValues& labels, double value);
};

// Gauges (or counters, with type "counter") read at scrape time: `collect` is called on every
// Render, from the scraping thread, and must be thread-safe.
class CallbackFamily final : public MetricFamily {
 public:
  CallbackFamily(std::string name, std::string help, std::string type,
                 std::vector<std::string> label_names,
                 std::function<std::vector<Sample>()> collect);

 private:
  void RenderSeries(std::string& out) const override;

  std::function<std::vector<Sample>()> collect_;
};

// Histograms with fixed upper bounds (sorted, +Inf implied).
class HistogramFamily final : public MetricFamily {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> bounds);
  void Observe(const LabelValues& labels, double value);
  // Observations of the series so far (0 for a series never touched).
  uint64_t Count(const LabelValues& labels) const;
  double Sum(const LabelValues& labels) const;

 private:
  struct Series {
    std::vector<uint64_t> buckets;  // per bound, not cumulative; the last one is +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  void RenderSeries(std::string& out) const override;

  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<LabelValues, Series> series_;
};

class MetricRegistry {
 public:
  CounterFamily& AddCounter(std::string name, std::string help,
                            std::vector<std::string> label_names = {});
  GaugeFamily& AddGauge(std::string name, std::string help,
                        std::vector<std::string> label_names = {});
  HistogramFamily& AddHistogram(std::string name, std::string help,
                                std::vector<std::string> label_names, std::vector<double> bounds);
  // A family computed by `collect` at every Render. `type` is "gauge" or "counter".
  void AddCallback(std::string name, std::string help, std::string type,
                   std::vector<std::string> label_names,
                   std::function<std::vector<Sample>()> collect);

  // Every family in the text format 0.0.4.
  std::string Render() const;

 private:
  template <typename F>
  F& Keep(std::unique_ptr<F> family);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<MetricFamily>> families_;
};

// The content type of Render()'s output.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace openeci::ops
