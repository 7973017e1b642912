#include "api/handlers/handlers.h"
#include "api/spec_params.h"

namespace openeci::api {

ActionResult CreateContainerGroup(ApiEnv& env, const RequestContext& ctx, Params& params) {
  ASSIGN_OR_RETURN(core::ContainerGroupSpec spec, DecodeGroupSpec(params));
  std::string client_token = params.Get("ClientToken").value_or("");
  ASSIGN_OR_RETURN(std::optional<bool> dry_run, params.GetBool("DryRun"));
  RETURN_IF_ERROR(RejectUnsupported(params));
  RETURN_IF_ERROR(CheckImageCacheUse(env, ctx, spec));
  // DryRun=true: every check of a real create, answered DryRunOperation; nothing is stored.
  ASSIGN_OR_RETURN(std::string id,
                   env.groups.Create(ctx.caller.account_id, std::move(spec), client_token,
                                     ctx.fingerprint, dry_run.value_or(false)));
  boost::json::object out;
  out["ContainerGroupId"] = id;
  return out;
}

}  // namespace openeci::api
