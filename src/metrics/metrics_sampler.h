// MetricsSampler: the source of DescribeContainerGroupMetric and
// DescribeMultiContainerGroupMetric. A thread asks the runtime for the stats of every ready
// sandbox (runtime::Runtime::ListSandboxStats) once per interval and appends one Sample per
// container group (the sandbox's kGroupIdLabel) to that group's ring.
//
// Storage is bounded and in memory only (metrics do not survive a restart):
//   * per group, samples younger than `retention` (default 24 h), and never more than
//     `max_samples_per_group` (default 5760 = 24 h at the 15 s default interval; with a shorter
//     interval the span kept is shorter);
//   * at most `max_groups` groups (default 1000); a new group beyond that evicts the group seen
//     least recently;
//   * a deleted group is dropped when the owner says so (Forget; `openeci serve` calls it on
//     the store's delete events); a group no longer reported by the runtime (stopped, or its
//     deletion missed) is dropped once its newest sample is older than `retention`.
//
// UsageNanoCores is computed by the sampler from consecutive cumulative CPU counters (the
// average rate since the previous sample), so it does not depend on who else asks containerd
// for stats; the first sample of a group (or of a restarted container) keeps the runtime's own
// value. Times come from the injected Clock.
//
// Thread-safe: one mutex guards the rings; Start/Stop are called by the owner only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "runtime/runtime.h"

namespace openeci::metrics {

struct ContainerSample {
  std::string name;  // the container's name in the group spec
  runtime::CpuStats cpu;
  runtime::MemoryStats memory;
};

// The stats of one group at one time.
struct Sample {
  TimePoint time;
  runtime::CpuStats cpu;        // the pod (sandbox cgroup)
  runtime::MemoryStats memory;  // the pod
  std::vector<runtime::InterfaceStats> interfaces;
  std::vector<ContainerSample> containers;
};

struct SamplerOptions {
  std::chrono::seconds interval{15};
  std::chrono::seconds retention{std::chrono::hours(24)};
  size_t max_samples_per_group = 5760;
  size_t max_groups = 1000;
};

class MetricsSampler {
 public:
  // `runtime` and `clock` must outlive the sampler.
  MetricsSampler(runtime::Runtime& runtime, const Clock& clock, SamplerOptions options);
  ~MetricsSampler();
  MetricsSampler(const MetricsSampler&) = delete;
  MetricsSampler& operator=(const MetricsSampler&) = delete;

  // Starts the sampling thread (first pass at once). Stop() joins it; both are idempotent.
  void Start();
  void Stop();

  // One sampling pass: ListSandboxStats, then Ingest at the clock's now. What the thread does
  // every interval; public so that tests and callers can drive it.
  Status SampleOnce();
  // Appends one sample per group found in `stats` (the sandbox's kGroupIdLabel, or for a
  // claimed pool sandbox its containers'; sandboxes with neither are skipped; containers are named by kContainerNameLabel, else their metadata name) and
  // applies the retention rules at `now`.
  void Ingest(TimePoint now, const std::vector<runtime::SandboxStats>& stats);

  // The group's samples with from <= time <= to, oldest first.
  std::vector<Sample> Samples(const std::string& group_id, TimePoint from, TimePoint to) const;
  // The group's newest sample, if any is kept.
  std::optional<Sample> Latest(const std::string& group_id) const;
  size_t GroupCount() const;
  // Drops the group's samples (it was deleted: nobody can ask for them any more).
  void Forget(const std::string& group_id);

  const SamplerOptions& options() const { return options_; }
  // The clock samples are stamped with (metric queries measure their windows with it).
  const Clock& clock() const { return clock_; }

 private:
  struct Ring {
    std::deque<Sample> samples;
    TimePoint last_seen;
  };

  void Run();
  // Requires mu_.
  void PruneLocked(TimePoint now);

  runtime::Runtime& runtime_;
  const Clock& clock_;
  const SamplerOptions options_;

  mutable std::mutex mu_;
  std::map<std::string, Ring> rings_;  // guarded by mu_

  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool stopping_ = false;  // guarded by run_mu_
  std::thread thread_;
};

// The records a metric query answers: one per Period-aligned bucket [k*P, (k+1)*P) that
// overlaps [start, end] and holds at least one sample, oldest first. A record is the bucket's
// newest sample (memory and the cumulative counters — CPU core-nanoseconds, network bytes,
// packets, errors, drops — as they stood at its Timestamp) except UsageNanoCores, which is the
// average over the bucket's samples ("used vCPUs during the aggregation period"), for the pod
// and per container. `samples` must be oldest first.
std::vector<Sample> Aggregate(const std::vector<Sample>& samples, TimePoint start, TimePoint end,
                              std::chrono::seconds period);

// The start of the Period-aligned bucket holding `t`: a query fetches its samples from there, so
// that the first record covers its whole bucket.
TimePoint BucketStart(TimePoint t, std::chrono::seconds period);

// How many Period-aligned buckets [start, end] spans (what the 50-record limit is checked
// against); 0 when end < start.
int64_t BucketCount(TimePoint start, TimePoint end, std::chrono::seconds period);

}  // namespace openeci::metrics
