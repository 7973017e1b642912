#include <boost/describe/enum_to_string.hpp>

#include "api/handlers/handlers.h"
#include "api/render.h"
#include "core/image_cache_service.h"

namespace openeci::api {
namespace {

namespace json = boost::json;

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

json::object RenderCache(const core::ImageCache& c) {
  json::object o;
  o["ImageCacheId"] = c.id;
  o["ImageCacheName"] = c.name;
  const bool ready = c.status == core::ImageCacheStatus::Ready;
  o["SnapshotId"] = ready ? c.snapshot_id : "";
  o["FlashSnapshotId"] = "";
  const char* status = boost::describe::enum_to_string(c.status, nullptr);
  o["Status"] = status ? status : "";
  o["Progress"] = std::to_string(core::ImageCacheProgressPercent(c)) + "%";
  json::array images;
  for (const auto& i : c.images) images.emplace_back(i);
  o["Images"] = std::move(images);
  o["ImageCacheSize"] = c.size_gib;
  o["CreationTime"] = ApiTime(c.creation_time);
  int64_t expire = 0;
  if (c.status == core::ImageCacheStatus::Failed) {
    expire = c.finish_time + kDayMs;
  } else if (c.retention_days > 0) {
    expire = c.creation_time + c.retention_days * kDayMs;
  }
  o["ExpireDateTime"] = ApiTime(expire);
  o["LastMatchedTime"] = ApiTime(c.last_matched_time);
  o["ContainerGroupId"] = c.container_group_id;
  o["RegionId"] = c.region_id;
  o["ResourceGroupId"] = c.resource_group_id;
  o["EliminationStrategy"] = "";
  o["Tags"] = json::array();
  o["Events"] = RenderEvents(c.events);
  return o;
}

}  // namespace

ActionResult DescribeImageCaches(ApiEnv& env, const RequestContext& ctx, Params& params) {
  if (env.image_caches == nullptr) {
    return UnavailableError("Image caches are not enabled on this OpenECI node.");
  }
  RETURN_IF_ERROR(CheckRegion(env.topology, params));
  store::ImageCacheQuery q;
  q.account_id = ctx.caller.account_id;
  q.id = params.Get("ImageCacheId").value_or("");
  q.name = params.Get("ImageCacheName").value_or("");
  q.image = params.Get("Image").value_or("");
  q.snapshot_id = params.Get("SnapshotId").value_or("");
  q.next_token = params.Get("NextToken").value_or("");
  ASSIGN_OR_RETURN(q.limit, PageLimit(params));
  RETURN_IF_ERROR(RejectUnsupported(params));
  ASSIGN_OR_RETURN(store::ImageCachePage page, env.image_caches->Describe(q));
  json::array caches;
  for (const auto& c : page.caches) caches.push_back(RenderCache(c));
  json::object out;
  out["TotalCount"] = page.total_count;
  out["NextToken"] = page.next_token;
  out["ImageCaches"] = std::move(caches);
  return out;
}

}  // namespace openeci::api
