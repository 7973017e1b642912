// Watching an image pull: CRI's PullImage blocks and reports nothing, so while it runs a side
// thread looks at containerd's in-flight downloads (runtime::PullProgressProbe::Active) and
// reports the byte progress. Shared by the group controller (PullProgress events) and the
// image cache controller (Progress and PulledLayer events).
//
// Thread-safety: PullWatched is reentrant (each call has its own side thread).
// PullProgressThrottle is not thread-safe: one pull, one owner.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "runtime/containerd/pull_progress.h"

namespace openeci::controller {

// The in-flight downloads of containerd's k8s.io namespace (PullProgressProbe::Active, or a
// fake in tests).
using IngestLister = std::function<StatusOr<std::vector<runtime::IngestStatus>>()>;
// Called after each look with the progress as it stands; `final` is the one look taken after a
// successful pull (on the calling thread), to catch the layers that finished since the last.
using PullProgressFn = std::function<void(const runtime::PullProgress& progress, bool final)>;

// Runs `pull` on the calling thread while a side thread calls `list` every `poll_interval`,
// feeds one PullProgress and calls `on_poll` (never concurrently with itself; a failed look is
// skipped). Returns what `pull` returned.
Status PullWatched(const std::function<Status()>& pull, const IngestLister& list,
                   std::chrono::milliseconds poll_interval, const PullProgressFn& on_poll);

// `Pulling image "x": layer 3 of 5 done, 12.3 MiB of 40.0 MiB`. The totals are those of the
// layers containerd has started so far (the rest are unknown until their download begins).
std::string PullProgressMessage(const std::string& image, const runtime::PullProgress& progress);

// "12.3 MiB" (B, KiB, MiB, GiB with one decimal).
std::string HumanBytes(int64_t bytes);

// Decides when one pull's progress deserves an event, so that a long pull neither floods the
// group's event list (capped, oldest evicted) nor goes silent: at most one event per
// `interval` unless a layer just completed, and after `budget / 2` events the interval doubles
// with each event; never more than `budget` events.
class PullProgressThrottle {
 public:
  PullProgressThrottle(std::chrono::milliseconds interval, int budget)
      : interval_(interval), budget_(budget) {}
  // Whether to record an event at `now`; counts it when true.
  bool Due(std::chrono::steady_clock::time_point now, bool layer_completed);

 private:
  std::chrono::milliseconds interval_;
  int budget_;
  int sent_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace openeci::controller
