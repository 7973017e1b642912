// ImageCacheService: the API's view of image caches — create, describe, delete — as records in
// the store. Like ContainerGroupService it never talks to the runtime: the
// controller::ImageCacheController pulls the images of a Creating cache, marks it Ready or
// Failed, expires it and removes deleted ones. `notify` (optional) tells that controller at
// once that a cache changed; without it the controller's resync finds the change.
// Thread-safe (stateless apart from references; races are settled by the store's
// compare-and-swap).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "core/model.h"
#include "core/topology.h"
#include "store/store.h"

namespace openeci::core {

inline constexpr int kMaxImageCachesPerAccount = 20;
inline constexpr int kMaxImageCacheImages = 20;
inline constexpr int kDefaultImageCacheSizeGib = 20;
inline constexpr int kMaxImageCacheSizeGib = 2000;
inline constexpr int kMaxImageCacheRetentionDays = 36500;

struct ImageCacheRequest {
  std::string region_id;
  std::string zone_id;
  std::string vswitch_id;
  std::string security_group_id;
  std::string resource_group_id;
  std::string name;
  std::vector<std::string> images;
  std::vector<RegistryCredential> credentials;
  std::optional<int64_t> size_gib;        // ImageCacheSize; default 20
  std::optional<int64_t> retention_days;  // RetentionDays; default: never expires
};

struct CreatedImageCache {
  std::string image_cache_id;
  std::string container_group_id;
};

class ImageCacheService {
 public:
  ImageCacheService(store::Store& store, const Clock& clock, const Topology& topology,
                    std::function<void(const std::string&)> notify = {})
      : store_(store), clock_(clock), topology_(topology), notify_(std::move(notify)) {}

  // Validates the request and stores a Creating cache; answers its ID and the ID of the job
  // that builds it. That job is the controller's pull loop, not a container group: its ID
  // ("eci-...") is only reported, never a group Describe/Delete would find. At most 20 caches
  // (not being deleted) per account: QuotaExceeded. `client_token` as for container groups.
  StatusOr<CreatedImageCache> Create(const std::string& account_id, ImageCacheRequest request,
                                     const std::string& client_token,
                                     const std::string& fingerprint);
  // Validation of Create without storing anything.
  Status Check(const ImageCacheRequest& request) const;
  StatusOr<store::ImageCachePage> Describe(const store::ImageCacheQuery& query);
  // Marks the cache for deletion: it disappears at once; the controller removes the images
  // nothing else uses, then the record.
  Status Delete(const std::string& account_id, const std::string& image_cache_id);
  // For CreateContainerGroup's ImageSnapshotId (an "imc-" cache ID or its "s-" snapshot ID):
  // ImageSnapshot.NotFound unless the account holds it; ImageSnapshot.IncorrectStatus unless
  // it is Ready.
  Status CheckUsable(const std::string& account_id, const std::string& snapshot_id);

 private:
  StatusOr<ImageCache> Get(const std::string& account_id, const std::string& id);

  store::Store& store_;
  const Clock& clock_;
  const Topology& topology_;
  std::function<void(const std::string&)> notify_;
};

// The cache's Progress in percent: 100 when Ready, else the images pulled plus the received
// part of the one being pulled, over all images (rounded down: 100 only once all are pulled).
int ImageCacheProgressPercent(const ImageCache& cache);

// The cache ID an ImageSnapshotId names: "s-X" is the snapshot of "imc-X".
std::string ImageCacheIdOf(const std::string& snapshot_or_cache_id);

}  // namespace openeci::core
