#include "api/cloud_only_params.h"
#include "api/handlers/handlers.h"
#include "core/validation.h"

namespace openeci::api {

Status RejectUnsupported(const Params& params) {
  std::vector<std::string> left = params.Unconsumed();
  if (left.empty()) return Status::Ok();
  if (std::optional<std::string> why = CloudOnlyReason(left.front())) {
    return InvalidParameter("The parameter \"" + left.front() + "\" " + *why +
                            "; remove it from the request.");
  }
  return InvalidParameter("The parameter \"" + left.front() +
                          "\" is not supported by this OpenECI node; remove it from the request.");
}

StatusOr<int> PageLimit(const Params& params) {
  constexpr int kMaxLimit = 20;
  ASSIGN_OR_RETURN(std::optional<int64_t> limit, params.GetInt("Limit"));
  if (limit && (*limit < 1 || *limit > kMaxLimit)) {
    return InvalidParameter("The parameter \"Limit\" must be between 1 and 20, got " +
                            std::to_string(*limit) + ".");
  }
  return static_cast<int>(limit.value_or(kMaxLimit));
}

Status CheckIdempotentClientToken(const Params& params) {
  return core::ValidateClientToken(params.Get("ClientToken").value_or(""));
}

Status CheckRegion(const core::Topology& topology, const Params& params) {
  ASSIGN_OR_RETURN(std::string region, params.Required("RegionId"));
  if (region != topology.region_id) {
    return Status(StatusClass::kPermissionDenied, "RegionNotSupported",
                  "The specified RegionId \"" + region + "\" is not supported. This node serves " +
                      topology.region_id + ".");
  }
  return Status::Ok();
}

Status CheckImageCacheUse(ApiEnv& env, const RequestContext& ctx,
                          const core::ContainerGroupSpec& spec) {
  if (spec.image_snapshot_id.empty() && !spec.auto_match_image_cache) return Status::Ok();
  if (env.image_caches == nullptr) {
    return InvalidParameter("The parameters \"ImageSnapshotId\" and \"AutoMatchImageCache\" "
                            "need image caches, which this OpenECI node does not enable.");
  }
  if (spec.image_snapshot_id.empty()) return Status::Ok();
  return env.image_caches->CheckUsable(ctx.caller.account_id, spec.image_snapshot_id);
}

}  // namespace openeci::api
