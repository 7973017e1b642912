#include "controller/pull_watcher.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

namespace openeci::controller {

Status PullWatched(const std::function<Status()>& pull, const IngestLister& list,
                   std::chrono::milliseconds poll_interval, const PullProgressFn& on_poll) {
  runtime::PullProgress progress;
  auto look = [&](bool final) {
    StatusOr<std::vector<runtime::IngestStatus>> active = list();
    if (!active.ok()) return;
    progress.Update(*active);
    on_poll(progress, final);
  };
  std::mutex mu;
  std::condition_variable cv;
  bool pulled = false;
  // Only this thread touches `progress` until the join below.
  std::thread watcher([&] {
    std::unique_lock lock(mu);
    while (!cv.wait_for(lock, poll_interval, [&] { return pulled; })) {
      lock.unlock();
      look(false);
      lock.lock();
    }
  });
  Status st = pull();
  {
    std::lock_guard lock(mu);
    pulled = true;
  }
  cv.notify_all();
  watcher.join();
  if (st.ok()) look(true);
  return st;
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
