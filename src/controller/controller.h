// Controller: makes the runtime follow the store, level-triggered, Kubernetes-style. For each
// container group it compares the desired state (spec, restart generation, deletion in the
// store) with what the runtime reports (sandboxes and containers labelled with the group ID)
// and takes the next steps: pull images (with PullProgress events while containerd downloads
// them, see pull_watcher.h), run the sandbox, create and start containers, restart them per
// RestartPolicy with back-off, release finished groups, tear down deleted ones. It records what it did as events and writes the observed status back with
// compare-and-swap. Nothing it needs is kept only in memory: after a crash it rebuilds
// everything from the store and the runtime, re-adopts running sandboxes and removes the ones
// no group owns. This is the part that later runs unchanged as a per-machine node agent.
//
// Probes: a Prober (controller/prober.h) runs the liveness and readiness probes of running
// containers in its own threads; a changed result re-queues the group. A pass reads the latest
// results: readiness gives a container's Ready, a failed liveness probe makes the pass kill the
// container (Killing event, StopContainer with the group's TerminationGracePeriodSeconds) and
// restart it unless RestartPolicy is Never. A group running past its ActiveDeadlineSeconds is
// stopped and reported Failed (reason DeadlineExceeded).
//
// Wake-ups: store watch events, a poller that diffs the runtime's sandboxes and containers
// every `poll_interval`, delayed re-queues for back-off, and a periodic full resync.
// Thread-safe: Start/Stop from one thread; workers run concurrently on different groups (the
// work queue never hands one group to two workers).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "controller/pod_settings.h"
#include "controller/prober.h"
#include "controller/pull_observer.h"
#include "controller/pull_watcher.h"
#include "controller/volume_manager.h"
#include "controller/work_queue.h"
#include "core/model.h"
#include "core/retention.h"
#include "runtime/runtime.h"
#include "store/store.h"

namespace openeci::controller {

class SandboxPool;

struct ControllerOptions {
  int workers = 8;
  std::chrono::milliseconds poll_interval{500};
  std::chrono::milliseconds resync_interval{30000};
  std::chrono::milliseconds backoff_base{10000};
  std::chrono::milliseconds backoff_max{300000};
  // SIGTERM .. SIGKILL on delete, restart and liveness kill, unless the group sets
  // TerminationGracePeriodSeconds.
  std::chrono::seconds stop_grace{30};
  std::string log_root;                 // container logs: <log_root>/<group>/<generation>/...
  std::string cgroup_root = "/openeci";  // pod cgroup parent: <cgroup_root>/<group>
  // Per-group files (the /etc/hosts every container mounts): <pod_root>/<group>/. Empty: no
  // managed hosts file (containers keep the image's runtime default).
  std::string pod_root;
  // The machine's resolv.conf, the base of DnsConfig under the Default DNS policy.
  std::string host_resolv_conf = "/etc/resolv.conf";
  // The node side of volumes (not owned; must outlive the controller). nullptr: a group with
  // volumes stays Pending with a FailedMount event.
  VolumeManager* volumes = nullptr;
  PullObserver* pull_observer = nullptr;  // told about every pull; not owned; may be null
  core::RetentionPolicy retention;      // when finished groups' records are removed
  std::chrono::milliseconds retention_sweep_interval{1000};
  // containerd's in-flight downloads, polled every pull_poll_interval while an image is pulled
  // to record PullProgress events (see PullProgressThrottle). Empty: Pulling/Pulled only.
  IngestLister pull_ingests;
  std::chrono::milliseconds pull_poll_interval{200};
  std::chrono::milliseconds pull_progress_interval{1000};
  int pull_progress_budget = 16;  // PullProgress events per image pull (a group keeps 50)
  // A pull whose downloads receive nothing for this long is cancelled and fails like any
  // failed pull (ErrImagePull, back-off); needs pull_ingests. 0: only the runtime's deadline.
  std::chrono::milliseconds pull_stall_timeout{60000};
  // Drops the downloads a stalled pull leaves (PullWatchOptions::abort_ingest); may be empty.
  IngestAborter pull_abort_ingest;
  // Warm sandboxes a new sandbox is taken from when the group fits (not owned; may be null).
  SandboxPool* pool = nullptr;
};

class Controller {
 public:
  // Probes run with a RuntimeProbeRunner over `runtime`.
  Controller(store::Store& store, runtime::Runtime& runtime, const Clock& clock,
             ControllerOptions options);
  // Probes run with `probe_runner` (tests), which must outlive the controller.
  Controller(store::Store& store, runtime::Runtime& runtime, const Clock& clock,
             ControllerOptions options, ProbeRunner& probe_runner);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Queues every stored group and every group the runtime knows, then starts the watch, the
  // poller and the workers.
  Status Start();
  void Stop();

