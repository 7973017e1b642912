#include "metrics/metrics_sampler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace openeci::metrics {
namespace {

using std::chrono::nanoseconds;

int64_t ToNs(TimePoint t) {
  return std::chrono::duration_cast<nanoseconds>(t.time_since_epoch()).count();
}

// The average core usage between two cumulative readings, or nullopt when they do not allow it
// (no earlier reading, a counter reset by a restart, no time between them).
std::optional<uint64_t> RateBetween(const runtime::CpuStats& prev, TimePoint prev_time,
                                    const runtime::CpuStats& cur, TimePoint cur_time) {
  int64_t t0 = prev.timestamp_ns ? prev.timestamp_ns : ToNs(prev_time);
  int64_t t1 = cur.timestamp_ns ? cur.timestamp_ns : ToNs(cur_time);
  if (t1 <= t0 || cur.usage_core_nanoseconds < prev.usage_core_nanoseconds) return std::nullopt;
  long double cores = static_cast<long double>(cur.usage_core_nanoseconds -
                                               prev.usage_core_nanoseconds) /
                      static_cast<long double>(t1 - t0);
  return static_cast<uint64_t>(cores * 1e9L + 0.5L);
}

Sample ToSample(TimePoint now, const runtime::SandboxStats& s) {
  Sample out;
  out.time = now;
  out.cpu = s.cpu;
  out.memory = s.memory;
  out.interfaces = s.interfaces;
  for (const auto& c : s.containers) {
    auto label = c.labels.find(runtime::kContainerNameLabel);
    out.containers.push_back(
        {label != c.labels.end() ? label->second : c.name, c.cpu, c.memory});
  }
  std::sort(out.containers.begin(), out.containers.end(),
            [](const ContainerSample& a, const ContainerSample& b) { return a.name < b.name; });
  return out;
}

// Replaces the runtime's UsageNanoCores with the rate since `prev` where that is computable.
void DeriveRates(const Sample& prev, Sample& cur) {
  if (auto r = RateBetween(prev.cpu, prev.time, cur.cpu, cur.time)) cur.cpu.usage_nano_cores = *r;
  for (auto& c : cur.containers) {
    for (const auto& p : prev.containers) {
      if (p.name != c.name) continue;
      if (auto r = RateBetween(p.cpu, prev.time, c.cpu, cur.time)) c.cpu.usage_nano_cores = *r;
    }
  }
}

}  // namespace

MetricsSampler::MetricsSampler(runtime::Runtime& runtime, const Clock& clock,
                               SamplerOptions options)
    : runtime_(runtime), clock_(clock), options_(options) {}

MetricsSampler::~MetricsSampler() { Stop(); }

void MetricsSampler::Start() {
  std::lock_guard<std::mutex> lock(run_mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void MetricsSampler::Stop() {
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    stopping_ = true;
  }
  run_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MetricsSampler::Run() {
  std::unique_lock<std::mutex> lock(run_mu_);
  while (!stopping_) {
    lock.unlock();
    if (Status st = SampleOnce(); !st.ok()) spdlog::debug("metrics: {}", st.ToString());
    lock.lock();
    run_cv_.wait_for(lock, options_.interval, [this] { return stopping_; });
  }
}

Status MetricsSampler::SampleOnce() {
  ASSIGN_OR_RETURN(std::vector<runtime::SandboxStats> stats, runtime_.ListSandboxStats());
  Ingest(clock_.Now(), stats);
  return Status::Ok();
}

void MetricsSampler::Ingest(TimePoint now, const std::vector<runtime::SandboxStats>& stats) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& s : stats) {
    auto label = s.labels.find(runtime::kGroupIdLabel);
    if (label == s.labels.end()) {
      // A warm pool sandbox claimed by a group carries no group label; its containers do.
      for (const auto& c : s.containers) {
        if (auto l = c.labels.find(runtime::kGroupIdLabel); l != c.labels.end()) label = l;
      }
    }
    if (label == s.labels.end() || label->second.empty()) continue;
    const std::string& group_id = label->second;
    auto it = rings_.find(group_id);
    if (it == rings_.end()) {
      if (options_.max_groups == 0) continue;
      if (rings_.size() >= options_.max_groups) {
        auto oldest = std::min_element(rings_.begin(), rings_.end(), [](auto& a, auto& b) {
          return a.second.last_seen < b.second.last_seen;
        });
        rings_.erase(oldest);
      }
      it = rings_.emplace(group_id, Ring{}).first;
    }
    Ring& ring = it->second;
    Sample sample = ToSample(now, s);
    // Two sandboxes of one group (a restart in progress) or a clock step back: keep one
    // sample per instant, in time order.
    if (!ring.samples.empty() && ring.samples.back().time >= now) continue;
    if (!ring.samples.empty()) DeriveRates(ring.samples.back(), sample);
    ring.samples.push_back(std::move(sample));
    ring.last_seen = now;
    while (ring.samples.size() > options_.max_samples_per_group) ring.samples.pop_front();
  }
  PruneLocked(now);
}

