#include "api/handlers/handlers.h"
#include "api/spec_params.h"

namespace openeci::api {

ActionResult UpdateContainerGroup(ApiEnv& env, const RequestContext& ctx, Params& params) {
  RETURN_IF_ERROR(CheckRegion(env.topology, params));
  ASSIGN_OR_RETURN(std::string id, params.Required("ContainerGroupId"));
  ASSIGN_OR_RETURN(core::GroupUpdate update, DecodeGroupUpdate(params));
  std::string client_token = params.Get("ClientToken").value_or("");
  RETURN_IF_ERROR(RejectUnsupported(params));
  RETURN_IF_ERROR(
      env.groups.Update(ctx.caller.account_id, id, update, client_token, ctx.fingerprint));
  return boost::json::object{};
}

}  // namespace openeci::api
