// Prober: runs the liveness and readiness probes of running containers, the way kubelet's
// prober manager does, without ever blocking the controller's reconcile passes.
//
// One worker per (container ID, probe kind). A worker's first probe is due at the container's
// start + InitialDelaySeconds, then one every PeriodSeconds. A ProbeTracker turns the outcomes
// into a result with the spec's thresholds:
//   * readiness starts as kFailure (not ready) and becomes kSuccess after SuccessThreshold
//     consecutive successes, kFailure again after FailureThreshold consecutive failures;
//   * liveness starts as kSuccess and becomes kFailure after FailureThreshold consecutive
//     failures (SuccessThreshold is 1 for liveness).
// Every failed probe is reported to the EventSink ("Liveness probe failed: <output>", the
// controller records it as an Unhealthy event); every change of a result is reported to
// Notify(group ID), so that the controller looks at the group again. The controller reads the
// latest results when it computes the status (level-triggered) and decides what to do with them
// (a liveness kill is the controller's action, not the prober's).
//
// Workers are keyed by container ID: a restarted container is a new worker with fresh counts
// and a fresh initial delay. Retain/Forget stop the workers of containers that are gone.
//
// Threads: before Start() (unit tests) nothing runs by itself and RunDue() runs the due probes in
// the caller's thread. After Start(), each worker has its own thread that sleeps until its next
// probe is due (on `clock`), so a slow probe (up to TimeoutSeconds) delays only itself. A
// stopped worker's thread finishes its current probe (its outcome is discarded) and is joined
// later without blocking the caller; Stop() (and the destructor) join every thread.
// Thread-safe: every public method may be called from any thread; one mutex guards the workers
// and results. Notify and EventSink are called without that mutex held.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "core/model.h"

namespace openeci::controller {

enum class ProbeKind { kLiveness, kReadiness };
enum class ProbeResult { kSuccess, kFailure };

// "Liveness" / "Readiness", as kubelet names them in events.
const char* ProbeKindName(ProbeKind kind);

// What one probe found: success, or failure with the explanation kubelet would show (the
// command's output, "HTTP probe failed with statuscode: 500", a connection error...).
struct ProbeOutcome {
  bool success = false;
  std::string output;
};

// Where a probe goes: the container (exec) and the pod's IP (HTTP, TCP).
struct ProbeTarget {
  std::string container_id;
  std::string pod_ip;
};

// Runs one probe. Implementations must return within about spec.timeout_seconds (a timeout is a
// failure) and be callable from several threads at once.
class ProbeRunner {
 public:
  virtual ~ProbeRunner() = default;
  virtual ProbeOutcome Run(const core::ProbeSpec& spec, const ProbeTarget& target) = 0;
};

// The threshold arithmetic of one probe of one container. Value type, not thread-safe.
class ProbeTracker {
 public:
  ProbeTracker(ProbeKind kind, const core::ProbeSpec& spec);
  // Counts one outcome; returns true when the result changed.
  bool Record(bool success);
  ProbeResult result() const { return result_; }
  int consecutive_failures() const { return failures_; }

 private:
  int success_threshold_;
  int failure_threshold_;
  ProbeResult result_;
  int successes_ = 0;  // consecutive
  int failures_ = 0;   // consecutive
};

// Identifies a worker's container for the callbacks.
struct ProbeKey {
  std::string group_id;
  std::string container_name;
  std::string container_id;
  ProbeKind kind = ProbeKind::kReadiness;
};

// The latest state of one worker.
struct ProbeStatus {
  ProbeResult result = ProbeResult::kFailure;
  int probes_run = 0;
  int consecutive_failures = 0;
  std::string last_failure;  // the output of the latest failed probe
};

class Prober {
 public:
  using Notify = std::function<void(const std::string& group_id)>;
  // A failed probe: `message` is kubelet's, e.g. "Liveness probe failed: HTTP probe failed with
  // statuscode: 500".
  using EventSink = std::function<void(const ProbeKey& key, const std::string& message)>;

  // `runner` and `clock` must outlive the prober.
  Prober(ProbeRunner& runner, const Clock& clock, Notify notify, EventSink events);
  ~Prober();
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  // From now on every worker runs in its own thread.
  void Start();
  // Stops every worker and joins every thread. The prober can be started again.
  void Stop();

  // Makes sure `key`'s probe runs with `spec` against `target` (the container started at
  // `started_at`, Unix ms). A no-op when that worker exists already.
  void Ensure(const ProbeKey& key, const core::ProbeSpec& spec, const ProbeTarget& target,
              core::Millis started_at);
  // Stops the workers of `group_id` whose container ID is not in `container_ids`.
  void Retain(const std::string& group_id, const std::set<std::string>& container_ids);
  // Stops every worker of `group_id` (the group is gone, finished or rebuilt).
  void Forget(const std::string& group_id) { Retain(group_id, {}); }

  // The latest state of the probe, or nullopt when no worker runs it.
  std::optional<ProbeStatus> StatusOf(const std::string& container_id, ProbeKind kind) const;
  // The probe's current result; without a worker the initial one (liveness: success,
  // readiness: failure).
  ProbeResult ResultOf(const std::string& container_id, ProbeKind kind) const;

  // Runs every probe that is due now, in the caller's thread (for tests; before Start only).
  // Returns how many ran.
  int RunDue();
  size_t WorkerCount() const;
  // Threads of stopped workers that have not been joined yet.
  size_t RetiredThreadCount() const;

 private:
  struct Worker;
  using WorkerMap = std::map<std::pair<std::string, ProbeKind>, std::shared_ptr<Worker>>;

  core::Millis Now() const { return ToUnixMillis(clock_.Now()); }
  void WorkerLoop(std::shared_ptr<Worker> w);
  // Runs one probe of `w` (mu_ held on entry and exit, released while probing) and reports.
  void ProbeOnce(std::unique_lock<std::mutex>& lock, Worker& w);
  // Requires mu_. Marks `w` stopped and, when it has a thread, keeps it in retired_ to join.
  void StopWorkerLocked(const std::shared_ptr<Worker>& w);
  // Requires mu_. Joins retired threads whose loop has returned.
  void ReapLocked();

  ProbeRunner& runner_;
  const Clock& clock_;
  const Notify notify_;
  const EventSink events_;

  mutable std::mutex mu_;
  std::condition_variable cv_;                  // wakes workers (stop, new work)
  bool started_ = false;                        // guarded by mu_
  WorkerMap workers_;                           // guarded by mu_
  std::vector<std::shared_ptr<Worker>> retired_;  // stopped, thread not joined; guarded by mu_
};

}  // namespace openeci::controller
