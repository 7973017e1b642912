#include "controller/image_cache_controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "controller/pull_watcher.h"
#include "controller/registry_auth.h"
#include "core/image_cache_service.h"
#include "runtime/image_ref.h"

namespace openeci::controller {
namespace {

using std::chrono::milliseconds;
constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr uint64_t kGib = 1ULL << 30;

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

// When the cache is due for removal (0: never).
int64_t ExpiresAt(const core::ImageCache& c, milliseconds failed_retention) {
  if (c.status == core::ImageCacheStatus::Failed) return c.finish_time + failed_retention.count();
  if (c.retention_days > 0) return c.creation_time + c.retention_days * kDayMs;
  return 0;
}

}  // namespace

void AddCacheEvent(core::ImageCache& cache, const std::string& type, const std::string& reason,
                   const std::string& message, int64_t now_ms) {
  for (core::Event& e : cache.events) {
    if (e.type == type && e.reason == reason && e.message == message) {
      e.count += 1;
      e.last_timestamp = now_ms;
      return;
    }
  }
  core::Event e;
  e.type = type;
  e.name = cache.id;
  e.reason = reason;
  e.message = message;
  e.first_timestamp = e.last_timestamp = now_ms;
  cache.events.push_back(std::move(e));
  if (cache.events.size() > static_cast<size_t>(core::kMaxImageCacheEvents)) {
    cache.events.erase(cache.events.begin());
  }
}

bool CacheHoldsImage(const core::ImageCache& cache, const std::string& image) {
  const std::string wanted = runtime::NormalizeImage(image);
  for (const std::string& i : cache.images) {
    if (runtime::NormalizeImage(i) == wanted) return true;
  }
  return false;
}

StatusOr<std::optional<core::ImageCache>> MatchImageCache(store::Store& store,
                                                          const core::ContainerGroup& group,
                                                          const std::string& image,
                                                          int64_t now_ms) {
  auto usable = [&](const core::ImageCache& c) {
    return c.account_id == group.account_id && !c.deleting &&
           c.status == core::ImageCacheStatus::Ready && CacheHoldsImage(c, image);
  };
  std::optional<core::ImageCache> found;
  if (!group.spec.image_snapshot_id.empty()) {
    StatusOr<core::ImageCache> c =
        store.GetImageCache(core::ImageCacheIdOf(group.spec.image_snapshot_id));
    if (!c.ok() && c.status().cls() != StatusClass::kNotFound) return c.status();
    if (c.ok() && usable(*c)) found = std::move(c).value();
  }
  if (!found && group.spec.auto_match_image_cache) {
    store::ImageCacheQuery q;
    q.account_id = group.account_id;
    q.limit = 100;
    ASSIGN_OR_RETURN(store::ImageCachePage page, store.ListImageCaches(q));
    for (auto it = page.caches.rbegin(); it != page.caches.rend(); ++it) {
      if (usable(*it)) {
        found = std::move(*it);
        break;
      }
    }
  }
  if (!found) return found;
  // LastMatchedTime is bookkeeping: a lost race is retried, a persistent failure only logged.
  core::ImageCache cache = *found;
  for (int attempt = 0; attempt < 5; ++attempt) {
    cache.last_matched_time = now_ms;
    StatusOr<int64_t> rev = store.UpdateImageCache(cache, cache.revision);
    if (rev.ok() || rev.status().cls() != StatusClass::kAborted) {
      if (!rev.ok()) spdlog::warn("image cache {}: {}", cache.id, rev.status().ToString());
      break;
    }
    StatusOr<core::ImageCache> fresh = store.GetImageCache(cache.id);
    if (!fresh.ok()) break;
    cache = std::move(fresh).value();
  }
  return found;
}

ImageCacheController::ImageCacheController(store::Store& store, runtime::Runtime& runtime,
                                           const Clock& clock,
                                           ImageCacheControllerOptions options)
    : store_(store), runtime_(runtime), clock_(clock), options_(options) {}

ImageCacheController::~ImageCacheController() { Stop(); }

Status ImageCacheController::Start() {
  ASSIGN_OR_RETURN(std::vector<core::ImageCache> caches, store_.ListAllImageCaches());
  for (const auto& c : caches) queue_.Add(c.id);
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    threads_.emplace_back([this] { WorkerLoop(); });
  }
  threads_.emplace_back([this] { ResyncLoop(); });
  return Status::Ok();
}

