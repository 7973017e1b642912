// ImageCacheController: builds, expires and removes image caches, level-triggered over the
// store like the group controller. For each cache it compares the record with the runtime's
// images and takes the next step:
//   * Creating: pull each image not yet pulled (with the matching ImageRegistryCredential),
//     one event pair per image, Progress = images pulled / images. The CRI pull call reports
//     no layer progress; with a PullProgressProbe, a side thread (controller/pull_watcher.h)
//     polls containerd's in-flight layer downloads while the pull blocks and stores the
//     current image's received fraction (at most once per progress_write_interval) plus one
//     event per completed layer. The probe sees every download of the namespace, so
//     concurrent pulls blur the estimate.
//     Then check the images' total size
//     (runtime ListImages) against ImageCacheSize: Ready, or Failed with an event saying why.
//     A failed pull fails the cache (no retries: the user creates a new cache).
//   * Ready: removed when RetentionDays are over (from creation); Failed: after one day.
//   * deleting (DeleteImageCache) or expired: removes its images that no other cache (not
//     Failed) and no stored container group uses, then the record.
// Images of a Ready cache are pinned: OpenECI removes images only here, and never one that a
// live cache holds.
//
// Wake-ups: Enqueue (the API service's notify), delayed re-queues for expiry, and a periodic
// resync over every stored cache. Thread-safe: Start/Stop from one thread; the work queue never
// hands one cache to two workers.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "controller/pull_observer.h"
#include "controller/work_queue.h"
#include "core/model.h"
#include "runtime/containerd/pull_progress.h"
#include "runtime/runtime.h"
#include "store/store.h"

namespace openeci::controller {

struct ImageCacheControllerOptions {
  int workers = 2;
  std::chrono::milliseconds resync_interval{10000};
  std::chrono::milliseconds failed_retention{24 * 3600 * 1000};  // failed caches: one day
  // Byte progress within an image while it is pulled (nullable: per-image progress only).
  // Not owned; must outlive the controller.
  runtime::PullProgressProbe* pull_probe = nullptr;
  std::chrono::milliseconds pull_poll_interval{200};
  // A pull whose downloads receive nothing for this long is cancelled (the cache fails);
  // needs pull_probe. 0: only the runtime's deadline.
  std::chrono::milliseconds pull_stall_timeout{60000};
  std::chrono::milliseconds progress_write_interval{1000};
  PullObserver* pull_observer = nullptr;  // told about every pull; not owned; may be null
};

class ImageCacheController {
 public:
  ImageCacheController(store::Store& store, runtime::Runtime& runtime, const Clock& clock,
                       ImageCacheControllerOptions options = {});
  ~ImageCacheController();
  ImageCacheController(const ImageCacheController&) = delete;
  ImageCacheController& operator=(const ImageCacheController&) = delete;

  // Queues every stored cache and starts the workers and the resync loop.
  Status Start();
  void Stop();
  // Asks for a look at `cache_id` soon (thread-safe, cheap).
  void Enqueue(const std::string& cache_id) { queue_.Add(cache_id); }
  size_t QueueLength() { return queue_.Length(); }

  // Reconciles one cache synchronously (exposed for tests). Returns how long to wait before
  // the cache must be looked at again (0: only when something changes).
  StatusOr<std::chrono::milliseconds> Reconcile(const std::string& cache_id);

 private:
  void WorkerLoop();
  void ResyncLoop();
  Status Build(core::ImageCache cache);
  // PullImage(image) while a side thread writes the byte progress of the pull into `cache`
  // (and the store, updating cache.revision). Needs options_.pull_probe.
  Status PullWatched(core::ImageCache& cache, const std::string& image);
  // Removes the images of `cache` nothing else uses, then the record.
  Status Remove(const core::ImageCache& cache);
  int64_t Now() const { return ToUnixMillis(clock_.Now()); }

  store::Store& store_;
  runtime::Runtime& runtime_;
  const Clock& clock_;
  const ImageCacheControllerOptions options_;
  WorkQueue queue_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::mutex resync_mu_;
  std::condition_variable resync_cv_;
};

// Appends an event to a cache's own list, merging it with an equal one (count, timestamps)
// and keeping the latest core::kMaxImageCacheEvents.
void AddCacheEvent(core::ImageCache& cache, const std::string& type, const std::string& reason,
                   const std::string& message, int64_t now_ms);

// Whether `cache` holds `image` (compared in normalised form: "busybox" = docker.io/...).
bool CacheHoldsImage(const core::ImageCache& cache, const std::string& image);

// For the group controller: the Ready cache of the group's account that serves `image` — the
// one named by the spec's ImageSnapshotId, or with AutoMatchImageCache any (the newest) —
// or nullopt. Stamps the chosen cache's LastMatchedTime with `now_ms`.
StatusOr<std::optional<core::ImageCache>> MatchImageCache(store::Store& store,
                                                          const core::ContainerGroup& group,
                                                          const std::string& image,
                                                          int64_t now_ms);

}  // namespace openeci::controller
