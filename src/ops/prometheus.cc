#include "ops/prometheus.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace openeci::ops {
namespace {

[[noreturn]] void Bug(const std::string& what) {
  std::fprintf(stderr, "metric registry: %s\n", what.c_str());
  std::abort();
}

bool IsNameChar(char c, bool first, bool colon_ok) {
  bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return letter || (colon_ok && c == ':') || (!first && c >= '0' && c <= '9');
}

bool ValidName(const std::string& name, bool colon_ok) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, colon_ok)) return false;
  }
  return true;
}

void CheckNames(const std::string& name, const std::vector<std::string>& labels, bool histogram) {
  if (!ValidName(name, true)) Bug("invalid metric name \"" + name + "\"");
  std::set<std::string> seen;
  for (const auto& l : labels) {
    bool reserved = l.rfind("__", 0) == 0 || (histogram && l == "le");
    if (!ValidName(l, false) || reserved) Bug(name + ": invalid label name \"" + l + "\"");
    if (!seen.insert(l).second) Bug(name + ": duplicate label name \"" + l + "\"");
  }
}

void AppendLine(std::string& out, const std::string& name, const std::string& labels,
                double value) {
  out += name;
  out += labels;
  out += ' ';
  out += FormatValue(value);
  out += '\n';
}

}  // namespace

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, end);
}

namespace {

// Backslash and newline always; double quotes in label values only (the format's rule).
std::string Escape(const std::string& v, bool quotes) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string EscapeLabelValue(const std::string& v) { return Escape(v, true); }

std::string EscapeHelp(const std::string& v) { return Escape(v, false); }

// --- MetricFamily -------------------------------------------------------------------------

MetricFamily::MetricFamily(std::string name, std::string help, std::string type,
                           std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(std::move(type)),
      label_names_(std::move(label_names)) {
  CheckNames(name_, label_names_, type_ == "histogram");
}

void MetricFamily::Render(std::string& out) const {
  out += "# HELP " + name_ + " " + EscapeHelp(help_) + "\n";
  out += "# TYPE " + name_ + " " + type_ + "\n";
  RenderSeries(out);
}

std::string MetricFamily::LabelBlock(const LabelValues& values, const std::string& extra) const {
  if (label_names_.empty() && extra.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < label_names_.size(); ++i) {
    if (i > 0) out += ',';
    out += label_names_[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  }
  if (!extra.empty()) {
    if (!label_names_.empty()) out += ',';
    out += extra;
  }
  return out + "}";
}

void MetricFamily::CheckArity(const LabelValues& values) const {
  if (values.size() != label_names_.size()) {
    Bug(name_ + ": " + std::to_string(values.size()) + " label values for " +
        std::to_string(label_names_.size()) + " labels");
  }
}

// --- ScalarFamily, CounterFamily, GaugeFamily ---------------------------------------------

double ScalarFamily::Value(const LabelValues& labels) const {
  std::lock_guard lock(mu_);
  auto it = values_.find(labels);
  return it == values_.end() ? 0 : it->second;
}

void ScalarFamily::Update(const LabelValues& labels, double value, bool add) {
  CheckArity(labels);
  std::lock_guard lock(mu_);
  double& v = values_[labels];
  v = add ? v + value : value;
}

void ScalarFamily::RenderSeries(std::string& out) const {
  std::lock_guard lock(mu_);
  for (const auto& [labels, value] : values_) AppendLine(out, name_, LabelBlock(labels), value);
}

CounterFamily::CounterFamily(std::string name, std::string help,
                             std::vector<std::string> label_names)
    : ScalarFamily(std::move(name), std::move(help), "counter", std::move(label_names)) {}

void CounterFamily::Add(const LabelValues& labels, double delta) {
  if (delta >= 0) Update(labels, delta, /*add=*/true);
}

GaugeFamily::GaugeFamily(std::string name, std::string help, std::vector<std::string> label_names)
    : ScalarFamily(std::move(name), std::move(help), "gauge", std::move(label_names)) {}

void GaugeFamily::Set(const LabelValues& labels, double value) {
  Update(labels, value, /*add=*/false);
}

// --- CallbackFamily -----------------------------------------------------------------------

CallbackFamily::CallbackFamily(std::string name, std::string help, std::string type,
                               std::vector<std::string> label_names,
                               std::function<std::vector<Sample>()> collect)
    : MetricFamily(std::move(name), std::move(help), std::move(type), std::move(label_names)),
      collect_(std::move(collect)) {
  if (type_ != "gauge" && type_ != "counter") Bug(name_ + ": callback type " + type_);
}

void CallbackFamily::RenderSeries(std::string& out) const {
  std::vector<Sample> samples = collect_();
  std::sort(samples.begin(), samples.end(),
            [](const Sample& a, const Sample& b) { return a.labels < b.labels; });
  for (const auto& s : samples) {
    CheckArity(s.labels);
    AppendLine(out, name_, LabelBlock(s.labels), s.value);
  }
}

// --- HistogramFamily ----------------------------------------------------------------------

HistogramFamily::HistogramFamily(std::string name, std::string help,
                                 std::vector<std::string> label_names, std::vector<double> bounds)
    : MetricFamily(std::move(name), std::move(help), "histogram", std::move(label_names)),
      bounds_(std::move(bounds)) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (std::isnan(bounds_[i]) || std::isinf(bounds_[i]) ||
        (i > 0 && bounds_[i] <= bounds_[i - 1])) {
      Bug(name_ + ": bucket bounds must be finite and strictly increasing");
    }
  }
}

void HistogramFamily::Observe(const LabelValues& labels, double value) {
  CheckArity(labels);
  size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  std::lock_guard lock(mu_);
  Series& s = series_[labels];
  if (s.buckets.empty()) s.buckets.assign(bounds_.size() + 1, 0);
  s.buckets[bucket] += 1;
  s.sum += value;
  s.count += 1;
}

uint64_t HistogramFamily::Count(const LabelValues& labels) const {
  std::lock_guard lock(mu_);
  auto it = series_.find(labels);
  return it == series_.end() ? 0 : it->second.count;
}

double HistogramFamily::Sum(const LabelValues& labels) const {
  std::lock_guard lock(mu_);
  auto it = series_.find(labels);
  return it == series_.end() ? 0 : it->second.sum;
}

void HistogramFamily::RenderSeries(std::string& out) const {
  std::lock_guard lock(mu_);
  for (const auto& [labels, s] : series_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += s.buckets[i];
      std::string le = i < bounds_.size() ? FormatValue(bounds_[i]) : "+Inf";
      AppendLine(out, name_ + "_bucket", LabelBlock(labels, "le=\"" + le + "\""),
                 static_cast<double>(cumulative));
    }
    AppendLine(out, name_ + "_sum", LabelBlock(labels), s.sum);
    AppendLine(out, name_ + "_count", LabelBlock(labels), static_cast<double>(s.count));
  }
}