void ImageCacheController::Stop() {
  if (stopping_.exchange(true)) return;
  queue_.ShutDown();
  {
    std::lock_guard lock(resync_mu_);
    resync_cv_.notify_all();
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void ImageCacheController::WorkerLoop() {
  while (std::optional<std::string> id = queue_.Get()) {
    StatusOr<milliseconds> again = Reconcile(*id);
    if (!again.ok()) {
      spdlog::warn("image cache {}: {}", *id, again.status().ToString());
      queue_.Done(*id);
      queue_.AddAfter(*id, milliseconds(1000));
      continue;
    }
    queue_.Done(*id);
    if (again->count() > 0) queue_.AddAfter(*id, *again);
  }
}

void ImageCacheController::ResyncLoop() {
  std::unique_lock lock(resync_mu_);
  while (!stopping_) {
    resync_cv_.wait_for(lock, options_.resync_interval);
    if (stopping_) break;
    StatusOr<std::vector<core::ImageCache>> caches = store_.ListAllImageCaches();
    if (!caches.ok()) {
      spdlog::warn("image cache resync: {}", caches.status().ToString());
      continue;
    }
    for (const auto& c : *caches) queue_.Add(c.id);
  }
}

StatusOr<milliseconds> ImageCacheController::Reconcile(const std::string& cache_id) {
  StatusOr<core::ImageCache> got = store_.GetImageCache(cache_id);
  if (!got.ok()) {
    if (got.status().cls() == StatusClass::kNotFound) return milliseconds(0);
    return got.status();
  }
  core::ImageCache cache = std::move(got).value();
  if (cache.deleting) {
    RETURN_IF_ERROR(Remove(cache));
    return milliseconds(0);
  }
  if (cache.status == core::ImageCacheStatus::Creating) {
    Status st = Build(std::move(cache));
    if (st.cls() == StatusClass::kAborted) return milliseconds(1);  // changed meanwhile: again
    RETURN_IF_ERROR(st);
    return milliseconds(1);  // look again: Ready/Failed caches get their expiry scheduled
  }
  int64_t expires = ExpiresAt(cache, options_.failed_retention);
  if (expires == 0) return milliseconds(0);
  if (Now() >= expires) {
    spdlog::info("image cache {} expired", cache.id);
    RETURN_IF_ERROR(Remove(cache));
    return milliseconds(0);
  }
  return std::min(milliseconds(expires - Now()), options_.resync_interval);
}

Status ImageCacheController::Build(core::ImageCache cache) {
  // Each pulled image is written back at once (Progress), under compare-and-swap: a
  // DeleteImageCache in between makes the write fail with kAborted and the next pass removes.
  while (cache.images_done < static_cast<int>(cache.images.size())) {
    const std::string& image = cache.images[cache.images_done];
    AddCacheEvent(cache, "Normal", "Pulling", "Pulling image " + Quoted(image), Now());
    auto t0 = std::chrono::steady_clock::now();
    Status st = options_.pull_probe != nullptr
                    ? PullWatched(cache, image)
                    : runtime_.PullImage(image, AuthFor(cache.credentials, image), nullptr);
    ReportPull(options_.pull_observer, PullSource::kImageCache, st.ok(), t0);
    if (!st.ok()) {
      AddCacheEvent(cache, "Warning", "Failed",
                    "Failed to pull image " + Quoted(image) + ": " + st.message(), Now());
      cache.status = core::ImageCacheStatus::Failed;
      cache.finish_time = Now();
      ASSIGN_OR_RETURN(cache.revision, store_.UpdateImageCache(cache, cache.revision));
      return Status::Ok();
    }
    auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0);
    AddCacheEvent(cache, "Normal", "Pulled",
                  "Successfully pulled image " + Quoted(image) + " in " +
                      std::to_string(took.count()) + "ms",
                  Now());
    cache.images_done += 1;
    cache.current_image_permille = 0;
    ASSIGN_OR_RETURN(cache.revision, store_.UpdateImageCache(cache, cache.revision));
  }
  ASSIGN_OR_RETURN(std::vector<runtime::ImageInfo> infos, runtime_.ListImages());
  uint64_t total = 0;
  std::string missing;
  for (const std::string& image : cache.images) {
    const std::string ref = runtime::NormalizeImage(image);
    const runtime::ImageInfo* info = nullptr;
    for (const auto& i : infos) {
      if (std::find(i.repo_tags.begin(), i.repo_tags.end(), ref) != i.repo_tags.end()) info = &i;
    }
    if (info == nullptr) {
      missing = image;
      break;
    }
    total += info->size_bytes;
  }
  if (!missing.empty()) {
    AddCacheEvent(cache, "Warning", "Failed",
                  "Image " + Quoted(missing) + " disappeared from the machine while the cache "
                  "was being created",
                  Now());
    cache.status = core::ImageCacheStatus::Failed;
  } else if (total > static_cast<uint64_t>(cache.size_gib) * kGib) {
    AddCacheEvent(cache, "Warning", "ImageCacheSizeExceeded",
                  "The images take " + std::to_string(total) + " bytes, more than the " +
                      "ImageCacheSize of " + std::to_string(cache.size_gib) + " GiB",
                  Now());
    cache.status = core::ImageCacheStatus::Failed;
  } else {
    cache.status = core::ImageCacheStatus::Ready;
    cache.snapshot_id = "s-" + cache.id.substr(cache.id.find('-') + 1);
    AddCacheEvent(cache, "Normal", "ImageCacheReady",
                  "Image cache " + cache.id + " is ready: " +
                      std::to_string(cache.images.size()) + " image(s), " +
                      std::to_string(total) + " bytes",
                  Now());
  }
  cache.finish_time = Now();
  ASSIGN_OR_RETURN(cache.revision, store_.UpdateImageCache(cache, cache.revision));
  return Status::Ok();
}

Status ImageCacheController::PullWatched(core::ImageCache& cache, const std::string& image) {
  const std::optional<runtime::RegistryAuth> auth = AuthFor(cache.credentials, image);
  auto last_write = std::chrono::steady_clock::now();
  bool dirty = false;
  bool write_failed = false;
  // Runs on the watcher's side thread (the caller waits in PullImage), then once more after.
  auto on_poll = [&](const runtime::PullProgress& progress, bool final) {
    for (const runtime::IngestStatus& layer : progress.just_completed()) {
      const size_t colon = layer.ref.find(':');
      const std::string digest = layer.ref.substr(colon == std::string::npos ? 0 : colon + 1);
      AddCacheEvent(cache, "Normal", "PulledLayer",
                    "Received layer " + digest.substr(0, 12) + " (" +
                        std::to_string(layer.total) + " bytes) of image " + Quoted(image),
                    Now());
      dirty = true;
    }
    const int permille = static_cast<int>(progress.fraction() * 1000);
    if (permille != cache.current_image_permille) {
      cache.current_image_permille = permille;
      dirty = true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (final || !dirty || write_failed || now - last_write < options_.progress_write_interval) {
      return;  // the final state is written by the caller
    }
    // A lost compare-and-swap (DeleteImageCache meanwhile) ends the progress writes; the
    // write after the pull fails the same way and the next pass removes the cache.
    StatusOr<int64_t> rev = store_.UpdateImageCache(cache, cache.revision);
    if (rev.ok()) {
      cache.revision = *rev;
    } else {
      write_failed = true;
      spdlog::info("image cache {}: progress not stored: {}", cache.id, rev.status().ToString());
    }
    dirty = false;
    last_write = now;
  };
  runtime::PullProgressProbe* probe = options_.pull_probe;
  return controller::PullWatched(
      [&](runtime::Cancellation& cancel) { return runtime_.PullImage(image, auth, &cancel); },
      [probe] { return probe->Active(); },
      {options_.pull_poll_interval, options_.pull_stall_timeout,
       [probe](const std::string& ref) { return probe->Abort(ref); }},
      on_poll);
}

Status ImageCacheController::Remove(const core::ImageCache& cache) {
  std::set<std::string> in_use;
  ASSIGN_OR_RETURN(std::vector<core::ImageCache> caches, store_.ListAllImageCaches());
  for (const auto& c : caches) {
    if (c.id == cache.id || c.deleting || c.status == core::ImageCacheStatus::Failed) continue;
    for (const auto& i : c.images) in_use.insert(runtime::NormalizeImage(i));
  }
  ASSIGN_OR_RETURN(std::vector<core::ContainerGroup> groups, store_.ListAllGroups());
  for (const auto& g : groups) {
    for (const auto& c : g.spec.containers) in_use.insert(runtime::NormalizeImage(c.image));
  }
  // Only what this cache pulled: a Failed cache's later images were never fetched by it.
  const int pulled = std::min<int>(cache.images_done, static_cast<int>(cache.images.size()));
  for (int i = 0; i < pulled; ++i) {
    const std::string& image = cache.images[i];
    if (in_use.count(runtime::NormalizeImage(image))) continue;
    RETURN_IF_ERROR(runtime_.RemoveImage(image));
  }
  Status st = store_.DeleteImageCache(cache.id, cache.revision);
  if (st.cls() == StatusClass::kNotFound) return Status::Ok();
  return st;
}

}  // namespace openeci::controller
