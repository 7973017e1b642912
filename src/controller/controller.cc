#include "controller/controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <set>

#include "controller/container_settings.h"
#include "controller/image_cache_controller.h"
#include "controller/pod_settings.h"
#include "controller/probe_runner.h"
#include "controller/registry_auth.h"
#include "controller/sandbox_pool.h"
#include "core/lifecycle.h"
#include "runtime/image_ref.h"

namespace openeci::controller {
namespace {

using core::ContainerGroup;
using core::GroupPhase;
using std::chrono::milliseconds;

constexpr int64_t kCpuPeriodUs = 100000;

int64_t NsToMillis(int64_t ns) { return ns / 1000000; }

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

core::ContainerState StateOf(const runtime::ContainerInfo& info) {
  core::ContainerState s;
  switch (info.state) {
    case runtime::ContainerState::kRunning:
      s.state = "Running";
      s.detail_status = "working";
      s.reason = "Started";
      s.start_time = NsToMillis(info.started_at_ns);
      break;
    case runtime::ContainerState::kExited:
      s.state = "Terminated";
      s.reason = info.reason.empty() ? (info.exit_code == 0 ? "Completed" : "Error") : info.reason;
      s.message = info.message;
      s.start_time = NsToMillis(info.started_at_ns);
      s.finish_time = NsToMillis(info.finished_at_ns);
      s.exit_code = info.exit_code;
      if (info.exit_code > 128) s.signal = info.exit_code - 128;
      break;
    default:
      s.state = "Waiting";
      s.reason = "ContainerCreating";
      break;
  }
  return s;
}

core::ContainerState Waiting(std::string reason, std::string message) {
  core::ContainerState s;
  s.state = "Waiting";
  s.reason = std::move(reason);
  s.message = std::move(message);
  return s;
}

core::ContainerStatus* FindStatus(std::vector<core::ContainerStatus>& list,
                                  const std::string& name) {
  for (auto& cs : list) {
    if (cs.name == name) return &cs;
  }
  list.push_back({});
  list.back().name = name;
  return &list.back();
}

// Init containers run to completion: a successful one is never started again, a failed one is
// retried unless the group's policy is Never.
core::RestartPolicy InitRestartPolicy(core::RestartPolicy group_policy) {
  return group_policy == core::RestartPolicy::Never ? core::RestartPolicy::Never
                                                    : core::RestartPolicy::OnFailure;
}

std::string LabelOr(const runtime::Labels& labels, const char* key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

// Debug-level timing of one pass (OPENECI_LOG_LEVEL=debug): each step with the milliseconds
// since the previous one, so that the start path's cost can be read off the log.
class StepTrace {
 public:
  explicit StepTrace(const std::string& group_id)
      : group_id_(group_id), on_(spdlog::should_log(spdlog::level::debug)) {}
  void Mark(const char* step) {
    if (!on_) return;
    auto now = std::chrono::steady_clock::now();
    spdlog::debug("trace {} {} +{:.1f}ms", group_id_, step,
                  std::chrono::duration<double, std::milli>(now - last_).count());
    last_ = now;
  }

 private:
  const std::string& group_id_;
  const bool on_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace

// One reconcile pass over one group: holds the group read from the store, the events to
// record and the earliest time the group needs another look.
class Controller::Pass {
 public:
  Pass(Controller& c, ContainerGroup group) : c_(c), g_(std::move(group)), trace_(g_.id) {}

  StatusOr<milliseconds> Run();
  // Writes the events recorded by Event() and not written yet (Reconcile calls it after Run,
  // whatever Run returned).
  void FlushEvents();

 private:
  Status Teardown(const std::vector<runtime::SandboxInfo>& sandboxes, const char* why);
  // Stops the running containers of `sandboxes` (SIGTERM, the grace period, SIGKILL).
  Status StopRunning(const std::vector<runtime::SandboxInfo>& sandboxes, const char* why);
  bool PastDeadline() const;
  Status FailPastDeadline(const std::vector<runtime::SandboxInfo>& sandboxes);
  // Kills `latest` when its liveness probe has failed; true when it did.
  StatusOr<bool> KillIfUnhealthy(const core::ContainerSpec& spec, runtime::ContainerInfo& latest);
  // Starts (or keeps) the probe workers of a running container.
  void EnsureProbes(const core::ContainerSpec& spec, const runtime::ContainerInfo& latest,
                    const runtime::SandboxInfo& sandbox);
  bool ReadyOf(const core::ContainerSpec& spec, const runtime::ContainerInfo& latest) const;
  Status WriteStatus(const core::GroupStatus& before, int64_t revision);
  // TerminationGracePeriodSeconds, or the node's default.
  int64_t GraceSeconds() const {
    return g_.spec.termination_grace_period_seconds.value_or(c_.options_.stop_grace.count());
  }
  // The API bumped restart_generation: removes the old sandbox, resets the status to the spec.
  Status BeginNewGeneration(const std::vector<runtime::SandboxInfo>& sandboxes);
  Status EnsureImages();
  // PullImage; with options_.pull_ingests, PullProgress events on `object` meanwhile.
  Status Pull(const std::string& image, const std::string& object);
  StatusOr<runtime::SandboxInfo> EnsureSandbox(std::vector<runtime::SandboxInfo>& sandboxes);
  // RunSandbox, or a warm pool sandbox claimed for the group when one fits.
  StatusOr<runtime::SandboxInfo> RunOrClaimSandbox(const runtime::SandboxConfig& config);
  // The sandbox belongs to the current generation (its label, or the group's pool claim).
  bool IsCurrent(const runtime::SandboxInfo& sb) const {
    return sb.id == g_.status.pool_sandbox_id ||
           LabelOr(sb.labels, runtime::kGenerationLabel) ==
               std::to_string(g_.status.observed_generation);
  }
  Status SyncContainer(const core::ContainerSpec& spec, const runtime::SandboxInfo& sandbox,
                       const std::vector<runtime::ContainerInfo>& all,
                       core::ContainerView* view, bool init = false);
  // Where the init containers stand in this sandbox (see InitProgress).
  enum class InitProgress { kDone, kRunning, kFailed };
  StatusOr<InitProgress> SyncInitContainers(const runtime::SandboxInfo& sandbox,
                                            const std::vector<runtime::ContainerInfo>& all);
  void MarkWaiting(std::vector<core::ContainerStatus>& list,
                   const std::vector<core::ContainerSpec>& specs, size_t from);
  Status EnsureVolumes();
  bool IsInitContainer(const std::string& name) const;
  core::ContainerStatus* StatusOf(const std::string& name) {
    return FindStatus(IsInitContainer(name) ? g_.status.init_containers : g_.status.containers,
                      name);
  }
  StatusOr<runtime::ContainerInfo> StartAttempt(const core::ContainerSpec& spec,
                                                const runtime::SandboxInfo& sandbox,
                                                uint32_t attempt);
  runtime::SandboxConfig SandboxConfigFor() const;
  // The group name, cut as kubelet cuts pod hostnames: at most 63 characters (the kernel takes
  // 64), no trailing hyphen.
  std::string Hostname() const;
  // The sandbox as its containers see it; writes the group's hosts file first.
  StatusOr<PodContext> PodContextFor(const runtime::SandboxInfo& sandbox) const;
  // Events are collected and written together with the pass's status write (one
  // transaction, one disk sync), or earlier by FlushEvents() before a step that can take long
  // (a pull, stopping a container) so that users see them meanwhile.
  void Event(const std::string& type, const std::string& object, const std::string& reason,
             const std::string& message);
  // Writes one event at once; safe from another thread (the pull watcher's).
  void RecordEventNow(const std::string& type, const std::string& object,
                      const std::string& reason, const std::string& message);
  void Requeue(milliseconds after) {
    if (after.count() > 0 && (requeue_.count() == 0 || after < requeue_)) requeue_ = after;
  }
  int64_t Now() const { return ToUnixMillis(c_.clock_.Now()); }

  Controller& c_;
  ContainerGroup g_;
  milliseconds requeue_{0};
  std::set<std::string> probed_;  // container IDs whose probes run after this pass
  std::vector<core::Event> events_;  // recorded by Event(), not written yet
  bool fresh_sandbox_ = false;       // this pass ran the sandbox: it holds no containers yet
  StepTrace trace_;
};

namespace {

core::Event MakeEvent(const std::string& type, const std::string& object,
                      const std::string& reason, const std::string& message, int64_t now) {
  core::Event e;
  e.type = type;
  e.name = object;
  e.reason = reason;
  e.message = message;
  e.first_timestamp = e.last_timestamp = now;
  return e;
}

void WarnUnlessGone(const std::string& group_id, const Status& st) {
  // A group deleted meanwhile has no events to keep.
  if (!st.ok() && st.cls() != StatusClass::kNotFound) {
    spdlog::warn("group {}: recording events failed: {}", group_id, st.ToString());
  }
}

}  // namespace

void Controller::Pass::Event(const std::string& type, const std::string& object,
                             const std::string& reason, const std::string& message) {
  events_.push_back(MakeEvent(type, object, reason, message, Now()));
}

void Controller::Pass::RecordEventNow(const std::string& type, const std::string& object,
                                      const std::string& reason, const std::string& message) {
  WarnUnlessGone(g_.id, c_.store_.RecordEvent(g_.id, MakeEvent(type, object, reason, message,
                                                                Now())));
}

void Controller::Pass::FlushEvents() {
  if (events_.empty()) return;
  WarnUnlessGone(g_.id, c_.store_.RecordEvents(g_.id, events_));
  events_.clear();
  trace_.Mark("events written");
}

runtime::SandboxConfig Controller::Pass::SandboxConfigFor() const {
  runtime::SandboxConfig sb;
  sb.name = g_.spec.name;
  sb.uid = g_.id;
  sb.attempt = static_cast<uint32_t>(g_.status.observed_generation);
  sb.hostname = Hostname();
  sb.labels[runtime::kGroupIdLabel] = g_.id;
  sb.labels[runtime::kGenerationLabel] = std::to_string(g_.status.observed_generation);
  sb.log_directory = c_.options_.log_root + "/" + g_.id + "/" +
                     std::to_string(g_.status.observed_generation);
  sb.cgroup_parent = c_.options_.cgroup_root + "/" + g_.id;
  ApplyDnsSettings(g_.spec, c_.HostResolvConf(), sb);
  ApplySysctls(g_.spec, sb);
  return sb;
}

std::string Controller::Pass::Hostname() const {
  std::string name = g_.spec.name.substr(0, 63);
  while (!name.empty() && name.back() == '-') name.pop_back();
  return name;
}

StatusOr<PodContext> Controller::Pass::PodContextFor(const runtime::SandboxInfo& sandbox) const {
  PodContext pod;
  pod.ip = sandbox.ip;
  if (!c_.options_.pod_root.empty()) {
    pod.hosts_file = c_.options_.pod_root + "/" + g_.id + "/hosts";
    RETURN_IF_ERROR(WriteFileIfChanged(
        pod.hosts_file, HostsFileContent(g_.spec, Hostname(), sandbox.ip)));
    if (IsPoolSandbox(sandbox)) {
      // containerd's own /etc/hostname of a pool sandbox names the pool, not the group.
      pod.hostname_file = c_.options_.pod_root + "/" + g_.id + "/hostname";
      RETURN_IF_ERROR(WriteFileIfChanged(pod.hostname_file, Hostname() + "\n"));
    }
  }
  return pod;
}

Status Controller::Pass::BeginNewGeneration(const std::vector<runtime::SandboxInfo>& sandboxes) {
  // RestartContainerGroup leaves the phase Restarting, UpdateContainerGroup Updating (both set
  // by the API); either way the next sandbox is built from scratch with the current spec.
  bool updating = g_.status.phase == GroupPhase::Updating;
  RETURN_IF_ERROR(
      Teardown(sandboxes, updating ? "container group updating" : "container group restarting"));
  g_.status.observed_generation = g_.restart_generation;
  g_.status.intranet_ip.clear();
  g_.status.pool_sandbox_id.clear();
  g_.status.phase = updating ? GroupPhase::Updating : GroupPhase::Restarting;
  // An update may have renamed, added or removed containers.
  g_.status.init_containers.clear();
  g_.status.containers.clear();
  for (const core::ContainerSpec& spec : g_.spec.init_containers) {
    FindStatus(g_.status.init_containers, spec.name)->current = Waiting("PodInitializing", "");
  }
  for (const core::ContainerSpec& spec : g_.spec.containers) {
    FindStatus(g_.status.containers, spec.name)->current =
        Waiting(g_.spec.init_containers.empty() ? "ContainerCreating" : "PodInitializing", "");
  }
  {
    std::lock_guard lock(c_.pull_mu_);
    c_.pull_failures_.erase(g_.id);  // the images may be new: pull at once
  }
  if (updating) {
    Event("Normal", g_.id, "Updating",
          "Updating container group " + g_.id + ": recreating its containers with the new spec");
  } else {
    Event("Normal", g_.id, "Restarting", "Restarting container group " + g_.id);
  }
  return Status::Ok();
}

Status Controller::Pass::StopRunning(const std::vector<runtime::SandboxInfo>& sandboxes,
                                     const char* why) {
  c_.prober_.Forget(g_.id);
  for (const auto& sb : sandboxes) {
    ASSIGN_OR_RETURN(auto containers, c_.runtime_.ListContainers(sb.id));
    for (const auto& ci : containers) {
      if (ci.state != runtime::ContainerState::kRunning) continue;
      Event("Normal", g_.id + "." + LabelOr(ci.labels, runtime::kContainerNameLabel), "Killing",
            std::string("Stopping container ") + ci.name + ": " + why);
      FlushEvents();
      RETURN_IF_ERROR(c_.runtime_.StopContainer(ci.id, GraceSeconds()));
    }
  }
  return Status::Ok();
}

Status Controller::Pass::Teardown(const std::vector<runtime::SandboxInfo>& sandboxes,
                                  const char* why) {
  RETURN_IF_ERROR(StopRunning(sandboxes, why));
  return c_.RemoveRuntimeObjects(sandboxes);
}

bool Controller::Pass::PastDeadline() const {
  const auto& deadline = g_.spec.active_deadline_seconds;
  return deadline && g_.status.start_time > 0 && Now() >= g_.status.start_time + *deadline * 1000;
}

Status Controller::Pass::FailPastDeadline(const std::vector<runtime::SandboxInfo>& sandboxes) {
  const std::string message = "Pod was active on the node longer than the specified deadline";
  Event("Warning", g_.id, "DeadlineExceeded", message);
  RETURN_IF_ERROR(StopRunning(sandboxes, "active deadline exceeded"));
  for (const auto& sb : sandboxes) {
    if (!IsCurrent(sb)) continue;
    ASSIGN_OR_RETURN(auto containers, c_.runtime_.ListContainers(sb.id));
    std::map<std::string, runtime::ContainerInfo> latest;  // by container name
    for (const auto& ci : containers) {
      auto& slot = latest[LabelOr(ci.labels, runtime::kContainerNameLabel)];
      if (slot.id.empty() || ci.attempt > slot.attempt) slot = ci;
    }
    for (const auto& [name, ci] : latest) {
      if (!name.empty()) if (core::ContainerStatus* cs = StatusOf(name)) cs->current = StateOf(ci);
    }
    if (sb.state == runtime::SandboxState::kReady) RETURN_IF_ERROR(c_.runtime_.StopSandbox(sb.id));
  }
  for (auto& cs : g_.status.containers) cs.ready = false;
  RETURN_IF_ERROR(core::CheckTransition(g_.status.phase, GroupPhase::Failed));
  g_.status.phase = GroupPhase::Failed;
  g_.status.failed_time = Now();
  g_.status.ready = false;
  g_.status.reason = "DeadlineExceeded";
  g_.status.message = message;
  return Status::Ok();
}

StatusOr<bool> Controller::Pass::KillIfUnhealthy(const core::ContainerSpec& spec,
                                                 runtime::ContainerInfo& latest) {
  if (latest.state != runtime::ContainerState::kRunning || !spec.liveness_probe.Configured() ||
      c_.prober_.ResultOf(latest.id, ProbeKind::kLiveness) != ProbeResult::kFailure) {
    return false;
  }
  bool restart = g_.spec.restart_policy != core::RestartPolicy::Never;
  Event("Normal", g_.id + "." + spec.name, "Killing",
        "Container " + spec.name + " failed liveness probe" +
            (restart ? ", will be restarted" : ""));
  FlushEvents();
  RETURN_IF_ERROR(c_.runtime_.StopContainer(latest.id, GraceSeconds()));
  ASSIGN_OR_RETURN(latest, c_.runtime_.InspectContainer(latest.id));
  return true;
}

void Controller::Pass::EnsureProbes(const core::ContainerSpec& spec,
                                    const runtime::ContainerInfo& latest,
                                    const runtime::SandboxInfo& sandbox) {
  if (latest.state != runtime::ContainerState::kRunning) return;
  const ProbeTarget target{latest.id, sandbox.ip};
  const core::Millis started = NsToMillis(latest.started_at_ns);
  for (auto [kind, probe] : {std::pair{ProbeKind::kLiveness, &spec.liveness_probe},
                             std::pair{ProbeKind::kReadiness, &spec.readiness_probe}}) {
    if (!probe->Configured()) continue;
    c_.prober_.Ensure({g_.id, spec.name, latest.id, kind}, *probe, target, started);
    probed_.insert(latest.id);
  }
}

bool Controller::Pass::ReadyOf(const core::ContainerSpec& spec,
                               const runtime::ContainerInfo& latest) const {
  if (latest.state != runtime::ContainerState::kRunning) return false;
  return !spec.readiness_probe.Configured() ||
         c_.prober_.ResultOf(latest.id, ProbeKind::kReadiness) == ProbeResult::kSuccess;
}

Status Controller::Pass::WriteStatus(const core::GroupStatus& before, int64_t revision) {
  if (g_.status == before) {
    FlushEvents();
    return Status::Ok();
  }
  StatusOr<int64_t> rev = c_.store_.UpdateGroupWithEvents(g_, revision, events_);
  trace_.Mark("status written");
  if (rev.ok()) {
    events_.clear();
  } else {
    FlushEvents();  // e.g. a conflict: what happened still happened; the next pass writes status
  }
  return rev.status();
}

Status Controller::Pass::EnsureImages() {
  std::vector<core::ContainerSpec> all = g_.spec.init_containers;
  all.insert(all.end(), g_.spec.containers.begin(), g_.spec.containers.end());
  for (const auto& spec : all) {
    std::string object = g_.id + "." + spec.name;
    // An image cache serves the image even under ImagePullPolicy Always: using the cache
    // instead of the registry is what ImageSnapshotId / AutoMatchImageCache ask for.
    if (!g_.spec.image_snapshot_id.empty() || g_.spec.auto_match_image_cache) {
      ASSIGN_OR_RETURN(std::optional<core::ImageCache> cache,
                       MatchImageCache(c_.store_, g_, spec.image, Now()));
      if (cache.has_value()) {
        ASSIGN_OR_RETURN(bool present, c_.runtime_.ImageExists(spec.image));
        if (present) {
          Event("Normal", object, "ImageCacheHit",
                "Successfully matched image cache " + cache->id + " for image " +
                    Quoted(spec.image));
          continue;
        }
      }
    }
    bool pull = spec.pull_policy == core::PullPolicy::Always;
    if (!pull) {
      ASSIGN_OR_RETURN(bool present, c_.runtime_.ImageExists(spec.image));
      if (present) {
        Event("Normal", object, "Pulled",
              "Container image " + Quoted(spec.image) + " already present on machine");
        continue;
      }
      if (spec.pull_policy == core::PullPolicy::Never) {
        core::ContainerStatus* cs = StatusOf(spec.name);
        cs->current = Waiting("ErrImageNeverPull", "Container image " + Quoted(spec.image) +
                                                         " is not present with pull policy of Never");
        Event("Warning", object, "ErrImageNeverPull", cs->current.message);
        return Status(StatusClass::kFailedPrecondition, "ErrImageNeverPull", cs->current.message);
      }
    }
    // A pass during the back-off (e.g. woken by this controller's own status write) waits for
    // what is left of it and leaves the status of the last failure as it is.
    int64_t retry_at;
    {
      std::lock_guard lock(c_.pull_mu_);
      auto it = c_.pull_failures_.find(g_.id);
      retry_at = it == c_.pull_failures_.end() ? 0 : it->second.retry_at_ms;
    }
    if (Now() < retry_at) {
      Requeue(milliseconds(retry_at - Now()));
      return Status(StatusClass::kUnavailable, "ErrImagePull",
                    "Back-off pulling image " + Quoted(spec.image));
    }
    Event("Normal", object, "Pulling", "Pulling image " + Quoted(spec.image));
    FlushEvents();
    auto started = std::chrono::steady_clock::now();
    Status st = Pull(spec.image, object);
    ReportPull(c_.options_.pull_observer, PullSource::kContainerGroup, st.ok(), started);
    if (!st.ok()) {
      int failures;
      milliseconds delay;
      {
        std::lock_guard lock(c_.pull_mu_);
        PullBackoff& backoff = c_.pull_failures_[g_.id];
        failures = ++backoff.failures;
        delay = core::RestartBackoff(failures - 1, c_.options_.backoff_base,
                                     c_.options_.backoff_max);
        backoff.retry_at_ms = Now() + delay.count();
      }
      core::ContainerStatus* cs = StatusOf(spec.name);
      std::string msg = "Failed to pull image " + Quoted(spec.image) + ": " + st.message();
      Event("Warning", object, "Failed", msg);
      Event("Warning", object, "Failed", "Error: ErrImagePull");
      if (failures > 1) {
        Event("Normal", object, "BackOff", "Back-off pulling image " + Quoted(spec.image));
      }
      cs->current = Waiting(failures > 1 ? "ImagePullBackOff" : "ErrImagePull", msg);
      Requeue(delay);
      return Status(StatusClass::kUnavailable, "ErrImagePull", msg);
    }
    auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
    Event("Normal", object, "Pulled",
          "Successfully pulled image " + Quoted(spec.image) + " in " +
              std::to_string(static_cast<int>(took.count() * 1000)) + "ms");
  }
  std::lock_guard lock(c_.pull_mu_);
  c_.pull_failures_.erase(g_.id);
  return Status::Ok();
}

Status Controller::Pass::Pull(const std::string& image, const std::string& object) {
  const std::optional<runtime::RegistryAuth> auth = AuthFor(g_.spec.credentials, image);
  auto pull = [&](runtime::Cancellation& cancel) {
    return c_.runtime_.PullImage(image, auth, &cancel);
  };
  if (!c_.options_.pull_ingests) return c_.runtime_.PullImage(image, auth, nullptr);
  PullProgressThrottle throttle(c_.options_.pull_progress_interval,
                                c_.options_.pull_progress_budget);
  std::string last_message;
  // On the watcher's side thread while this one waits in PullImage; RecordEventNow only reads
  // g_.id.
  auto on_poll = [&](const runtime::PullProgress& progress, bool final) {
    if (final || progress.bytes_total() == 0) return;  // the Pulled event says the rest
    std::string message = PullProgressMessage(image, progress);
    if (message == last_message) return;
    if (!throttle.Due(std::chrono::steady_clock::now(), !progress.just_completed().empty())) {
      return;
    }
    RecordEventNow("Normal", object, "PullProgress", message);
    last_message = std::move(message);
  };
  return PullWatched(pull, c_.options_.pull_ingests,
                     {c_.options_.pull_poll_interval, c_.options_.pull_stall_timeout,
                      c_.options_.pull_abort_ingest},
                     on_poll);
}

StatusOr<runtime::SandboxInfo> Controller::Pass::EnsureSandbox(
    std::vector<runtime::SandboxInfo>& sandboxes) {
  std::vector<runtime::SandboxInfo> stale;
  std::optional<runtime::SandboxInfo> current;
  for (auto& sb : sandboxes) {
    bool mine = IsCurrent(sb) && sb.state == runtime::SandboxState::kReady && !current;
    if (mine) {
      current = sb;
    } else {
      stale.push_back(sb);
    }
  }
  RETURN_IF_ERROR(c_.RemoveRuntimeObjects(stale));
  if (!current || current->id != g_.status.pool_sandbox_id) g_.status.pool_sandbox_id.clear();
  if (current) {
    // Usually a no-op; it matters when the pass that ran the sandbox lost its status write.
    g_.status.intranet_ip = current->ip;
    return *current;
  }
  if (!g_.status.intranet_ip.empty() && !core::IsTerminal(g_.status.phase)) {
    Event("Normal", g_.id, "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.");
  }
  RETURN_IF_ERROR(EnsureVolumes());
  RETURN_IF_ERROR(EnsureImages());
  trace_.Mark("images present");
  runtime::SandboxConfig config = SandboxConfigFor();
  std::filesystem::create_directories(config.log_directory);
  ASSIGN_OR_RETURN(runtime::SandboxInfo info, RunOrClaimSandbox(config));
  g_.status.intranet_ip = info.ip;
  // A new sandbox starts its containers from scratch, init containers first.
  for (auto* list : {&g_.status.containers, &g_.status.init_containers}) {
    for (auto& cs : *list) {
      core::ContainerStatus fresh;
      fresh.name = cs.name;
      cs = fresh;
    }
  }
  return info;
}

StatusOr<runtime::SandboxInfo> Controller::Pass::RunOrClaimSandbox(
    const runtime::SandboxConfig& config) {
  if (c_.options_.pool) {
    ASSIGN_OR_RETURN(std::optional<runtime::SandboxInfo> pooled,
                     c_.options_.pool->Claim(g_, config, Hostname()));
    trace_.Mark("pool claim");
    if (pooled) return *pooled;
  }
  StatusOr<std::string> id = c_.runtime_.RunSandbox(config);
  trace_.Mark("sandbox run");
  if (!id.ok()) {
    // E.g. a sysctl the kernel refuses: the user sees why the group does not start.
    Event("Warning", g_.id, "FailedCreatePodSandBox",
          "Failed to create pod sandbox: " + id.status().message());
    return id.status();
  }
  fresh_sandbox_ = true;
  StatusOr<runtime::SandboxInfo> info = c_.runtime_.InspectSandbox(*id);
  trace_.Mark("sandbox inspected");
  return info;
}

StatusOr<runtime::ContainerInfo> Controller::Pass::StartAttempt(
    const core::ContainerSpec& spec, const runtime::SandboxInfo& sandbox, uint32_t attempt) {
  runtime::ContainerConfig cc;
  cc.name = spec.name;
  cc.attempt = attempt;
  cc.image = spec.image;
  cc.command = spec.command;
  cc.args = spec.args;
  ASSIGN_OR_RETURN(PodContext pod, PodContextFor(sandbox));
  ApplyContainerSettings(spec, pod, cc);
  cc.working_dir = spec.working_dir;
  double cpu = spec.cpu > 0 ? spec.cpu : g_.spec.cpu;
  double memory = spec.memory_gib > 0 ? spec.memory_gib : g_.spec.memory_gib;
  if (cpu > 0) {
    cc.cpu_period = kCpuPeriodUs;
    cc.cpu_quota = static_cast<int64_t>(std::llround(cpu * kCpuPeriodUs));
    cc.cpu_shares = std::max<int64_t>(2, static_cast<int64_t>(std::llround(cpu * 1024)));
  }
  if (memory > 0) cc.memory_limit_bytes = static_cast<int64_t>(std::llround(memory * (1LL << 30)));
  cc.labels[runtime::kGroupIdLabel] = g_.id;
  cc.labels[runtime::kContainerNameLabel] = spec.name;
  cc.log_path = spec.name + "/" + std::to_string(attempt) + ".log";
  std::string object = g_.id + "." + spec.name;
  if (!spec.volume_mounts.empty()) {
    StatusOr<std::vector<runtime::Mount>> mounts =
        c_.options_.volumes ? c_.options_.volumes->MountsFor(g_.id, g_.spec, spec)
                            : StatusOr<std::vector<runtime::Mount>>(
                                  InternalError("this node has no volume root"));
    if (!mounts.ok()) {
      Event("Warning", object, "Failed", "Error: " + mounts.status().message());
      return mounts.status();
    }
    // The user's mounts win over OpenECI's own (e.g. a volume mounted at /etc/hosts).
    for (const runtime::Mount& m : *mounts) {
      std::erase_if(cc.mounts, [&](const runtime::Mount& own) {
        return own.container_path == m.container_path;
      });
    }
    cc.mounts.insert(cc.mounts.end(), mounts->begin(), mounts->end());
  }
  runtime::SandboxConfig sb = SandboxConfigFor();
  UsePooledSandbox(sandbox, c_.options_.cgroup_root, sb);
  trace_.Mark("container config");
  StatusOr<std::string> id = c_.runtime_.CreateContainer(sandbox.id, cc, sb);
  trace_.Mark("container created");
  if (!id.ok()) {
    Event("Warning", object, "Failed", "Error: " + id.status().message());
    return id.status();
  }
  Event("Normal", object, "Created", "Created container " + spec.name);
  Status st = c_.runtime_.StartContainer(*id);
  trace_.Mark("container started");
  if (!st.ok()) {
    Event("Warning", object, "Failed", "Error: " + st.message());
  } else {
    Event("Normal", object, "Started", "Started container " + spec.name);
  }
  StatusOr<runtime::ContainerInfo> info = c_.runtime_.InspectContainer(*id);
  trace_.Mark("container inspected");
  return info;
}

Status Controller::Pass::SyncContainer(const core::ContainerSpec& spec,
                                       const runtime::SandboxInfo& sandbox,
                                       const std::vector<runtime::ContainerInfo>& all,
                                       core::ContainerView* view, bool init) {
  const core::RestartPolicy policy =
      init ? InitRestartPolicy(g_.spec.restart_policy) : g_.spec.restart_policy;
  std::vector<runtime::ContainerInfo> attempts;
  for (const auto& ci : all) {
    if (LabelOr(ci.labels, runtime::kContainerNameLabel) == spec.name) attempts.push_back(ci);
  }
  std::sort(attempts.begin(), attempts.end(),
            [](const auto& a, const auto& b) { return a.attempt < b.attempt; });
  core::ContainerStatus* cs =
      FindStatus(init ? g_.status.init_containers : g_.status.containers, spec.name);
  if (attempts.empty()) {
    ASSIGN_OR_RETURN(runtime::ContainerInfo info, StartAttempt(spec, sandbox, 0));
    attempts.push_back(info);
  }
  runtime::ContainerInfo latest = attempts.back();
  if (latest.state == runtime::ContainerState::kCreated) {
    // Created but never started (e.g. OpenECI died in between): start it now.
    Status st = c_.runtime_.StartContainer(latest.id);
    if (st.ok()) {
      Event("Normal", g_.id + "." + spec.name, "Started", "Started container " + spec.name);
      ASSIGN_OR_RETURN(latest, c_.runtime_.InspectContainer(latest.id));
    }
  }
  // A container killed for failing its liveness probe restarts at once (as kubelet does), under
  // any policy but Never, whatever its exit code.
  ASSIGN_OR_RETURN(bool killed, KillIfUnhealthy(spec, latest));
  if (killed) attempts.back() = latest;
  // The kernel killed it at its memory limit: one event, by the pass that first sees the exit
  // (the stored state still shows it running or waiting to start).
  if (latest.state == runtime::ContainerState::kExited && latest.reason == "OOMKilled" &&
      cs != nullptr && cs->current.state != "Terminated" &&
      cs->current.reason != "CrashLoopBackOff") {
    Event("Warning", g_.id + "." + spec.name, "OOMKilled",
          "Container " + spec.name + " exceeded its memory limit and was killed (exit code " +
              std::to_string(latest.exit_code) + ")");
  }
  bool waiting_for_restart = false;
  milliseconds delay{0};
  bool restart = killed ? policy != core::RestartPolicy::Never
                        : core::ShouldRestart(policy, latest.exit_code);
  if (latest.state == runtime::ContainerState::kExited && restart) {
    delay =
        core::RestartBackoff(static_cast<int>(latest.attempt), c_.options_.backoff_base,
                             c_.options_.backoff_max);
    int64_t due = killed ? Now() : NsToMillis(latest.finished_at_ns) + delay.count();
    if (Now() >= due) {
      for (const auto& old : attempts) {
        if (old.attempt < latest.attempt) {
          RETURN_IF_ERROR(c_.runtime_.RemoveContainer(old.id));
        }
      }
      ASSIGN_OR_RETURN(runtime::ContainerInfo next,
                       StartAttempt(spec, sandbox, latest.attempt + 1));
      cs->previous = StateOf(latest);
      latest = next;
    } else {
      waiting_for_restart = true;
      if (cs->current.reason != "CrashLoopBackOff") {
        Event("Warning", g_.id + "." + spec.name, "BackOff",
              "Back-off restarting failed container " + spec.name);
      }
      Requeue(milliseconds(due - Now()));
    }
  }
  if (waiting_for_restart) {
    cs->previous = StateOf(latest);
    cs->current = Waiting("CrashLoopBackOff", "Back-off " + std::to_string(delay.count()) +
                                                  "ms restarting failed container=" + spec.name +
                                                  " pod=" + g_.id);
  } else {
    cs->current = StateOf(latest);
    for (const auto& a : attempts) {
      if (a.attempt + 1 == latest.attempt) cs->previous = StateOf(a);
    }
  }
  cs->restart_count = static_cast<int>(latest.attempt);
  // An init container is ready once it completed; a container per its readiness probe.
  cs->ready = init ? latest.state == runtime::ContainerState::kExited && latest.exit_code == 0
                   : ReadyOf(spec, latest);
  if (!init) EnsureProbes(spec, latest, sandbox);
  view->started_once = latest.started_at_ns != 0 || latest.attempt > 0;
  view->running = latest.state == runtime::ContainerState::kRunning;
  view->terminated = latest.state == runtime::ContainerState::kExited;
  view->exit_code = latest.exit_code;
  return Status::Ok();
}

bool Controller::Pass::IsInitContainer(const std::string& name) const {
  for (const auto& spec : g_.spec.init_containers) {
    if (spec.name == name) return true;
  }
  return false;
}

Status Controller::Pass::EnsureVolumes() {
  if (g_.spec.volumes.empty()) return Status::Ok();
  Status st = c_.options_.volumes
                  ? c_.options_.volumes->Prepare(g_.id, g_.spec)
                  : Status(StatusClass::kFailedPrecondition, "FailedMount",
                           "MountVolume.SetUp failed: this node has no volume root configured");
  int failures = 0;
  {
    std::lock_guard lock(c_.pull_mu_);
    if (st.ok()) {
      c_.mount_failures_.erase(g_.id);
    } else {
      failures = ++c_.mount_failures_[g_.id];
    }
  }
  if (st.ok()) return st;
  // As kubelet: the group stays Pending (ContainerCreating), the reason is an event, and the
  // mount is tried again later.
  Event("Warning", g_.id, "FailedMount", st.message());
  for (const auto& spec : g_.spec.init_containers) {
    StatusOf(spec.name)->current = Waiting("ContainerCreating", "");
  }
  for (const auto& spec : g_.spec.containers) {
    StatusOf(spec.name)->current = Waiting("ContainerCreating", "");
  }
  Requeue(core::RestartBackoff(failures - 1, c_.options_.backoff_base, c_.options_.backoff_max));
  if (st.api_code() != "FailedMount") {
    return Status(StatusClass::kFailedPrecondition, "FailedMount", st.message());
  }
  return st;
}

void Controller::Pass::MarkWaiting(std::vector<core::ContainerStatus>& list,
                                   const std::vector<core::ContainerSpec>& specs, size_t from) {
  for (size_t i = from; i < specs.size(); ++i) {
    core::ContainerStatus* cs = FindStatus(list, specs[i].name);
    cs->current = Waiting("PodInitializing", "");
    cs->ready = false;
  }
}

// Level-triggered: which init container is next follows from the containers this sandbox holds
// (their name labels and exit codes), so a restarted OpenECI carries on where it was, and a new
// sandbox runs them all again.
StatusOr<Controller::Pass::InitProgress> Controller::Pass::SyncInitContainers(
    const runtime::SandboxInfo& sandbox, const std::vector<runtime::ContainerInfo>& all) {
  if (g_.spec.init_containers.empty()) return InitProgress::kDone;
  for (const auto& ci : all) {
    std::string name = LabelOr(ci.labels, runtime::kContainerNameLabel);
    // Regular containers exist only once every init container succeeded in this sandbox.
    if (!name.empty() && !IsInitContainer(name)) return InitProgress::kDone;
  }
  const auto& specs = g_.spec.init_containers;
  for (size_t i = 0; i < specs.size(); ++i) {
    core::ContainerView view;
    RETURN_IF_ERROR(SyncContainer(specs[i], sandbox, all, &view, /*init=*/true));
    if (view.terminated && view.exit_code == 0) continue;
    MarkWaiting(g_.status.init_containers, specs, i + 1);
    MarkWaiting(g_.status.containers, g_.spec.containers, 0);
    if (view.terminated && g_.spec.restart_policy == core::RestartPolicy::Never) {
      Event("Warning", g_.id + "." + specs[i].name, "Failed",
            "Init container " + specs[i].name + " exited with code " +
                std::to_string(view.exit_code) +
                "; RestartPolicy is Never, so the container group failed");
      return InitProgress::kFailed;
    }
    return InitProgress::kRunning;
  }
  return InitProgress::kDone;
}

StatusOr<milliseconds> Controller::Pass::Run() {
  const core::GroupStatus before = g_.status;
  const int64_t revision = g_.revision;
  trace_.Mark("pass start");
  spdlog::debug("trace {} age {}ms revision {}", g_.id, Now() - g_.creation_time, revision);
  ASSIGN_OR_RETURN(std::vector<runtime::SandboxInfo> sandboxes,
                   c_.SandboxesOf(g_.id, g_.status.pool_sandbox_id));
  trace_.Mark("sandboxes listed");

  if (g_.deleting) {
    RETURN_IF_ERROR(Teardown(sandboxes, "container group deleted"));
    RETURN_IF_ERROR(c_.RemoveGroupFiles(g_.id));
    RETURN_IF_ERROR(c_.store_.DeleteGroup(g_.id, revision));
    std::lock_guard lock(c_.pull_mu_);
    c_.pull_failures_.erase(g_.id);
    c_.mount_failures_.erase(g_.id);
    return milliseconds(0);
  }
  if (core::IsTerminal(g_.status.phase)) {
    // Finished groups keep their record (final status, container states, events) but release
    // their containers and sandbox at once; SweepRetention removes the record later.
    c_.prober_.Forget(g_.id);
    RETURN_IF_ERROR(c_.RemoveRuntimeObjects(sandboxes));
    return milliseconds(0);
  }
  if (g_.status.start_time == 0) g_.status.start_time = Now();
  if (PastDeadline()) {
    RETURN_IF_ERROR(FailPastDeadline(sandboxes));
    RETURN_IF_ERROR(WriteStatus(before, g_.revision));
    return milliseconds(0);
  }
  if (g_.spec.active_deadline_seconds) {
    Requeue(milliseconds(g_.status.start_time + *g_.spec.active_deadline_seconds * 1000 - Now()));
  }
  if (g_.restart_generation > g_.status.observed_generation) {
    RETURN_IF_ERROR(BeginNewGeneration(sandboxes));
    sandboxes.clear();
  }

  GroupPhase phase = g_.status.phase;
  StatusOr<runtime::SandboxInfo> sandbox = EnsureSandbox(sandboxes);
  if (sandbox.ok()) {
    std::vector<runtime::ContainerInfo> containers;  // none yet in a sandbox just run
    if (!fresh_sandbox_) {
      ASSIGN_OR_RETURN(containers, c_.runtime_.ListContainers(sandbox->id));
      trace_.Mark("containers listed");
    }
    ASSIGN_OR_RETURN(InitProgress init, SyncInitContainers(*sandbox, containers));
    std::vector<core::ContainerView> views;
    if (init == InitProgress::kDone) {
      for (const auto& spec : g_.spec.containers) {
        core::ContainerView view;
        RETURN_IF_ERROR(SyncContainer(spec, *sandbox, containers, &view));
        views.push_back(view);
      }
    }
    phase = init == InitProgress::kFailed  ? GroupPhase::Failed
            : init == InitProgress::kRunning ? GroupPhase::Pending
                                             : core::DerivePhase(g_.spec.restart_policy, views);
    if (phase == GroupPhase::Pending && (g_.status.phase == GroupPhase::Restarting ||
                                         g_.status.phase == GroupPhase::Updating)) {
      phase = g_.status.phase;
    }
    c_.prober_.Retain(g_.id, probed_);
  } else if (sandbox.status().api_code() != "ErrImagePull" &&
             sandbox.status().api_code() != "ErrImageNeverPull" &&
             sandbox.status().api_code() != "FailedMount") {
    return sandbox.status();
  } else if (g_.status.phase == GroupPhase::Running || g_.status.phase == GroupPhase::Updating) {
    // An update to an image that cannot be pulled leaves the group Pending, where the user can
    // update it again.
    phase = GroupPhase::Pending;
  }

  RETURN_IF_ERROR(core::CheckTransition(g_.status.phase, phase));
  if (phase != g_.status.phase) {
    if (phase == GroupPhase::Succeeded) g_.status.succeeded_time = Now();
    if (phase == GroupPhase::Failed) g_.status.failed_time = Now();
    g_.status.phase = phase;
  }
  g_.status.ready = phase == GroupPhase::Running && !g_.status.containers.empty();
  for (const auto& cs : g_.status.containers) g_.status.ready = g_.status.ready && cs.ready;
  if (core::IsTerminal(phase)) c_.prober_.Forget(g_.id);
  if (core::IsTerminal(phase) && sandbox.ok()) {
    RETURN_IF_ERROR(c_.runtime_.StopSandbox(sandbox->id));
  }
  RETURN_IF_ERROR(WriteStatus(before, g_.revision));
  return requeue_;
}

Controller::Controller(store::Store& store, runtime::Runtime& runtime, const Clock& clock,
                       ControllerOptions options)
    : Controller(store, runtime, clock, std::move(options), nullptr) {}

Controller::Controller(store::Store& store, runtime::Runtime& runtime, const Clock& clock,
                       ControllerOptions options, ProbeRunner& probe_runner)
    : Controller(store, runtime, clock, std::move(options), &probe_runner) {}

Controller::Controller(store::Store& store, runtime::Runtime& runtime, const Clock& clock,
                       ControllerOptions options, ProbeRunner* probe_runner)
    : store_(store),
      runtime_(runtime),
      clock_(clock),
      options_(std::move(options)),
      own_probe_runner_(probe_runner ? nullptr : std::make_unique<RuntimeProbeRunner>(runtime)),
      prober_(probe_runner ? *probe_runner : *own_probe_runner_, clock,
              [this](const std::string& group_id) { queue_.Add(group_id); },
              [this](const ProbeKey& key, const std::string& message) {
                RecordProbeFailure(key, message);
              }) {}

void Controller::RecordProbeFailure(const ProbeKey& key, const std::string& message) {
  core::Event e;
  e.type = "Warning";
  e.name = key.group_id + "." + key.container_name;
  e.reason = "Unhealthy";
  e.message = message;
  e.first_timestamp = e.last_timestamp = ToUnixMillis(clock_.Now());
  Status st = store_.RecordEvent(key.group_id, e);
  if (!st.ok() && st.cls() != StatusClass::kNotFound) {
    spdlog::warn("group {}: recording a probe failure failed: {}", key.group_id, st.ToString());
  }
}

Controller::~Controller() { Stop(); }

ResolvConf Controller::HostResolvConf() const {
  std::ifstream in(options_.host_resolv_conf);
  std::ostringstream text;
  text << in.rdbuf();
  return ParseResolvConf(text.str());
}

Status Controller::Start() {
  watch_ = store_.Watch([this](const store::WatchEvent& e) {
    if (e.type == store::WatchEvent::Type::kPut) queue_.Add(e.group_id);
  });
  // Finished groups whose runtime objects are gone need no pass; those that still have some
  // are found by their sandboxes below.
  ASSIGN_OR_RETURN(auto groups, store_.ListActiveGroups());
  for (const auto& g : groups) queue_.Add(g.id);
  ASSIGN_OR_RETURN(auto sandboxes, runtime_.ListSandboxes());
  for (const auto& sb : sandboxes) {
    std::string id = LabelOr(sb.labels, runtime::kGroupIdLabel);
    if (!id.empty()) queue_.Add(id);
  }
  if (options_.volumes) {
    // Without the shared root only MountPropagation HostToContainer / Bidirectional fail.
    if (Status st = options_.volumes->Init(); !st.ok()) spdlog::warn("volumes: {}", st.ToString());
    for (const std::string& id : options_.volumes->GroupIds()) queue_.Add(id);
  }
  spdlog::info("controller: {} active groups stored, {} sandboxes found; reconciling",
               groups.size(), sandboxes.size());
  prober_.Start();
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this] { WorkerLoop(); });
  threads_.emplace_back([this] { PollLoop(); });
  return Status::Ok();
}

void Controller::Stop() {
  if (stopping_.exchange(true)) return;
  watch_.reset();
  queue_.ShutDown();
  poll_cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  prober_.Stop();
}

StatusOr<std::vector<runtime::SandboxInfo>> Controller::SandboxesOf(const std::string& group_id,
                                                                     const std::string& claimed) {
  // Selected by label on the runtime's side: inspecting every sandbox of the machine on each
  // pass made parallel creates quadratic.
  ASSIGN_OR_RETURN(auto mine,
                   runtime_.ListSandboxesWithLabels({{runtime::kGroupIdLabel, group_id}}));
  if (!claimed.empty() &&
      std::none_of(mine.begin(), mine.end(), [&](const auto& sb) { return sb.id == claimed; })) {
    StatusOr<runtime::SandboxInfo> pooled = runtime_.InspectSandbox(claimed);
    if (pooled.ok()) {
      mine.push_back(std::move(pooled).value());
    } else if (pooled.status().cls() != StatusClass::kNotFound) {
      return pooled.status();
    }
  }
  return mine;
}

Status Controller::RemoveRuntimeObjects(const std::vector<runtime::SandboxInfo>& sandboxes) {
  for (const auto& sb : sandboxes) {
    RETURN_IF_ERROR(runtime_.StopSandbox(sb.id));
    RETURN_IF_ERROR(runtime_.RemoveSandbox(sb.id));
  }
  return Status::Ok();
}

StatusOr<milliseconds> Controller::Reconcile(const std::string& group_id) {
  StatusOr<ContainerGroup> group = store_.GetGroup(group_id);
  if (!group.ok()) {
    if (group.status().cls() != StatusClass::kNotFound) return group.status();
    // Nobody owns what the runtime still holds for this ID: remove it.
    ASSIGN_OR_RETURN(auto orphans, SandboxesOf(group_id));
    prober_.Forget(group_id);
    if (!orphans.empty()) spdlog::info("removing {} orphaned sandbox(es) of {}", orphans.size(), group_id);
    RETURN_IF_ERROR(RemoveRuntimeObjects(orphans));
    RETURN_IF_ERROR(RemoveGroupFiles(group_id));
    return milliseconds(0);
  }
  Pass pass(*this, std::move(group).value());
  StatusOr<milliseconds> next = pass.Run();
  pass.FlushEvents();
  return next;
}

void Controller::WorkerLoop() {
  while (auto key = queue_.Get()) {
    StatusOr<milliseconds> next = Reconcile(*key);
    queue_.Done(*key);
    if (!next.ok()) {
      if (next.status().cls() != StatusClass::kAborted) {
        spdlog::warn("reconcile {}: {}", *key, next.status().ToString());
      }
      queue_.AddAfter(*key, next.status().cls() == StatusClass::kAborted ? milliseconds(10)
                                                                          : milliseconds(1000));
    } else if (next->count() > 0) {
      queue_.AddAfter(*key, *next);
    }
  }
}

void Controller::PollOnce() {
  auto sandboxes = runtime_.ListSandboxes();
  auto containers = runtime_.ListContainers("");
  if (!sandboxes.ok() || !containers.ok()) return;
  std::map<std::string, std::string> digest;
  std::map<std::string, std::string> group_of_sandbox;
  for (const auto& sb : *sandboxes) {
    std::string id = LabelOr(sb.labels, runtime::kGroupIdLabel);
    if (id.empty()) continue;
    group_of_sandbox[sb.id] = id;
    digest[id] += sb.id + (sb.state == runtime::SandboxState::kReady ? "R;" : "N;");
  }
  for (const auto& ci : *containers) {
    std::string id = LabelOr(ci.labels, runtime::kGroupIdLabel);
    if (id.empty()) continue;
    digest[id] += ci.id + ":" + std::to_string(static_cast<int>(ci.state)) + ";";
  }
  for (const auto& [id, d] : digest) {
    auto it = last_digest_.find(id);
    if (it == last_digest_.end() || it->second != d) queue_.Add(id);
  }
  for (const auto& [id, d] : last_digest_) {
    if (!digest.count(id)) queue_.Add(id);  // its sandbox vanished
  }
  last_digest_ = std::move(digest);
}

Status Controller::RemoveGroupFiles(const std::string& group_id) {
  if (options_.volumes) RETURN_IF_ERROR(options_.volumes->Remove(group_id));
  // Its sandboxes are gone, but one whose creation was cut short may have left cgroups.
  RETURN_IF_ERROR(runtime_.RemovePodCgroups(options_.cgroup_root + "/" + group_id));
  std::error_code ec;
  std::filesystem::remove_all(options_.log_root + "/" + group_id, ec);
  if (!options_.pod_root.empty()) std::filesystem::remove_all(options_.pod_root + "/" + group_id, ec);
  return Status::Ok();
}

bool Controller::RetentionMayBeDue() {
  return store_.CurrentRevision() != retention_revision_ ||
         ToUnixMillis(clock_.Now()) >= retention_due_ms_;
}

Status Controller::SweepRetention() {
  // Read before the groups: a write in between makes the next sweep look again.
  const int64_t revision = store_.CurrentRevision();
  ASSIGN_OR_RETURN(std::vector<ContainerGroup> groups, store_.ListAllGroups());
  const int64_t now = ToUnixMillis(clock_.Now());
  std::vector<std::string> expired = core::ExpiredGroupIds(groups, now, options_.retention);
  for (const ContainerGroup& g : groups) {
    if (std::find(expired.begin(), expired.end(), g.id) == expired.end()) continue;
    ASSIGN_OR_RETURN(auto sandboxes, SandboxesOf(g.id, g.status.pool_sandbox_id));
    RETURN_IF_ERROR(RemoveRuntimeObjects(sandboxes));
    RETURN_IF_ERROR(RemoveGroupFiles(g.id));
    Status st = store_.DeleteGroup(g.id, g.revision);
    if (st.cls() == StatusClass::kAborted || st.cls() == StatusClass::kNotFound) continue;
    RETURN_IF_ERROR(st);
    spdlog::info("group {} ({}) removed: past its retention", g.id, core::PhaseName(g.status.phase));
  }
  retention_revision_ = revision;
  retention_due_ms_ = core::NextExpiryTime(groups, now, options_.retention);
  return Status::Ok();
}

void Controller::PollLoop() {
  auto next_resync = std::chrono::steady_clock::now() + options_.resync_interval;
  auto next_sweep = std::chrono::steady_clock::now();
  while (!stopping_) {
    PollOnce();
    // With many finished groups stored a sweep reads them all: only when it could find some.
    if (std::chrono::steady_clock::now() >= next_sweep && RetentionMayBeDue()) {
      if (Status st = SweepRetention(); !st.ok()) spdlog::warn("retention: {}", st.ToString());
      next_sweep = std::chrono::steady_clock::now() + options_.retention_sweep_interval;
    }
    if (std::chrono::steady_clock::now() >= next_resync) {
      // Finished groups hold nothing in the runtime once their pass has released it (and the
      // poller queues any group whose sandboxes or containers change): a pass over them does
      // nothing, and a store may hold very many of them.
      if (auto groups = store_.ListActiveGroups(); groups.ok()) {
        for (const auto& g : *groups) queue_.Add(g.id);
      }
      next_resync = std::chrono::steady_clock::now() + options_.resync_interval;
    }
    std::unique_lock lock(poll_mu_);
    poll_cv_.wait_for(lock, options_.poll_interval, [this] { return stopping_.load(); });
  }
}

}  // namespace openeci::controller
