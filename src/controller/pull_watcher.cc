#include "controller/pull_watcher.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

namespace openeci::controller {

namespace {

// containerd lets go of a cancelled pull's downloads a moment after the call returned (until
// then an Abort finds them locked): a few tries, then they are left (a later pull resumes them).
void DropStalledDownloads(const std::map<std::string, int64_t>& downloads,
                          const IngestAborter& abort_ingest) {
  for (const auto& [ref, offset] : downloads) {
    Status st = abort_ingest(ref);
    for (int i = 0; i < 20 && !st.ok(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      st = abort_ingest(ref);
    }
    if (!st.ok()) spdlog::info("stalled pull: keeping download {}: {}", ref, st.ToString());
  }
}

}  // namespace

Status PullWatched(const PullFn& pull, const IngestLister& list, const PullWatchOptions& options,
                   const PullProgressFn& on_poll) {
  runtime::PullProgress progress;
  runtime::Cancellation cancel;
  // What is in flight before the pull starts is not this pull's (see PullStallDetector).
  std::vector<runtime::IngestStatus> before;
  if (options.stall_timeout.count() > 0) {
    StatusOr<std::vector<runtime::IngestStatus>> active = list();
    if (active.ok()) before = std::move(active).value();
  }
  PullStallDetector stall(options.stall_timeout, std::move(before));
  auto look = [&](bool final) {
    StatusOr<std::vector<runtime::IngestStatus>> active = list();
    if (!active.ok()) return;
    progress.Update(*active);
    on_poll(progress, final);
    if (!final && options.stall_timeout.count() > 0 &&
        stall.Stalled(*active, std::chrono::steady_clock::now())) {
      cancel.Cancel(PullStallMessage(options.stall_timeout));
    }
  };
  std::mutex mu;
  std::condition_variable cv;
  bool pulled = false;
  // Only this thread touches `progress` until the join below.
  std::thread watcher([&] {
    std::unique_lock lock(mu);
    while (!cv.wait_for(lock, options.poll_interval, [&] { return pulled; })) {
      lock.unlock();
      look(false);
      lock.lock();
    }
  });
  Status st = pull(cancel);
  {
    std::lock_guard lock(mu);
    pulled = true;
  }
  cv.notify_all();
  watcher.join();
  if (st.ok()) look(true);
  if (!st.ok() && !cancel.reason().empty() && options.abort_ingest) {
    DropStalledDownloads(stall.counted(), options.abort_ingest);
  }
  return st;
}

PullStallDetector::PullStallDetector(std::chrono::milliseconds timeout,
                                     std::vector<runtime::IngestStatus> before)
    : timeout_(timeout) {
  for (const runtime::IngestStatus& ingest : before) before_[ingest.ref] = ingest.offset;
}

bool PullStallDetector::Stalled(const std::vector<runtime::IngestStatus>& active,
                                std::chrono::steady_clock::time_point now) {
  std::map<std::string, int64_t> counted;
  for (const runtime::IngestStatus& ingest : active) {
    auto before = before_.find(ingest.ref);
    if (before == before_.end() || before->second != ingest.offset) {
      counted[ingest.ref] = ingest.offset;
    }
  }
  // Nothing of this pull in flight (resolving, unpacking) cannot stall.
  if (!started_ || counted.empty() || counted != last_) last_change_ = now;
  started_ = true;
  last_ = std::move(counted);
  return now - last_change_ >= timeout_;
}

std::string PullStallMessage(std::chrono::milliseconds timeout) {
  const int64_t ms = timeout.count();
  const std::string amount =
      ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
  return "no bytes received for " + amount + " (pull progress timeout), pull cancelled";
}

std::string HumanBytes(int64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", value, kUnits[unit]);
  }
  return buf;
}

std::string PullProgressMessage(const std::string& image, const runtime::PullProgress& progress) {
  std::string msg = "Pulling image \"" + image + "\": ";
  if (progress.layers_seen() > 0) {
    msg += "layer " + std::to_string(progress.layers_done()) + " of " +
           std::to_string(progress.layers_seen()) + " done, ";
  }
  return msg + HumanBytes(progress.bytes_received()) + " of " +
         HumanBytes(progress.bytes_total());
}

bool PullProgressThrottle::Due(std::chrono::steady_clock::time_point now, bool layer_completed) {
  if (sent_ >= budget_) return false;
  const int doublings = std::max(0, sent_ - budget_ / 2 + 1);
  const auto wait = interval_ * (1LL << std::min(doublings, 20));
  const bool first = sent_ == 0;
  if (!first && !layer_completed && now - last_ < wait) return false;
  ++sent_;
  last_ = now;
  return true;
}

}  // namespace openeci::controller
