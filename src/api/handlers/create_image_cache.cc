#include "api/handlers/handlers.h"
#include "core/image_cache_service.h"

namespace openeci::api {

ActionResult CreateImageCache(ApiEnv& env, const RequestContext& ctx, Params& params) {
  if (env.image_caches == nullptr) {
    return UnavailableError("Image caches are not enabled on this OpenECI node.");
  }
  core::ImageCacheRequest r;
  ASSIGN_OR_RETURN(r.region_id, params.Required("RegionId"));
  r.name = params.Get("ImageCacheName").value_or("");
  r.images = params.List("Image");
  r.zone_id = params.Get("ZoneId").value_or("");
  r.vswitch_id = params.Get("VSwitchId").value_or("");
  r.security_group_id = params.Get("SecurityGroupId").value_or("");
  r.resource_group_id = params.Get("ResourceGroupId").value_or("");
  for (int i : params.Indices("ImageRegistryCredential")) {
    std::string p = "ImageRegistryCredential." + std::to_string(i) + ".";
    r.credentials.push_back({params.Get(p + "Server").value_or(""),
                             params.Get(p + "UserName").value_or(""),
                             params.Get(p + "Password").value_or("")});
  }
  ASSIGN_OR_RETURN(r.size_gib, params.GetInt("ImageCacheSize"));
  ASSIGN_OR_RETURN(r.retention_days, params.GetInt("RetentionDays"));
  std::string client_token = params.Get("ClientToken").value_or("");
  RETURN_IF_ERROR(RejectUnsupported(params));
  ASSIGN_OR_RETURN(core::CreatedImageCache created,
                   env.image_caches->Create(ctx.caller.account_id, std::move(r), client_token,
                                            ctx.fingerprint));
  boost::json::object out;
  out["ImageCacheId"] = created.image_cache_id;
  out["ContainerGroupId"] = created.container_group_id;
  return out;
}

}  // namespace openeci::api
