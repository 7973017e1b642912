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
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "runtime/containerd/pull_progress.h"
#include "runtime/runtime.h"

namespace openeci::controller {

// The in-flight downloads of containerd's k8s.io namespace (PullProgressProbe::Active, or a
// fake in tests).
using IngestLister = std::function<StatusOr<std::vector<runtime::IngestStatus>>()>;
// Called after each look with the progress as it stands; `final` is the one look taken after a
// successful pull (on the calling thread), to catch the layers that finished since the last.
using PullProgressFn = std::function<void(const runtime::PullProgress& progress, bool final)>;

// A pull, given the Cancellation to hand to Runtime::PullImage.
using PullFn = std::function<Status(runtime::Cancellation& cancel)>;

// Drops one partial download (runtime::PullProgressProbe::Abort, or a fake in tests).
using IngestAborter = std::function<Status(const std::string& ref)>;

// How PullWatched looks at a pull.
struct PullWatchOptions {
  std::chrono::milliseconds poll_interval{200};
  // Downloads in flight and not one byte received for this long: the pull is cancelled (see
  // PullStallDetector). 0: never.
  std::chrono::milliseconds stall_timeout{0};
  // When set, the downloads a stalled pull leaves are dropped after the cancel, so that the
  // retry starts them afresh, where a stall can be seen again (see PullStallDetector).
  IngestAborter abort_ingest;
};

// Runs `pull` on the calling thread while a side thread calls `list` every poll_interval,
// feeds one PullProgress and calls `on_poll` (never concurrently with itself; a failed look is
// skipped), and cancels the pull when it stalls. Returns what `pull` returned; a stalled pull
// fails with kUnavailable, its message saying how long nothing arrived.
Status PullWatched(const PullFn& pull, const IngestLister& list, const PullWatchOptions& options,
                   const PullProgressFn& on_poll);

// Tells a stalled pull from a slow one by containerd's in-flight downloads: the pull has
// stalled when downloads are in flight and for `timeout` not one of them received a byte, and
// none started or finished. containerd reports a download's offset in steps of 1 MiB (its copy
// buffer), so "a byte" means "a step" (a download slower than 1 MiB per timeout stalls).
// Downloads in flight before the pull began (a partial download an earlier failed pull left
// behind: containerd keeps it to resume) count only once they move, so they do not stall a
// pull that is resolving or unpacking; PullWatched drops what a stalled pull leaves, so its
// retry is seen. Other pulls running at the same time blur the picture (their downloads count
// as this pull's).
// Not thread-safe: one pull, one owner.
class PullStallDetector {
 public:
  // `before`: the downloads in flight before the pull started.
  PullStallDetector(std::chrono::milliseconds timeout, std::vector<runtime::IngestStatus> before);
  // Feeds the snapshot taken at `now`; true once the pull has stalled.
  bool Stalled(const std::vector<runtime::IngestStatus>& active,
               std::chrono::steady_clock::time_point now);
  // The downloads that counted in the last snapshot (ref -> offset).
  const std::map<std::string, int64_t>& counted() const { return last_; }

 private:
  std::chrono::milliseconds timeout_;
  std::map<std::string, int64_t> before_;  // ref -> offset before the pull started
  std::map<std::string, int64_t> last_;    // ref -> offset of the downloads that count
  bool started_ = false;
  std::chrono::steady_clock::time_point last_change_{};
};

// "no bytes received for 30 s (pull progress timeout)".
std::string PullStallMessage(std::chrono::milliseconds timeout);

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
