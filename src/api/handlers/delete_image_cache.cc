#include "api/handlers/handlers.h"
#include "core/image_cache_service.h"

namespace openeci::api {

ActionResult DeleteImageCache(ApiEnv& env, const RequestContext& ctx, Params& params) {
  if (env.image_caches == nullptr) {
    return UnavailableError("Image caches are not enabled on this OpenECI node.");
  }
  RETURN_IF_ERROR(CheckRegion(env.topology, params));
  ASSIGN_OR_RETURN(std::string id, params.Required("ImageCacheId"));
  RETURN_IF_ERROR(CheckIdempotentClientToken(params));
  RETURN_IF_ERROR(RejectUnsupported(params));
  RETURN_IF_ERROR(env.image_caches->Delete(ctx.caller.account_id, id));
  return boost::json::object{};
}

}  // namespace openeci::api
