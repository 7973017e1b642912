#include "core/image_cache_service.h"

#include <algorithm>

#include "common/ids.h"
#include "core/validation.h"

namespace openeci::core {
namespace {

Status CacheNotFound(const std::string& id) {
  return NotFoundError("InvalidParameter.NotFound",
                       "The specified ImageCacheId \"" + id + "\" is not found.");
}

Status Missing(const std::string& param) {
  return MissingParameter("The input parameter \"" + param +
                          "\" that is mandatory for processing this request is not supplied.");
}

// Lower-case letters, digits and hyphens, 2 to 128, not starting or ending with a hyphen (the
// rule of container group names).
bool IsCacheName(const std::string& s) {
  if (s.size() < 2 || s.size() > 128) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return s.front() != '-' && s.back() != '-';
}

bool IsImageRef(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace

std::string ImageCacheIdOf(const std::string& snapshot_or_cache_id) {
  if (snapshot_or_cache_id.rfind("s-", 0) == 0) return "imc-" + snapshot_or_cache_id.substr(2);
  return snapshot_or_cache_id;
}

int ImageCacheProgressPercent(const ImageCache& cache) {
  if (cache.status == ImageCacheStatus::Ready) return 100;
  const int64_t images = static_cast<int64_t>(cache.images.size());
  if (images == 0) return 0;
  const int64_t done = std::clamp<int64_t>(cache.images_done, 0, images);
  const int64_t part = done < images ? std::clamp(cache.current_image_permille, 0, 1000) : 0;
  return static_cast<int>((done * 1000 + part) * 100 / (images * 1000));
}

Status ImageCacheService::Check(const ImageCacheRequest& r) const {
  ContainerGroupSpec placement;
  placement.region_id = r.region_id;
  placement.zone_id = r.zone_id;
  placement.vswitch_id = r.vswitch_id;
  placement.security_group_id = r.security_group_id;
  RETURN_IF_ERROR(ValidatePlacement(placement, topology_));
  if (r.name.empty()) return Missing("ImageCacheName");
  if (r.name.size() > kMaxGroupNameLength) {
    return InvalidParameterCode("InvalidParameter.ValueExceeded",
                                "The parameter \"ImageCacheName\" is longer than " +
                                    std::to_string(kMaxGroupNameLength) + " characters.");
  }
  if (!IsCacheName(r.name)) {
    return InvalidParameter("The parameter \"ImageCacheName\" must be 2 to 128 lower-case "
                            "letters, digits or hyphens, not starting or ending with a hyphen.");
  }
  if (r.images.empty()) return Missing("Image.1");
  if (r.images.size() > kMaxImageCacheImages) {
    return InvalidParameterCode("InvalidParameter.LengthExceeded",
                                "The parameter \"Image\" has more than 20 items.");
  }
  for (size_t i = 0; i < r.images.size(); ++i) {
    std::string p = "Image." + std::to_string(i + 1);
    if (r.images[i].empty()) return Missing(p);
    if (r.images[i].size() > kMaxImageLength) {  // what a container could use
      return InvalidParameterCode("InvalidParameter.ValueExceeded",
                                  "The parameter \"" + p + "\" is longer than " +
                                      std::to_string(kMaxImageLength) + " characters.");
    }
    if (!IsImageRef(r.images[i])) {
      return InvalidParameter("The parameter \"" + p + "\" is not an image reference.");
    }
  }
  if (r.credentials.size() > kMaxCredentials) {
    return InvalidParameterCode("InvalidParameter.LengthExceeded",
                                "The parameter \"ImageRegistryCredential\" has more than " +
                                    std::to_string(kMaxCredentials) + " items.");
  }
  for (size_t i = 0; i < r.credentials.size(); ++i) {
    std::string p = "ImageRegistryCredential." + std::to_string(i + 1) + ".";
    const RegistryCredential& c = r.credentials[i];
    if (c.server.empty()) return Missing(p + "Server");
    if (c.username.empty()) return Missing(p + "UserName");
    if (c.password.empty()) return Missing(p + "Password");
  }
  if (r.size_gib && (*r.size_gib < 1 || *r.size_gib > kMaxImageCacheSizeGib)) {
    return InvalidParameter("The parameter \"ImageCacheSize\" must be between 1 and " +
                            std::to_string(kMaxImageCacheSizeGib) + " (GiB), got " +
                            std::to_string(*r.size_gib) + ".");
  }
  if (r.retention_days &&
      (*r.retention_days < 1 || *r.retention_days > kMaxImageCacheRetentionDays)) {
    return InvalidParameter("The parameter \"RetentionDays\" must be between 1 and " +
                            std::to_string(kMaxImageCacheRetentionDays) + ", got " +
                            std::to_string(*r.retention_days) + ".");
  }
  return Status::Ok();
}

StatusOr<CreatedImageCache> ImageCacheService::Create(const std::string& account_id,
                                                      ImageCacheRequest request,
                                                      const std::string& client_token,
                                                      const std::string& fingerprint) {
  RETURN_IF_ERROR(ValidateClientToken(client_token));
  RETURN_IF_ERROR(Check(request));
  ImageCache cache;
  cache.id = NewResourceId("imc");
  cache.account_id = account_id;
  cache.name = std::move(request.name);
  cache.region_id = std::move(request.region_id);
  cache.resource_group_id = std::move(request.resource_group_id);
  cache.images = std::move(request.images);
  cache.credentials = std::move(request.credentials);
  cache.size_gib = static_cast<int>(request.size_gib.value_or(kDefaultImageCacheSizeGib));
  cache.retention_days = static_cast<int>(request.retention_days.value_or(0));
  cache.status = ImageCacheStatus::Creating;
  cache.container_group_id = NewResourceId("eci");
  cache.creation_time = ToUnixMillis(clock_.Now());
  std::optional<store::ClientTokenRecord> token;
  if (!client_token.empty()) {
    token = store::ClientTokenRecord{account_id, client_token, fingerprint, cache.id};
  }
  std::string existing_id;
  StatusOr<int64_t> rev =
      store_.CreateImageCache(cache, token, kMaxImageCachesPerAccount, &existing_id);
  if (!rev.ok()) return rev.status();
  if (!existing_id.empty()) {
    ASSIGN_OR_RETURN(ImageCache earlier, store_.GetImageCache(existing_id));
    return CreatedImageCache{earlier.id, earlier.container_group_id};
  }
  if (notify_) notify_(cache.id);
  return CreatedImageCache{cache.id, cache.container_group_id};
}

StatusOr<store::ImageCachePage> ImageCacheService::Describe(const store::ImageCacheQuery& query) {
  return store_.ListImageCaches(query);
}

StatusOr<ImageCache> ImageCacheService::Get(const std::string& account_id,
                                            const std::string& id) {
  StatusOr<ImageCache> cache = store_.GetImageCache(id);
  if (!cache.ok()) {
    if (cache.status().cls() == StatusClass::kNotFound) return CacheNotFound(id);
    return cache.status();
  }
  if (cache->account_id != account_id || cache->deleting) return CacheNotFound(id);
  return cache;
}

Status ImageCacheService::Delete(const std::string& account_id, const std::string& id) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    ASSIGN_OR_RETURN(ImageCache cache, Get(account_id, id));
    cache.deleting = true;
    StatusOr<int64_t> rev = store_.UpdateImageCache(cache, cache.revision);
    if (rev.ok()) {
      if (notify_) notify_(id);
      return Status::Ok();
    }
    if (rev.status().cls() != StatusClass::kAborted) return rev.status();
  }
  return AbortedError("The image cache is being changed concurrently; try again.");
}

Status ImageCacheService::CheckUsable(const std::string& account_id,
                                      const std::string& snapshot_id) {
  StatusOr<ImageCache> cache = Get(account_id, ImageCacheIdOf(snapshot_id));
  if (!cache.ok()) {
    if (cache.status().cls() != StatusClass::kNotFound) return cache.status();
    return NotFoundError("ImageSnapshot.NotFound", "The specified ImageSnapshotId \"" +
                                                       snapshot_id + "\" does not exist.");
  }
  if (cache->status != ImageCacheStatus::Ready) {
    return Status(StatusClass::kFailedPrecondition, "ImageSnapshot.IncorrectStatus",
                  "The image cache \"" + snapshot_id + "\" of ImageSnapshotId is " +
                      (cache->status == ImageCacheStatus::Creating ? "Creating" : "Failed") +
                      ", not Ready.");
  }
  return Status::Ok();
}

}  // namespace openeci::core