  // Reconciles one group synchronously (exposed for tests). Returns how long to wait before
  // the group must be looked at again (0: only when something changes).
  StatusOr<std::chrono::milliseconds> Reconcile(const std::string& group_id);

  size_t QueueLength() { return queue_.Length(); }
  // The probe workers (tests drive them with Prober::RunDue before Start).
  Prober& prober() { return prober_; }

  // Removes the records of finished groups that options.retention no longer keeps (with
  // whatever the runtime still holds for them and their logs). The poller runs it every
  // retention_sweep_interval; exposed for tests.
  Status SweepRetention();
  // Whether a sweep could remove anything: a group changed, or a kept record's time is up.
  bool RetentionMayBeDue();

 private:
  struct Observed;
  class Pass;

  Controller(store::Store& store, runtime::Runtime& runtime, const Clock& clock,
             ControllerOptions options, ProbeRunner* probe_runner);
  // A failed probe: an Unhealthy event on the container (called from prober threads).
  void RecordProbeFailure(const ProbeKey& key, const std::string& message);
  void WorkerLoop();
  void PollLoop();
  void PollOnce();
  Status RemoveRuntimeObjects(const std::vector<runtime::SandboxInfo>& sandboxes);
  // What a gone group leaves besides sandboxes: its volumes, logs, per-group files
  // (<log_root>/<id>, <pod_root>/<id>) and pod cgroups (<cgroup_root>/<id>).
  Status RemoveGroupFiles(const std::string& group_id);
  // The sandboxes labelled with the group's ID, and the pool sandbox it claimed (if any).
  StatusOr<std::vector<runtime::SandboxInfo>> SandboxesOf(const std::string& group_id,
                                                          const std::string& claimed = "");
  ResolvConf HostResolvConf() const;

  store::Store& store_;
  runtime::Runtime& runtime_;
  const Clock& clock_;
  const ControllerOptions options_;
  WorkQueue queue_;
  std::unique_ptr<store::WatchHandle> watch_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::mutex poll_mu_;
  std::condition_variable poll_cv_;
  std::map<std::string, std::string> last_digest_;  // poller thread only
  // What the last complete SweepRetention saw: the store revision before it read, and when a
  // kept record expires next. Until either changes a sweep has nothing to do (poller thread,
  // or the test calling SweepRetention).
  int64_t retention_revision_ = -1;
  int64_t retention_due_ms_ = 0;
  struct PullBackoff {
    int failures = 0;         // consecutive failed pulls
    int64_t retry_at_ms = 0;  // no pull before this time (clock_, Unix milliseconds)
  };
  std::mutex pull_mu_;
  std::map<std::string, PullBackoff> pull_failures_;  // by group
  std::map<std::string, int> mount_failures_;  // consecutive FailedMount by group; pull_mu_
  std::unique_ptr<ProbeRunner> own_probe_runner_;  // when none was given
  // Last member: its threads call into store_ and queue_, so it stops before they go.
  Prober prober_;
};

}  // namespace openeci::controller