void MetricsSampler::PruneLocked(TimePoint now) {
  TimePoint horizon = now - options_.retention;
  for (auto it = rings_.begin(); it != rings_.end();) {
    auto& samples = it->second.samples;
    while (!samples.empty() && samples.front().time < horizon) samples.pop_front();
    if (samples.empty()) {
      it = rings_.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<Sample> MetricsSampler::Samples(const std::string& group_id, TimePoint from,
                                            TimePoint to) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Sample> out;
  auto it = rings_.find(group_id);
  if (it == rings_.end()) return out;
  for (const auto& s : it->second.samples) {
    if (s.time >= from && s.time <= to) out.push_back(s);
  }
  return out;
}

std::optional<Sample> MetricsSampler::Latest(const std::string& group_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rings_.find(group_id);
  if (it == rings_.end() || it->second.samples.empty()) return std::nullopt;
  return it->second.samples.back();
}

size_t MetricsSampler::GroupCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rings_.size();
}

void MetricsSampler::Forget(const std::string& group_id) {
  std::lock_guard<std::mutex> lock(mu_);
  rings_.erase(group_id);
}

namespace {

int64_t BucketOf(TimePoint t, std::chrono::seconds period) {
  int64_t p = std::chrono::duration_cast<nanoseconds>(period).count();
  int64_t ns = ToNs(t);
  return ns >= 0 ? ns / p : -((-ns + p - 1) / p);
}

// Averages the UsageNanoCores of `bucket` (oldest first) into its newest sample.
Sample Reduce(const std::vector<const Sample*>& bucket) {
  Sample out = *bucket.back();
  long double pod = 0;
  std::map<std::string, std::pair<long double, int>> per_container;
  for (const Sample* s : bucket) {
    pod += s->cpu.usage_nano_cores;
    for (const auto& c : s->containers) {
      auto& [sum, n] = per_container[c.name];
      sum += c.cpu.usage_nano_cores;
      ++n;
    }
  }
  out.cpu.usage_nano_cores = static_cast<uint64_t>(pod / bucket.size() + 0.5L);
  for (auto& c : out.containers) {
    auto& [sum, n] = per_container[c.name];
    c.cpu.usage_nano_cores = static_cast<uint64_t>(sum / n + 0.5L);
  }
  return out;
}

}  // namespace

TimePoint BucketStart(TimePoint t, std::chrono::seconds period) {
  if (period.count() <= 0) return t;
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(period * BucketOf(t, period)));
}

int64_t BucketCount(TimePoint start, TimePoint end, std::chrono::seconds period) {
  if (end < start || period.count() <= 0) return 0;
  return BucketOf(end, period) - BucketOf(start, period) + 1;
}

std::vector<Sample> Aggregate(const std::vector<Sample>& samples, TimePoint start, TimePoint end,
                              std::chrono::seconds period) {
  std::vector<Sample> out;
  if (end < start || period.count() <= 0) return out;
  int64_t first = BucketOf(start, period);
  int64_t last = BucketOf(end, period);
  std::vector<const Sample*> bucket;
  int64_t current = 0;
  for (const auto& s : samples) {
    int64_t b = BucketOf(s.time, period);
    if (b < first || b > last) continue;
    if (!bucket.empty() && b != current) {
      out.push_back(Reduce(bucket));
      bucket.clear();
    }
    current = b;
    bucket.push_back(&s);
  }
  if (!bucket.empty()) out.push_back(Reduce(bucket));
  return out;
}

}  // namespace openeci::metrics
