#include "controller/prober.h"

#include <algorithm>
#include <chrono>

namespace openeci::controller {

using std::chrono::milliseconds;

// Kubelet re-checks its workers at least this often; a clock that jumps is noticed this late.
constexpr milliseconds kMaxWait(1000);

const char* ProbeKindName(ProbeKind kind) {
  return kind == ProbeKind::kLiveness ? "Liveness" : "Readiness";
}

ProbeTracker::ProbeTracker(ProbeKind kind, const core::ProbeSpec& spec)
    : success_threshold_(kind == ProbeKind::kLiveness ? 1 : std::max(1, spec.success_threshold)),
      failure_threshold_(std::max(1, spec.failure_threshold)),
      result_(kind == ProbeKind::kLiveness ? ProbeResult::kSuccess : ProbeResult::kFailure) {}

bool ProbeTracker::Record(bool success) {
  if (success) {
    ++successes_;
    failures_ = 0;
    if (result_ != ProbeResult::kSuccess && successes_ >= success_threshold_) {
      result_ = ProbeResult::kSuccess;
      return true;
    }
    return false;
  }
  ++failures_;
  successes_ = 0;
  if (result_ != ProbeResult::kFailure && failures_ >= failure_threshold_) {
    result_ = ProbeResult::kFailure;
    return true;
  }
  return false;
}

// One probe of one container. Fields are guarded by Prober::mu_, except `thread`, which only
// the thread that moves or joins it touches (under mu_ as well, or after it left the maps).
struct Prober::Worker {
  Worker(ProbeKey k, const core::ProbeSpec& s, ProbeTarget t, core::Millis due)
      : key(std::move(k)), spec(s), target(std::move(t)), tracker(key.kind, s), next_due(due) {}

  const ProbeKey key;
  const core::ProbeSpec spec;
  const ProbeTarget target;
  ProbeTracker tracker;
  core::Millis next_due;
  int probes_run = 0;
  std::string last_failure;
  bool stop = false;    // the container is gone: finish, discard what is in flight
  bool busy = false;    // a probe is in flight
  bool exited = false;  // the thread's loop has returned; join will not block
  std::thread thread;
};

Prober::Prober(ProbeRunner& runner, const Clock& clock, Notify notify, EventSink events)
    : runner_(runner), clock_(clock), notify_(std::move(notify)), events_(std::move(events)) {}

Prober::~Prober() { Stop(); }

void Prober::Start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  for (auto& [_, w] : workers_) w->thread = std::thread(&Prober::WorkerLoop, this, w);
}

void Prober::Stop() {
  std::vector<std::shared_ptr<Worker>> to_join;
  {
    std::lock_guard lock(mu_);
    started_ = false;
    for (auto& [_, w] : workers_) StopWorkerLocked(w);
    workers_.clear();
    to_join.swap(retired_);
  }
  cv_.notify_all();
  for (auto& w : to_join) {
    if (w->thread.joinable()) w->thread.join();
  }
}

void Prober::Ensure(const ProbeKey& key, const core::ProbeSpec& spec, const ProbeTarget& target,
                    core::Millis started_at) {
  std::lock_guard lock(mu_);
  ReapLocked();
  auto& slot = workers_[{key.container_id, key.kind}];
  if (slot) return;
  core::Millis due = started_at + int64_t{std::max(0, spec.initial_delay_seconds)} * 1000;
  slot = std::make_shared<Worker>(key, spec, target, due);
  if (started_) slot->thread = std::thread(&Prober::WorkerLoop, this, slot);
}

void Prober::Retain(const std::string& group_id, const std::set<std::string>& container_ids) {
  {
    std::lock_guard lock(mu_);
    ReapLocked();
    for (auto it = workers_.begin(); it != workers_.end();) {
      const ProbeKey& key = it->second->key;
      if (key.group_id == group_id && !container_ids.count(key.container_id)) {
        StopWorkerLocked(it->second);
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
  }
  cv_.notify_all();
}

std::optional<ProbeStatus> Prober::StatusOf(const std::string& container_id,
                                            ProbeKind kind) const {
  std::lock_guard lock(mu_);
  auto it = workers_.find({container_id, kind});
  if (it == workers_.end()) return std::nullopt;
  const Worker& w = *it->second;
  ProbeStatus s;
  s.result = w.tracker.result();
  s.probes_run = w.probes_run;
  s.consecutive_failures = w.tracker.consecutive_failures();
  s.last_failure = w.last_failure;
  return s;
}

ProbeResult Prober::ResultOf(const std::string& container_id, ProbeKind kind) const {
  std::optional<ProbeStatus> s = StatusOf(container_id, kind);
  if (s) return s->result;
  return kind == ProbeKind::kLiveness ? ProbeResult::kSuccess : ProbeResult::kFailure;
}

int Prober::RunDue() {
  std::unique_lock lock(mu_);
  std::vector<std::shared_ptr<Worker>> due;
  for (auto& [_, w] : workers_) {
    if (!w->stop && !w->busy && Now() >= w->next_due) due.push_back(w);
  }
  for (auto& w : due) ProbeOnce(lock, *w);
  return static_cast<int>(due.size());
}

size_t Prober::WorkerCount() const {
  std::lock_guard lock(mu_);
  return workers_.size();
}

size_t Prober::RetiredThreadCount() const {
  std::lock_guard lock(mu_);
  return retired_.size();
}

void Prober::WorkerLoop(std::shared_ptr<Worker> w) {
  std::unique_lock lock(mu_);
  while (!w->stop) {
    core::Millis now = Now();
    if (now < w->next_due) {
      cv_.wait_for(lock, std::min(milliseconds(w->next_due - now), kMaxWait));
      continue;
    }
    ProbeOnce(lock, *w);
  }
  w->exited = true;
}

void Prober::ProbeOnce(std::unique_lock<std::mutex>& lock, Worker& w) {
  w.busy = true;
  const core::Millis started = Now();
  lock.unlock();
  ProbeOutcome outcome = runner_.Run(w.spec, w.target);  // spec and target are const
  lock.lock();
  w.busy = false;
  w.next_due = started + int64_t{std::max(1, w.spec.period_seconds)} * 1000;
  if (w.stop) return;  // the container went away while we probed: nobody wants the answer
  ++w.probes_run;
  bool changed = w.tracker.Record(outcome.success);
  if (!outcome.success) w.last_failure = outcome.output;
  const ProbeKey key = w.key;
  lock.unlock();
  if (!outcome.success && events_) {
    events_(key, std::string(ProbeKindName(key.kind)) + " probe failed: " + outcome.output);
  }
  if (changed && notify_) notify_(key.group_id);
  lock.lock();
}

void Prober::StopWorkerLocked(const std::shared_ptr<Worker>& w) {
  w->stop = true;
  if (w->thread.joinable()) retired_.push_back(w);
}

void Prober::ReapLocked() {
  for (auto it = retired_.begin(); it != retired_.end();) {
    if ((*it)->exited) {
      (*it)->thread.join();
      it = retired_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace openeci::controller