// --- MetricRegistry -----------------------------------------------------------------------

template <typename F>
F& MetricRegistry::Keep(std::unique_ptr<F> family) {
  std::lock_guard lock(mu_);
  for (const auto& f : families_) {
    if (f->name() == family->name()) Bug("duplicate metric family " + family->name());
  }
  F& ref = *family;
  families_.push_back(std::move(family));
  return ref;
}

CounterFamily& MetricRegistry::AddCounter(std::string name, std::string help,
                                          std::vector<std::string> label_names) {
  return Keep(
      std::make_unique<CounterFamily>(std::move(name), std::move(help), std::move(label_names)));
}

GaugeFamily& MetricRegistry::AddGauge(std::string name, std::string help,
                                      std::vector<std::string> label_names) {
  return Keep(
      std::make_unique<GaugeFamily>(std::move(name), std::move(help), std::move(label_names)));
}

HistogramFamily& MetricRegistry::AddHistogram(std::string name, std::string help,
                                              std::vector<std::string> label_names,
                                              std::vector<double> bounds) {
  return Keep(std::make_unique<HistogramFamily>(std::move(name), std::move(help),
                                                std::move(label_names), std::move(bounds)));
}

void MetricRegistry::AddCallback(std::string name, std::string help, std::string type,
                                 std::vector<std::string> label_names,
                                 std::function<std::vector<Sample>()> collect) {
  Keep(std::make_unique<CallbackFamily>(std::move(name), std::move(help), std::move(type),
                                        std::move(label_names), std::move(collect)));
}

std::string MetricRegistry::Render() const {
  std::vector<const MetricFamily*> families;
  {
    std::lock_guard lock(mu_);
    for (const auto& f : families_) families.push_back(f.get());
  }
  // Families are never removed, so rendering outside the lock is safe (and lets a slow
  // callback not block registration).
  std::string out;
  for (const MetricFamily* f : families) f->Render(out);
  return out;
}

}  // namespace openeci::ops
